"""The UI's side of the locale (``core.i18n``): the language switch and the labels pages share.

The user's choice lives in the session (``st.session_state["locale"]``); :func:`locale_switch` makes it
core's current locale at the start of every script run, so the pages' texts and core's errors on that
run speak the same language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import streamlit as st

from bastion.core import i18n, words
from bastion.core.i18n import LOCALES, tr

__all__ = ["LOCALES", "frozen", "locale_switch", "role_label", "source_label", "tr"]

KEY = "locale"


def locale_switch(on_change=None) -> None:
    """The language switch at the top of the sidebar (default: the session's language, else ``BASTION_LANG``),
    made core's current locale for the rest of this run; ``on_change`` runs when the user switches."""
    st.session_state.setdefault(KEY, i18n.env_locale())
    st.sidebar.radio("语言 / Language", list(LOCALES), format_func=LOCALES.__getitem__, key=KEY, horizontal=True,
                     on_change=on_change)
    i18n.set_locale(st.session_state[KEY])


def role_label(role: str) -> str:
    return words.word(words.ROLE, role)


def source_label(source: str) -> str:
    return words.word(words.SOURCE, source)


def frozen(word_of: Callable[[Any], str], options: Iterable[Any]) -> Callable[[Any], str]:
    """A select box's ``format_func`` whose labels are made now, in this run's language.

    Streamlit may call a ``format_func`` again outside the script run (AppTest does, on reading a
    widget's value), where the run's language is not the current one: a label read then would come
    out in the other language.
    """
    labels = {option: word_of(option) for option in options}
    return labels.__getitem__
