"""Tables on the pages: every row in view (a screenful, then a scroll), missing values blank, long text wrapped.

Streamlit's grid shows ten rows in a scroll box and renders a missing value as "None"; the pages
draw every table through :func:`grid` (sortable, for lists) or :func:`sheet` (static and wrapped, for
explanations whose reasons are sentences).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

VISIBLE_ROWS = 25
ROW_HEIGHT = 35  # Streamlit's grid row, in pixels


def _frame(data: pd.DataFrame | pd.Series) -> pd.DataFrame:
    return data.to_frame() if isinstance(data, pd.Series) else data


def grid(data: pd.DataFrame | pd.Series, *, key: str | None = None, long_text: Iterable[str] = (),
         column_config: Mapping[str, Any] | None = None, hide_index: bool = True) -> Any:
    """A sortable table: up to :data:`VISIBLE_ROWS` rows shown whole, blank cells for missing values,
    ``long_text`` columns given room."""
    frame = _frame(data)
    height: int | str = "content" if len(frame) <= VISIBLE_ROWS else ROW_HEIGHT * (VISIBLE_ROWS + 1) + 3
    config: dict[str, Any] = {c: st.column_config.TextColumn(width="large") for c in long_text if c in frame}
    config.update(column_config or {})
    return st.dataframe(frame, hide_index=hide_index, width="stretch", height=height, placeholder="", key=key,
                        column_config=config or None)


def cell_text(value: Any) -> str:
    """A cell as text: blank when missing, numbers without a trailing ".0"."""
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else str(value)
    return str(value)


def sheet(data: pd.DataFrame) -> Any:
    """A static table whose cells wrap (explanations: reasons are sentences); missing values blank."""
    return st.table(data.map(cell_text), hide_index=True)
