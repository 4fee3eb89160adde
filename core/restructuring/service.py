"""Restructuring the tree (机构调整): merge, split, move, rename, dissolve — each dated, audited, all or nothing.

Every change is one call in the caller's transaction: it checks everything first, by the tree's rules
(``core.tree``, through ``organizations.relink`` and ``organizations.edit`` for a move and a rename), then writes
the organisations, the :class:`~bastion.core.models.Restructuring` row, its lineage links and an audit row for
each — so a refusal writes nothing. With ``preview`` it stops after the checks and says what would happen
(:class:`Outcome`), which is what the administrators' page asks a person to confirm.

- **merge** (合并) A + B → C: C is new (a code not used in the tenant), one of them (A + B → B), or another
  organisation of the same level that absorbs them. Those merged away become inactive; their active children move
  under C; C carries their history and, in periods not yet closed, their facts (``heir`` links).
- **split** (分设) A → A1 + A2: new codes only; A becomes inactive; the successor the office names (the first by
  default) carries A's history, its open periods' facts and A's active children.
- **move** (调整隶属), **rename** (更名): the organisation keeps its id, results and facts.
- **dissolve** (撤销): only an organisation with no active children; it becomes inactive, and its facts count
  for nobody in the periods not yet closed.

Periods already closed (under the leaders' review or published) keep the tree they were scored on — the
snapshot, the frozen inputs and the lineage as recorded up to their scoring — whatever the effective date says:
``bastion verify`` still finds them identical. Drafts scored before the change are outdated
(``scoring.refuse_outdated``); a period scored after it follows the new tree. The same request twice acts once
(:class:`~bastion.core.lifecycle.AlreadyDone` the second time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from .. import audit, organizations
from ..access import Action, Principal, org_by_code, require
from ..i18n import tr
from ..lifecycle import AlreadyDone
from ..members.service import carry_members, counts, registered
from ..models import (
    Organization,
    OrgLineage,
    Restructuring,
    RestructuringKind,
    org_code_key,
)
from ..tree import LEVEL_NAMES, hold_tree
from ..words import RESTRUCTURING, word
from .consequences import consequences
from .rules import (
    CODE,
    FROM,
    HEIR,
    NAME,
    PARENT,
    Refused,
    Successor,
    active_children,
    check_day,
    check_note,
    code_of,
    distinct,
    event_of,
    find,
    fresh_code,
    listed,
    lookup,
    merged_into,
    named,
    parent_for,
    parsed,
    refuse_nested,
    require_active,
    split_into,
)

Kind = RestructuringKind


@dataclass(frozen=True)
class Outcome:
    """What a restructuring does: one line saying it, the consequences for the periods, and the id of the row
    recorded (None for a preview: nothing written)."""

    kind: str
    effective_on: date
    summary: str
    consequences: tuple[str, ...]
    restructuring_id: int | None = None

    def __str__(self) -> str:
        return "\n".join([self.summary, *(f"  · {line}" for line in self.consequences)])


# --- the five changes, for a principal -----------------------------------------------------------------


def merge(session: Session, principal: Principal, *, codes: Sequence[str], into: str, effective_on: date,
          name: str | None = None, parent_code: str | None = None, category: str | None = None,
          member_count: int | None = None, note: str = "", today: date | None = None,
          preview: bool = False) -> Outcome:
    """Merge the organisations ``codes`` into ``into`` (合并): a new code (then ``name`` is needed; ``parent_code``
    defaults to theirs when they share one), one of them, or another organisation of their level."""
    _reach(session, principal, [*codes, into, parent_code])
    if parent_code is None and lookup(session, principal.tenant_id, into) is None:
        _reach(session, principal, _parents(session, principal.tenant_id, codes))  # where the new one will sit
    return merge_as(session, tenant_id=principal.tenant_id, actor=principal.username, codes=codes, into=into,
                    effective_on=effective_on, name=name, parent_code=parent_code, category=category,
                    member_count=member_count, note=note, today=today, preview=preview)


def split(session: Session, principal: Principal, *, code: str, into: Sequence[Successor], effective_on: date,
          heir: str | None = None, note: str = "", today: date | None = None, preview: bool = False) -> Outcome:
    """Split ``code`` into the new organisations ``into`` (分设); ``heir`` (one of their codes, the first by default)
    carries its history, its open periods' facts and its children."""
    _reach(session, principal, [code, *(s.parent_code for s in into)])
    if any(s.parent_code is None for s in into):
        _reach(session, principal, _parents(session, principal.tenant_id, [code]))  # where the new ones will sit
    return split_as(session, tenant_id=principal.tenant_id, actor=principal.username, code=code, into=into,
                    effective_on=effective_on, heir=heir, note=note, today=today, preview=preview)


def move(session: Session, principal: Principal, *, code: str, parent_code: str, effective_on: date, note: str = "",
         today: date | None = None, preview: bool = False) -> Outcome:
    """Move ``code`` under ``parent_code`` (调整隶属关系), dated: ``organizations.move_organization``'s rules."""
    _reach(session, principal, [code, parent_code])
    return move_as(session, tenant_id=principal.tenant_id, actor=principal.username, code=code,
                   parent_code=parent_code, effective_on=effective_on, note=note, today=today, preview=preview)


def rename(session: Session, principal: Principal, *, code: str, name: str, effective_on: date, note: str = "",
           today: date | None = None, preview: bool = False) -> Outcome:
    """Rename ``code`` (更名), dated: ``organizations.update_organization``'s rules for a name."""
    _reach(session, principal, [code])
    return rename_as(session, tenant_id=principal.tenant_id, actor=principal.username, code=code, name=name,
                     effective_on=effective_on, note=note, today=today, preview=preview)


def dissolve(session: Session, principal: Principal, *, code: str, effective_on: date, note: str = "",
             today: date | None = None, preview: bool = False) -> Outcome:
    """Dissolve ``code`` (撤销): only an organisation with no active children."""
    _reach(session, principal, [code])
    return dissolve_as(session, tenant_id=principal.tenant_id, actor=principal.username, code=code,
                       effective_on=effective_on, note=note, today=today, preview=preview)


def _reach(session: Session, principal: Principal, codes: Sequence[str | None]) -> None:
    """Refuse unless the principal administers every organisation named (that exists: a new code is checked by the
    change itself, under its parent, which is named here too). The tree is held from here (``tree.hold_tree``):
    before the rows named are locked, as every change of the tree takes its locks in that order."""
    hold_tree(session, principal.tenant_id)
    require(session.connection(), principal, Action.administer)
    for code in codes:
        if code and lookup(session, principal.tenant_id, code) is not None:
            org_by_code(session, principal, Action.administer, code)


def _parents(session: Session, tenant_id: int, codes: Sequence[str]) -> list[str]:
    """The codes of the parents of the organisations ``codes`` names (those that exist)."""
    found = [lookup(session, tenant_id, code) for code in codes if code]
    return sorted({code_of(session, org.parent_id) for org in found if org is not None and org.parent_id is not None})


# --- the five changes, for an actor the caller vouches for (the importer: an administrator of the tenant) --------


def merge_as(session: Session, *, tenant_id: int, actor: str, codes: Sequence[str], into: str, effective_on: date,
             name: str | None = None, parent_code: str | None = None, category: str | None = None,
             member_count: int | None = None, note: str = "", today: date | None = None,
             preview: bool = False) -> Outcome:
    """:func:`merge` without the principal's access check (see the module's docstring)."""
    hold_tree(session, tenant_id)
    check_day(effective_on, today)
    check_note(note)
    sources = distinct([find(session, tenant_id, code, FROM) for code in codes])
    if not sources:
        raise Refused(FROM, tr("须列出要合并的组织编码", "name the organisations to merge"))
    target = lookup(session, tenant_id, into)
    gone = [s for s in sources if target is None or s.id != target.id]
    if target is not None and all(not s.active for s in gone) and merged_into(session, gone, target):
        raise AlreadyDone(tr(f"{'、'.join(s.code for s in gone)} 已合并入 {target.code}：无需再次合并",
                             f"{', '.join(s.code for s in gone)} already merged into {target.code}: nothing to do"))
    for org in sources:
        require_active(session, org, FROM)
    if len(gone) + (target is not None) < 2:
        raise Refused(FROM, tr("合并须有至少两个组织（合并入已有组织时，至少一个其他组织）",
                                       "a merge needs two organisations at least (into an existing one: one other)"))
    level = sources[0].level
    every = [*sources, *([target] if target is not None and target not in sources else [])]
    if len({o.level for o in every}) > 1:
        levels = "、".join(f"{o.code}（{LEVEL_NAMES[o.level]}）" for o in every)
        raise Refused(FROM, tr(f"不能合并不同层级的组织：{levels}",
                                       f"organisations of different levels cannot merge: "
                                       f"{', '.join(f'{o.code} ({o.level})' for o in every)}"))
    refuse_nested(session, every)
    if target is not None:
        require_active(session, target, CODE)
        if parent_code is not None and org_code_key(parent_code) != org_code_key(code_of(session, target.parent_id)):
            raise Refused(PARENT, tr(f"合并入已有组织 {target.code} 时其隶属关系不变：如需调整，请另行“调整隶属”",
                                            f"merging into the existing {target.code} leaves it where it is: move it "
                                            "separately"))
        if name is not None and name.strip() and name.strip() != target.name:
            raise Refused(NAME, tr(f"合并入已有组织 {target.code} 时不改名：如需更名，请另行“更名”",
                                     f"merging into the existing {target.code} keeps its name: rename it separately"))
        parent = session.get(Organization, target.parent_id) if target.parent_id is not None else None
    else:
        if not (name or "").strip():
            raise Refused(NAME, tr(f"新组织 {into} 须有名称", f"the new organisation {into} needs a name"))
        parent = parent_for(session, tenant_id, parent_code, sources, level)
    members = member_count if member_count is not None else sum(o.member_count for o in every)
    categories = {o.category for o in sources}
    kept_category = category if category is not None else (
        target.category if target is not None else (categories.pop() if len(categories) == 1 else sources[0].category))
    heir_code = target.code if target is not None else fresh_code(session, tenant_id, into, CODE)
    children = active_children(session, gone)
    outcome = Outcome(Kind.merge.value, effective_on,
                      tr(f"合并：{listed(gone)} → {heir_code} {name or target.name}",
                         f"merge: {listed(gone)} → {heir_code} {name or target.name}"),
                      consequences(session, tenant_id, effective_on, Kind.merge,
                                    carried=[o.code for o in gone], heir=heir_code, moved=children))
    if preview:
        return outcome
    if target is None:
        target = _create(session, tenant_id=tenant_id, actor=actor, code=heir_code, name=name, level=level,
                         parent=parent, category=kept_category, member_count=members, note=f"merged: {note}".strip())
    else:
        counted = registered(session.connection(), tenant_id, [target.id, *(o.id for o in gone)])
        changes = {"category": kept_category} | ({} if counted else {"member_count": members})  # else the register's
        organizations.edit(session, target, changes, tenant_id=tenant_id, actor=actor, note=f"merge into {target.code}")
    for org in gone:
        _deactivate(session, org, tenant_id=tenant_id, actor=actor, why=f"merged into {target.code}")
    _adopt(session, children, target, tenant_id=tenant_id, actor=actor)
    carry_members(session, tenant_id, [o.id for o in gone], target.id, effective_on, actor=actor,
                  note=tr(f"机构调整：合并入 {target.code}", f"restructuring: merged into {target.code}"))
    detail = {"code": target.code, "name": target.name, "predecessors": [named(o) for o in gone],
              "successors": [named(target)], "parent_code": None if parent is None else parent.code,
              "children_moved": [o.code for o in children]}
    return _recorded(session, outcome, tenant_id=tenant_id, actor=actor, org=target, note=note, detail=detail,
                     links=[(o.id, target.id, True) for o in gone])


def split_as(session: Session, *, tenant_id: int, actor: str, code: str, into: Sequence[Successor],
             effective_on: date, heir: str | None = None, note: str = "", today: date | None = None,
             preview: bool = False) -> Outcome:
    """:func:`split` without the principal's access check (see the module's docstring)."""
    hold_tree(session, tenant_id)
    check_day(effective_on, today)
    check_note(note)
    org = find(session, tenant_id, code, FROM)
    wanted = [org_code_key(s.code) for s in into]
    if not org.active and split_into(session, org, wanted):
        raise AlreadyDone(tr(f"{org.code} 已分设为 {'、'.join(s.code for s in into)}：无需再次分设",
                             f"{org.code} is already split into {', '.join(s.code for s in into)}: nothing to do"))
    require_active(session, org, FROM)
    if len(into) < 2:
        raise Refused(CODE, tr(f"分设须有至少两个新组织（{org.code} 只改名时请用“更名”）",
                                 f"a split makes two new organisations at least (to rename {org.code}, rename it)"))
    if len(set(wanted)) < len(wanted):
        raise Refused(CODE, tr("新组织编码重复", "a new organisation's code is given twice"))
    heir_key = org_code_key(heir) if heir else wanted[0]
    if heir_key not in wanted:
        raise Refused(HEIR, tr(f"承继历史的组织 {heir} 不是分设出的新组织之一（{'、'.join(s.code for s in into)}）",
                                 f"the heir {heir} is not one of the new organisations "
                                 f"({', '.join(s.code for s in into)})"))
    made = []
    for successor in into:
        new_code = fresh_code(session, tenant_id, successor.code, CODE)
        if not (successor.name or "").strip():
            raise Refused(NAME, tr(f"新组织 {new_code} 须有名称", f"the new organisation {new_code} needs a name"))
        parent = parent_for(session, tenant_id, successor.parent_code, [org], org.level)
        made.append((successor, new_code, parent))
    heir_code = next(c for s, c, _ in made if org_code_key(c) == heir_key)
    children = active_children(session, [org])
    outcome = Outcome(Kind.split.value, effective_on,
                      tr(f"分设：{listed([org])} → {'、'.join(f'{c} {s.name}' for s, c, _ in made)}",
                         f"split: {listed([org])} → {', '.join(f'{c} {s.name}' for s, c, _ in made)}"),
                      consequences(session, tenant_id, effective_on, Kind.split, carried=[org.code], heir=heir_code,
                                    moved=children, made=[c for _, c, _ in made]))
    if preview:
        return outcome
    successors = [_create(session, tenant_id=tenant_id, actor=actor, code=new_code, name=s.name, level=org.level,
                          parent=parent, category=org.category if s.category is None else s.category,
                          member_count=s.member_count or 0, note=f"split from {org.code}")
                  for s, new_code, parent in made]
    heir_org = next(s for s in successors if s.code == heir_code)
    _deactivate(session, org, tenant_id=tenant_id, actor=actor, why=f"split into {', '.join(s.code for s in successors)}")
    _adopt(session, children, heir_org, tenant_id=tenant_id, actor=actor)
    carry_members(session, tenant_id, [org.id], heir_org.id, effective_on, actor=actor,
                  note=tr(f"机构调整：分设，转至承继的 {heir_org.code}", f"restructuring: split, to the heir {heir_org.code}"))
    detail = {"code": org.code, "name": org.name, "predecessors": [named(org)],
              "successors": [named(s) | {"heir": s is heir_org} for s in successors],
              "children_moved": [o.code for o in children]}
    return _recorded(session, outcome, tenant_id=tenant_id, actor=actor, org=org, note=note, detail=detail,
                     links=[(org.id, s.id, s is heir_org) for s in successors])


def move_as(session: Session, *, tenant_id: int, actor: str, code: str, parent_code: str, effective_on: date,
            note: str = "", today: date | None = None, preview: bool = False) -> Outcome:
    """:func:`move` without the principal's access check (see the module's docstring)."""
    hold_tree(session, tenant_id)
    check_day(effective_on, today)
    check_note(note)
    org = find(session, tenant_id, code, FROM)
    parent = find(session, tenant_id, parent_code, PARENT)
    if org.parent_id == parent.id:
        raise AlreadyDone(tr(f"{org.code} 已隶属于 {parent.code}：无需调整", f"{org.code} is already under {parent.code}: "
                                                                          "nothing to do"))
    require_active(session, org, FROM)
    require_active(session, parent, PARENT)
    old_parent = code_of(session, org.parent_id)
    outcome = Outcome(Kind.move.value, effective_on,
                      tr(f"调整隶属：{listed([org])}，{old_parent or '（无）'} → {parent.code} {parent.name}",
                         f"move: {listed([org])}, {old_parent or '(none)'} → {parent.code} {parent.name}"),
                      consequences(session, tenant_id, effective_on, Kind.move, carried=[org.code], heir=parent.code))
    for problem in organizations.move_problems(session, org, parent):
        raise Refused(PARENT, problem.reason)
    if preview:
        return outcome
    organizations.relink(session, org, parent, tenant_id=tenant_id, actor=actor, note=f"moved ({org.code})")
    detail = {"code": org.code, "name": org.name, "old_parent_code": old_parent, "parent_code": parent.code}
    return _recorded(session, outcome, tenant_id=tenant_id, actor=actor, org=org, note=note, detail=detail)


def rename_as(session: Session, *, tenant_id: int, actor: str, code: str, name: str, effective_on: date,
              note: str = "", today: date | None = None, preview: bool = False) -> Outcome:
    """:func:`rename` without the principal's access check (see the module's docstring)."""
    hold_tree(session, tenant_id)
    check_day(effective_on, today)
    check_note(note)
    org = find(session, tenant_id, code, FROM)
    new_name = parsed("name", name)
    if not new_name:
        raise Refused(NAME, tr("组织须有名称", "an organisation needs a name"))
    if new_name == org.name:
        raise AlreadyDone(tr(f"{org.code} 已名为“{new_name}”：无需更名", f"{org.code} is already named {new_name}: "
                                                                        "nothing to do"))
    require_active(session, org, FROM)
    old_name = org.name
    outcome = Outcome(Kind.rename.value, effective_on,
                      tr(f"更名：{org.code} {old_name} → {new_name}", f"rename: {org.code} {old_name} → {new_name}"),
                      consequences(session, tenant_id, effective_on, Kind.rename, carried=[org.code], heir=new_name))
    if preview:
        return outcome
    organizations.edit(session, org, {"name": new_name}, tenant_id=tenant_id, actor=actor, note=f"renamed ({org.code})")
    detail = {"code": org.code, "name": new_name, "old_name": old_name}
    return _recorded(session, outcome, tenant_id=tenant_id, actor=actor, org=org, note=note, detail=detail)


def dissolve_as(session: Session, *, tenant_id: int, actor: str, code: str, effective_on: date, note: str = "",
                today: date | None = None, preview: bool = False) -> Outcome:
    """:func:`dissolve` without the principal's access check (see the module's docstring)."""
    hold_tree(session, tenant_id)
    check_day(effective_on, today)
    check_note(note)
    org = find(session, tenant_id, code, FROM)
    if not org.active and event_of(session, org, Kind.dissolve) is not None:
        raise AlreadyDone(tr(f"{org.code} 已撤销：无需再次撤销", f"{org.code} is already dissolved: nothing to do"))
    require_active(session, org, FROM)
    children = active_children(session, [org])
    if children:
        raise Refused(FROM, tr(
            f"{org.code} 下仍有在用的组织 {listed(children)}：请先将其撤销、合并或调整隶属",
            f"{org.code} still has active organisations under it ({listed(children)}): dissolve, merge or move "
            "them first"))
    if remaining := counts(session.connection(), tenant_id, [org.id])[org.id]:
        raise Refused(FROM, tr(f"{org.code} 仍有在册党员 {remaining} 名：请先办理其组织关系转接",
                               f"{org.code} still has {remaining} members on the register: transfer them first"))
    outcome = Outcome(Kind.dissolve.value, effective_on, tr(f"撤销：{listed([org])}", f"dissolve: {listed([org])}"),
                      consequences(session, tenant_id, effective_on, Kind.dissolve, carried=[org.code], heir=None))
    if preview:
        return outcome
    _deactivate(session, org, tenant_id=tenant_id, actor=actor, why="dissolved")
    detail = {"code": org.code, "name": org.name, "parent_code": code_of(session, org.parent_id)}
    return _recorded(session, outcome, tenant_id=tenant_id, actor=actor, org=org, note=note, detail=detail)


# --- writes ---------------------------------------------------------------------------------------------


def _create(session: Session, *, tenant_id: int, actor: str, code: str, name: str, level: str,
            parent: Organization | None, category: str, member_count: int, note: str) -> Organization:
    values = {"name": parsed("name", name), "category": parsed("category", category) or "",
              "member_count": parsed("member_count", member_count) or 0}
    org = Organization(tenant_id=tenant_id, code=code, level=level, parent_id=None if parent is None else parent.id,
                       active=True, **values)
    session.add(org)
    session.flush()
    audit.record(session, tenant_id=tenant_id, actor=actor, action="create", entity="organization", entity_id=org.id,
                 new={"code": code, "level": level, "parent_code": None if parent is None else parent.code, **values},
                 note=note)
    return org


def _deactivate(session: Session, org: Organization, *, tenant_id: int, actor: str, why: str) -> None:
    org.active = False
    session.add(org)
    audit.record(session, tenant_id=tenant_id, actor=actor, action="deactivate", entity="organization",
                 entity_id=org.id, old={"active": True}, new={"active": False}, note=f"{org.code} {why}")


def _adopt(session: Session, children: list[Organization], parent: Organization, *, tenant_id: int,
           actor: str) -> None:
    """Move the active children of the organisations restructured away under ``parent``, each by the tree's rules."""
    for child in children:
        organizations.relink(session, child, parent, tenant_id=tenant_id, actor=actor,
                             note=f"moved with its parent's restructuring ({child.code})")


def _recorded(session: Session, outcome: Outcome, *, tenant_id: int, actor: str, org: Organization, note: str,
              detail: dict[str, Any], links: Sequence[tuple[int, int, bool]] = ()) -> Outcome:
    """Write the restructuring's row, its lineage links and its audit row; the outcome with the row's id."""
    row = Restructuring(tenant_id=tenant_id, kind=outcome.kind, org_id=org.id, effective_on=outcome.effective_on,
                        actor=actor, note=note, detail=detail)
    session.add(row)
    session.flush()
    if links:
        session.execute(insert(OrgLineage.__table__), [
            {"restructuring_id": row.id, "predecessor_id": p, "successor_id": s, "heir": heir} for p, s, heir in links])
    audit.record(session, tenant_id=tenant_id, actor=actor, action="restructure", entity="restructuring",
                 entity_id=row.id, new={"kind": outcome.kind, "effective_on": outcome.effective_on.isoformat(),
                                        **detail}, note=note)
    return Outcome(outcome.kind, outcome.effective_on, outcome.summary, outcome.consequences, row.id)


def kind_label(kind: str) -> str:
    """A restructuring's kind in words (合并, 分设 …)."""
    return word(RESTRUCTURING, kind)
