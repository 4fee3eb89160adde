"""What a page says after a write: the refusal, with nothing written, or the success after the rerun that
shows the new state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from bastion.core.errors import BastionError
from bastion.core.importing import ImportRejected
from bastion.ui.i18n import tr
from bastion.ui.tables import grid

FLASH = "flash"


def refused(exc: BastionError) -> None:
    """The refusal of a write; an import's every bad row as a table (file, row, field, reason)."""
    if isinstance(exc, ImportRejected):
        st.error(tr(f"{len(exc.errors)} 处问题，文件未导入（没有写入任何数据）：",
                    f"{len(exc.errors)} problem(s): the file was not imported (nothing was written):"))
        grid(pd.DataFrame([{tr("文件", "File"): e.file, tr("行", "Row"): e.row, tr("字段", "Field"): e.field,
                            tr("原因", "Reason"): e.reason} for e in exc.errors]), long_text=[tr("原因", "Reason")])
        return
    st.error(tr("未保存：", "Not saved: ") + str(exc))


def succeeded(message: str) -> None:
    """Rerun the page, which then shows ``message`` (:func:`show_flash`) over the refreshed state."""
    st.session_state[FLASH] = message
    st.rerun()


def attempt(action: Callable[[], Any], done: str) -> Any:
    """Run a write: refused → say why (nothing was written) and return None; done → :func:`succeeded`."""
    try:
        result = action()
    except BastionError as exc:
        refused(exc)
        return None
    succeeded(done)
    return result


def show_flash() -> None:
    if message := st.session_state.pop(FLASH, None):
        st.success(message)
