"""The organisation tree's rules (组织机构): who may sit above whom, no loops, a secretary's term.

One level assesses the level below (一级抓一级、一级考一级): a party group sits under a branch, a branch
under a committee or a general branch, a general branch under a committee. The parent relation never
loops. A secretary's term (届任制) ends on or after the day it starts. The importer of organisations
(:mod:`bastion.core.importing`) and the administrators' edits and moves (:mod:`bastion.core.organizations`)
check the same rules here, and hold the tree while they change it (:func:`hold_tree`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlmodel import Session

from . import db, words
from .errors import Problem
from .i18n import tr
from .models import OrgLevel

# Who may sit above whom (一级抓一级); None: the organisation may be a root of the tenant's tree.
PARENT_LEVELS: dict[str, set[str | None]] = {
    OrgLevel.committee: {None, OrgLevel.committee},
    OrgLevel.general_branch: {None, OrgLevel.committee},
    OrgLevel.branch: {None, OrgLevel.committee, OrgLevel.general_branch},
    OrgLevel.group: {OrgLevel.branch},
}
LEVEL_NAMES = {OrgLevel(code): zh for code, (zh, _) in words.LEVEL.items()}  # as people name them (core.words)
TERM_END = ("任期结束", "secretary_term_end")  # the field, as the organisations template heads it


def inactive_parent_reason(parent: str) -> str:
    """Why nothing may go under ``parent``: it is no longer in use (merged away, split, dissolved: 机构调整)."""
    return tr(f"上级组织 {parent!r} 已停用（已合并、分设或撤销）：不能再隶属于它",
              f"the parent {parent!r} is no longer in use (merged, split or dissolved): nothing goes under it")


def level_reason(level: str, parent: str | None, parent_level: str | None) -> str:
    """Why an organisation of ``level`` cannot sit under ``parent`` (of ``parent_level``; None: at the top)."""
    parents = [p for p in PARENT_LEVELS[level] if p]
    allowed = " or ".join(f"{LEVEL_NAMES[p]} {p}" for p in parents)
    allowed_zh = "或".join(LEVEL_NAMES[p] for p in parents)
    name = f"{LEVEL_NAMES[level]} ({level})"
    if parent is None:
        return tr(f"{LEVEL_NAMES[level]}须有上级组织：{allowed_zh}", f"a {name} needs a parent organisation: {allowed}")
    return tr(f"{LEVEL_NAMES[level]}不能隶属于 {parent!r}（{LEVEL_NAMES[parent_level]}）；其上级须为{allowed_zh}",
              f"a {name} cannot be under {parent!r}, a {LEVEL_NAMES[parent_level]} ({parent_level}); "
              f"its parent must be {allowed}")


def looping(parent_of: Mapping[str, str | None]) -> set[str]:
    """The codes that sit on a loop of the parent relation (code → parent code)."""
    state: dict[str, int] = {}  # 1: on the current walk, 2: settled
    found: set[str] = set()
    for start in parent_of:
        walk: list[str] = []
        node: str | None = start
        while node is not None and node in parent_of and node not in state:
            state[node] = 1
            walk.append(node)
            node = parent_of[node]
        if node is not None and state.get(node) == 1:
            found.update(walk[walk.index(node):])
        for visited in walk:
            state[visited] = 2
    return found


def chain(code: str, parent_of: Mapping[str, str | None]) -> str:
    """``code`` and its parents up to where the walk stops or loops back: ``A → B → A``."""
    links, node = [code], parent_of.get(code)
    while node is not None and node not in links:
        links.append(node)
        node = parent_of.get(node)
    return " → ".join([*links, node or ""])


def term_problems(start: date | None, end: date | None) -> list[Problem]:
    """What is wrong with a secretary's term from ``start`` to ``end`` (either may be unknown)."""
    if start is not None and end is not None and end < start:
        return [Problem("secretary_term_end", tr(*TERM_END),
                        tr(f"{end.isoformat()} 早于任期开始日期 {start.isoformat()}",
                           f"{end.isoformat()} is before the term's start {start.isoformat()}"))]
    return []


def hold_tree(session: Session, tenant_id: int) -> None:
    """Hold the tenant's tree for this transaction: a change of the tree (a move, an import of organisations, a
    restructuring) reads the tree, checks it and writes, and two at once would each pass their checks on the tree
    as it was before the other (two merges of the same branch). SQLite's write transactions are one at a time
    already; on PostgreSQL this is an advisory lock (``db.TREE_LOCK`` with the tenant's id) until commit, after which
    the organisations the session read before are read again (they may have changed while it waited)."""
    if session.connection().dialect.name != "postgresql":
        return
    session.flush()
    db.hold(session.connection(), db.TREE_LOCK, tenant_id)
    session.expire_all()
