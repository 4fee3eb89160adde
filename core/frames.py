"""Frames read for people: a NULL text comes back as "" (never NaN), so no page meets a float in a text column.

pandas reads a NULL text column as NaN, a float that is truthy: ``if row.note:`` then passes and
``"…" + row.note`` raises. Every query whose rows reach a page or an export reads through
:func:`read_frame`, which knows the text columns from the query's own column types; numbers and
dates keep NaN/NaT for "no value", which the pages render blank.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, String
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlalchemy.sql import Select


def text_columns(query: Select) -> list[str]:
    """The names of ``query``'s columns whose SQL type is text."""
    return [c.key for c in query.selected_columns if _is_text(c.type)]


def _is_text(sql_type: TypeEngine) -> bool:
    """Text, and text behind a decorator (SQLModel's AutoString)."""
    return isinstance(sql_type, TypeDecorator) and isinstance(sql_type.impl, String) or isinstance(sql_type, String)


def blank_text(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` with the missing values of ``columns`` as "" (in place, and returned)."""
    for column in columns:
        if column in frame and frame[column].isna().any():
            frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
    return frame


def read_frame(query: Select, conn: Connection) -> pd.DataFrame:
    """``pd.read_sql`` with the text columns' NULLs as ""."""
    return blank_text(pd.read_sql(query, conn), text_columns(query))
