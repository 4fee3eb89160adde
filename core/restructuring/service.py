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

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session
from sqlmodel import select as select_model

from .. import audit, organizations
from ..access import Action, Principal, org_by_code, require
from ..errors import BadValue, BastionError, Problem
from ..i18n import tr
from ..importing.kinds import ORGANIZATIONS, RESTRUCTURE
from ..lifecycle import AlreadyDone
from ..models import (
    Cycle,
    Evaluation,
    EvaluationStatus,
    Organization,
    OrgLineage,
    Restructuring,
    RestructuringKind,
    code_is,
    org_code_key,
)
from ..periods import Period, in_time_order
from ..tree import LEVEL_NAMES, PARENT_LEVELS, level_reason
from ..values import text_problem
from ..words import RESTRUCTURING, word

Kind = RestructuringKind

# The fields a refusal names, as the restructure import's columns are keyed (``importing.kinds.RESTRUCTURE``).
FROM, CODE, NAME, PARENT, DAY, HEIR, NOTE = "from_codes", "code", "name", "parent_code", "effective_on", "heir", "note"


class Refused(BastionError):
    """A restructuring the tree's rules refuse. ``key`` names the field as the restructure import's column does
    (``from_codes``, ``code``, ``parent_code`` …): the importer reports it under that column of the row."""

    def __init__(self, key: str, reason: str) -> None:
        self.key, self.reason = key, reason
        super().__init__(str(Problem(key, RESTRUCTURE.field_name(key), reason)))


@dataclass(frozen=True)
class Successor:
    """A new organisation a split makes (or a merge, given its code): code, name and, optionally, members,
    category and parent (by default the predecessor's)."""

    code: str
    name: str
    member_count: int | None = None
    category: str | None = None
    parent_code: str | None = None


_SUCCESSOR = re.compile(r"^\s*([^:：,，\s]+)\s*[:：,，]\s*([^:：,，]+?)\s*(?:[:：,，]\s*(\d+)\s*)?$")


def parse_successor(text: str) -> Successor:
    """A new organisation as a person types it — ``编码:名称`` or ``编码:名称:党员人数`` (``ZB51:一车间党支部:20``;
    a full-width colon or a comma does as well) — on the command line (``--into``) and the administrators' page."""
    found = _SUCCESSOR.match(text or "")
    if found is None:
        raise BadValue(tr(f"{text!r}：应写成 编码:名称 或 编码:名称:党员人数（如 ZB51:一车间党支部:20）",
                          f"{text!r}: write CODE:NAME or CODE:NAME:MEMBERS (e.g. ZB51:一车间党支部:20)"))
    code, name, members = found.groups()
    return Successor(code, name, None if members is None else int(members))


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
    if parent_code is None and _lookup(session, principal.tenant_id, into) is None:
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
    change itself, under its parent, which is named here too)."""
    require(session.connection(), principal, Action.administer)
    for code in codes:
        if code and _lookup(session, principal.tenant_id, code) is not None:
            org_by_code(session, principal, Action.administer, code)


def _parents(session: Session, tenant_id: int, codes: Sequence[str]) -> list[str]:
    """The codes of the parents of the organisations ``codes`` names (those that exist)."""
    found = [_lookup(session, tenant_id, code) for code in codes if code]
    return sorted({_code_of(session, org.parent_id) for org in found if org is not None and org.parent_id is not None})


# --- the five changes, for an actor the caller vouches for (the importer: an administrator of the tenant) --------


def merge_as(session: Session, *, tenant_id: int, actor: str, codes: Sequence[str], into: str, effective_on: date,
             name: str | None = None, parent_code: str | None = None, category: str | None = None,
             member_count: int | None = None, note: str = "", today: date | None = None,
             preview: bool = False) -> Outcome:
    """:func:`merge` without the principal's access check (see the module's docstring)."""
    _check_day(effective_on, today)
    _check_note(note)
    sources = _distinct([_find(session, tenant_id, code, FROM) for code in codes])
    if not sources:
        raise Refused(FROM, tr("须列出要合并的组织编码", "name the organisations to merge"))
    target = _lookup(session, tenant_id, into)
    gone = [s for s in sources if target is None or s.id != target.id]
    if target is not None and all(not s.active for s in gone) and _merged_into(session, gone, target):
        raise AlreadyDone(tr(f"{'、'.join(s.code for s in gone)} 已合并入 {target.code}：无需再次合并",
                             f"{', '.join(s.code for s in gone)} already merged into {target.code}: nothing to do"))
    for org in sources:
        _require_active(session, org, FROM)
    if len(gone) + (target is not None) < 2:
        raise Refused(FROM, tr("合并须有至少两个组织（合并入已有组织时，至少一个其他组织）",
                                       "a merge needs two organisations at least (into an existing one: one other)"))
    level = sources[0].level
    every = [*sources, *([target] if target is not None and target not in sources else [])]
    if len({o.level for o in every}) > 1:
        listed = "、".join(f"{o.code}（{LEVEL_NAMES[o.level]}）" for o in every)
        raise Refused(FROM, tr(f"不能合并不同层级的组织：{listed}",
                                       f"organisations of different levels cannot merge: "
                                       f"{', '.join(f'{o.code} ({o.level})' for o in every)}"))
    _refuse_nested(session, every)
    if target is not None:
        _require_active(session, target, CODE)
        if parent_code is not None and org_code_key(parent_code) != org_code_key(_code_of(session, target.parent_id)):
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
        parent = _parent_for(session, tenant_id, parent_code, sources, level)
    members = member_count if member_count is not None else sum(o.member_count for o in every)
    categories = {o.category for o in sources}
    kept_category = category if category is not None else (
        target.category if target is not None else (categories.pop() if len(categories) == 1 else sources[0].category))
    heir_code = target.code if target is not None else _new_code(session, tenant_id, into, CODE)
    children = _active_children(session, gone)
    outcome = Outcome(Kind.merge.value, effective_on,
                      tr(f"合并：{_listed(gone)} → {heir_code} {name or target.name}",
                         f"merge: {_listed(gone)} → {heir_code} {name or target.name}"),
                      _consequences(session, tenant_id, effective_on, Kind.merge,
                                    carried=[o.code for o in gone], heir=heir_code, moved=children))
    if preview:
        return outcome
    if target is None:
        target = _create(session, tenant_id=tenant_id, actor=actor, code=heir_code, name=name, level=level,
                         parent=parent, category=kept_category, member_count=members, note=f"merged: {note}".strip())
    else:
        organizations.edit(session, target, {"member_count": members, "category": kept_category}, tenant_id=tenant_id,
                           actor=actor, note=f"merge into {target.code}")
    for org in gone:
        _deactivate(session, org, tenant_id=tenant_id, actor=actor, why=f"merged into {target.code}")
    _adopt(session, children, target, tenant_id=tenant_id, actor=actor)
    detail = {"code": target.code, "name": target.name, "predecessors": [_named(o) for o in gone],
              "successors": [_named(target)], "parent_code": None if parent is None else parent.code,
              "children_moved": [o.code for o in children]}
    return _recorded(session, outcome, tenant_id=tenant_id, actor=actor, org=target, note=note, detail=detail,
                     links=[(o.id, target.id, True) for o in gone])


def split_as(session: Session, *, tenant_id: int, actor: str, code: str, into: Sequence[Successor],
             effective_on: date, heir: str | None = None, note: str = "", today: date | None = None,
             preview: bool = False) -> Outcome:
    """:func:`split` without the principal's access check (see the module's docstring)."""
    _check_day(effective_on, today)
    _check_note(note)
    org = _find(session, tenant_id, code, FROM)
    wanted = [org_code_key(s.code) for s in into]
    if not org.active and _split_into(session, org, wanted):
        raise AlreadyDone(tr(f"{org.code} 已分设为 {'、'.join(s.code for s in into)}：无需再次分设",
                             f"{org.code} is already split into {', '.join(s.code for s in into)}: nothing to do"))
    _require_active(session, org, FROM)
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
        new_code = _new_code(session, tenant_id, successor.code, CODE)
        if not (successor.name or "").strip():
            raise Refused(NAME, tr(f"新组织 {new_code} 须有名称", f"the new organisation {new_code} needs a name"))
        parent = _parent_for(session, tenant_id, successor.parent_code, [org], org.level)
        made.append((successor, new_code, parent))
    heir_code = next(c for s, c, _ in made if org_code_key(c) == heir_key)
    children = _active_children(session, [org])
    outcome = Outcome(Kind.split.value, effective_on,
                      tr(f"分设：{_listed([org])} → {'、'.join(f'{c} {s.name}' for s, c, _ in made)}",
                         f"split: {_listed([org])} → {', '.join(f'{c} {s.name}' for s, c, _ in made)}"),
                      _consequences(session, tenant_id, effective_on, Kind.split, carried=[org.code], heir=heir_code,
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
    detail = {"code": org.code, "name": org.name, "predecessors": [_named(org)],
              "successors": [_named(s) | {"heir": s is heir_org} for s in successors],
              "children_moved": [o.code for o in children]}
    return _recorded(session, outcome, tenant_id=tenant_id, actor=actor, org=org, note=note, detail=detail,
                     links=[(org.id, s.id, s is heir_org) for s in successors])


def move_as(session: Session, *, tenant_id: int, actor: str, code: str, parent_code: str, effective_on: date,
            note: str = "", today: date | None = None, preview: bool = False) -> Outcome:
    """:func:`move` without the principal's access check (see the module's docstring)."""
    _check_day(effective_on, today)
    _check_note(note)
    org = _find(session, tenant_id, code, FROM)
    parent = _find(session, tenant_id, parent_code, PARENT)
    if org.parent_id == parent.id:
        raise AlreadyDone(tr(f"{org.code} 已隶属于 {parent.code}：无需调整", f"{org.code} is already under {parent.code}: "
                                                                          "nothing to do"))
    _require_active(session, org, FROM)
    _require_active(session, parent, PARENT)
    old_parent = _code_of(session, org.parent_id)
    outcome = Outcome(Kind.move.value, effective_on,
                      tr(f"调整隶属：{_listed([org])}，{old_parent or '（无）'} → {parent.code} {parent.name}",
                         f"move: {_listed([org])}, {old_parent or '(none)'} → {parent.code} {parent.name}"),
                      _consequences(session, tenant_id, effective_on, Kind.move, carried=[org.code], heir=parent.code))
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
    _check_day(effective_on, today)
    _check_note(note)
    org = _find(session, tenant_id, code, FROM)
    new_name = _parsed("name", name)
    if not new_name:
        raise Refused(NAME, tr("组织须有名称", "an organisation needs a name"))
    if new_name == org.name:
        raise AlreadyDone(tr(f"{org.code} 已名为“{new_name}”：无需更名", f"{org.code} is already named {new_name}: "
                                                                        "nothing to do"))
    _require_active(session, org, FROM)
    old_name = org.name
    outcome = Outcome(Kind.rename.value, effective_on,
                      tr(f"更名：{org.code} {old_name} → {new_name}", f"rename: {org.code} {old_name} → {new_name}"),
                      _consequences(session, tenant_id, effective_on, Kind.rename, carried=[org.code], heir=new_name))
    if preview:
        return outcome
    organizations.edit(session, org, {"name": new_name}, tenant_id=tenant_id, actor=actor, note=f"renamed ({org.code})")
    detail = {"code": org.code, "name": new_name, "old_name": old_name}
    return _recorded(session, outcome, tenant_id=tenant_id, actor=actor, org=org, note=note, detail=detail)


def dissolve_as(session: Session, *, tenant_id: int, actor: str, code: str, effective_on: date, note: str = "",
                today: date | None = None, preview: bool = False) -> Outcome:
    """:func:`dissolve` without the principal's access check (see the module's docstring)."""
    _check_day(effective_on, today)
    _check_note(note)
    org = _find(session, tenant_id, code, FROM)
    if not org.active and _event_of(session, org, Kind.dissolve) is not None:
        raise AlreadyDone(tr(f"{org.code} 已撤销：无需再次撤销", f"{org.code} is already dissolved: nothing to do"))
    _require_active(session, org, FROM)
    children = _active_children(session, [org])
    if children:
        raise Refused(FROM, tr(
            f"{org.code} 下仍有在用的组织 {_listed(children)}：请先将其撤销、合并或调整隶属",
            f"{org.code} still has active organisations under it ({_listed(children)}): dissolve, merge or move "
            "them first"))
    outcome = Outcome(Kind.dissolve.value, effective_on, tr(f"撤销：{_listed([org])}", f"dissolve: {_listed([org])}"),
                      _consequences(session, tenant_id, effective_on, Kind.dissolve, carried=[org.code], heir=None))
    if preview:
        return outcome
    _deactivate(session, org, tenant_id=tenant_id, actor=actor, why="dissolved")
    detail = {"code": org.code, "name": org.name, "parent_code": _code_of(session, org.parent_id)}
    return _recorded(session, outcome, tenant_id=tenant_id, actor=actor, org=org, note=note, detail=detail)


# --- checks --------------------------------------------------------------------------------------------


def _check_day(effective_on: date, today: date | None) -> None:
    today = today or date.today()
    if effective_on > today:
        raise Refused(DAY, tr(
            f"{effective_on.isoformat()} 晚于今天（{today.isoformat()}）：机构调整自生效之日起登记",
            f"{effective_on.isoformat()} is after today ({today.isoformat()}): a restructuring is recorded once it "
            "takes effect"))


def _check_note(note: str) -> None:
    """A note is free text: the one rule for text (``values.text_problem``)."""
    if note and (reason := text_problem(note)) is not None:
        raise Refused(NOTE, reason)


def _lookup(session: Session, tenant_id: int, code: str) -> Organization | None:
    """The organisation ``code`` names in the tenant (active or not), its row locked for this transaction."""
    return session.exec(select_model(Organization).where(Organization.tenant_id == tenant_id,
                                                         code_is(Organization.code, code))
                        .with_for_update()).first()


def _find(session: Session, tenant_id: int, code: str, key: str) -> Organization:
    org = _lookup(session, tenant_id, code) if code and code.strip() else None
    if org is None:
        raise Refused(key, tr(f"本单位没有组织 {code!r}", f"no organisation {code!r} in this tenant"))
    return org


def _distinct(orgs: list[Organization]) -> list[Organization]:
    seen, out = set(), []
    for org in orgs:
        if org.id not in seen:
            seen.add(org.id)
            out.append(org)
    return out


def _event_of(session: Session, org: Organization, kind: Kind) -> Restructuring | None:
    """The restructuring of ``kind`` that ended ``org`` (it changed it, or it is one of its predecessors)."""
    r, line = Restructuring.__table__.c, OrgLineage.__table__.c
    as_predecessor = select(line.restructuring_id).where(line.predecessor_id == org.id)
    return session.exec(select_model(Restructuring).where(
        Restructuring.kind == kind.value, (r.org_id == org.id) | r.id.in_(as_predecessor))
        .order_by(Restructuring.id.desc())).first()


def _require_active(session: Session, org: Organization, key: str) -> None:
    """Refuse an inactive organisation, saying how it ended (merged into …, split into …, dissolved)."""
    if org.active:
        return
    line = OrgLineage.__table__.c
    ended = session.execute(select(Restructuring.__table__.c.kind, Restructuring.__table__.c.effective_on,
                                   Organization.__table__.c.code)
                            .join_from(OrgLineage.__table__, Restructuring.__table__,
                                       Restructuring.__table__.c.id == line.restructuring_id)
                            .join(Organization.__table__, Organization.__table__.c.id == line.successor_id)
                            .where(line.predecessor_id == org.id)).all()
    dissolved = _event_of(session, org, Kind.dissolve)
    if ended:
        kind, day = ended[0].kind, ended[0].effective_on
        codes = "、".join(row.code for row in ended)
        how = tr(f"已于 {day} {'合并入' if kind == Kind.merge else '分设为'} {codes}",
                 f"was {'merged into' if kind == Kind.merge else 'split into'} {codes.replace('、', ', ')} on {day}")
    elif dissolved is not None:
        how = tr(f"已于 {dissolved.effective_on} 撤销", f"was dissolved on {dissolved.effective_on}")
    else:
        how = tr("已停用", "is inactive")
    raise Refused(key, tr(f"{org.code} {org.name} {how}，不能再调整", f"{org.code} {org.name} {how}: it cannot change"))


def _merged_into(session: Session, gone: list[Organization], target: Organization) -> bool:
    line = OrgLineage.__table__.c
    linked = set(session.execute(select(line.predecessor_id).where(line.successor_id == target.id,
                                                                   line.predecessor_id.in_([o.id for o in gone]))
                                 ).scalars())
    return bool(gone) and linked == {o.id for o in gone}


def _split_into(session: Session, org: Organization, wanted: list[str]) -> bool:
    line, o = OrgLineage.__table__.c, Organization.__table__.c
    codes = session.execute(select(o.code).join_from(OrgLineage.__table__, Organization.__table__,
                                                     o.id == line.successor_id)
                            .where(line.predecessor_id == org.id)).scalars().all()
    return bool(codes) and sorted(org_code_key(c) for c in codes) == sorted(wanted)


def _refuse_nested(session: Session, orgs: list[Organization]) -> None:
    """Refuse to merge an organisation with one above it (committees may sit under committees)."""
    ids = {o.id for o in orgs}
    for org in orgs:
        node, seen = org.parent_id, set()
        while node is not None and node not in seen:
            seen.add(node)
            if node in ids:
                upper = session.get(Organization, node)
                raise Refused(FROM, tr(f"{org.code} 隶属于 {upper.code}：不能与其上级合并",
                                               f"{org.code} is under {upper.code}: it cannot merge with its parent"))
            node = session.get(Organization, node).parent_id


def _new_code(session: Session, tenant_id: int, code: str, key: str) -> str:
    """``code`` for a new organisation: a code no organisation of the tenant has, or had (codes are never reused)."""
    code = _parsed("code", code)
    if not code:
        raise Refused(key, tr("新组织须有编码", "a new organisation needs a code"))
    taken = _lookup(session, tenant_id, code)
    if taken is not None:
        state = "" if taken.active else tr("（已停用）", " (inactive)")
        raise Refused(key, tr(f"编码 {code} 已被 {taken.code} {taken.name}{state} 使用：新组织须用新编码",
                              f"code {code} is taken by {taken.code} {taken.name}{state}: a new organisation needs a "
                              "new code"))
    return code


def _parent_for(session: Session, tenant_id: int, parent_code: str | None, sources: list[Organization],
                level: str) -> Organization | None:
    """The parent of a new organisation of ``level``: ``parent_code``'s, else the one its predecessors share."""
    if parent_code:
        parent = _find(session, tenant_id, parent_code, PARENT)
        _require_active(session, parent, PARENT)
    else:
        parents = {o.parent_id for o in sources}
        if len(parents) > 1:
            raise Refused(PARENT, tr(f"{_listed(sources)} 隶属于不同的上级组织：请指定新组织的上级组织",
                                            f"{_listed(sources)} are under different parents: name the new "
                                            "organisation's parent"))
        parent_id = parents.pop()
        parent = session.get(Organization, parent_id) if parent_id is not None else None
    if parent is not None and parent.id in {o.id for o in sources}:
        raise Refused(PARENT, tr(f"新组织不能隶属于被调整的 {parent.code}",
                                        f"the new organisation cannot sit under {parent.code}, which is restructured"))
    if (None if parent is None else parent.level) not in PARENT_LEVELS[level]:
        raise Refused(PARENT, level_reason(level, None if parent is None else parent.code,
                                                  None if parent is None else parent.level))
    return parent


def _parsed(key: str, raw: Any) -> Any:
    """A field's value by the organisations import's own column parser (codes, names: text, free of control
    characters, within their length)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        return ORGANIZATIONS.column(key).value(raw)
    except ValueError as exc:
        raise Refused(key, str(exc)) from None


def _active_children(session: Session, orgs: list[Organization]) -> list[Organization]:
    return list(session.exec(select_model(Organization).where(
        Organization.parent_id.in_([o.id for o in orgs]), Organization.active.is_(True)).order_by(Organization.code)))


# --- writes ---------------------------------------------------------------------------------------------


def _create(session: Session, *, tenant_id: int, actor: str, code: str, name: str, level: str,
            parent: Organization | None, category: str, member_count: int, note: str) -> Organization:
    values = {"name": _parsed("name", name), "category": _parsed("category", category) or "",
              "member_count": _parsed("member_count", member_count) or 0}
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


# --- what it means for the periods -------------------------------------------------------------------------


def _consequences(session: Session, tenant_id: int, effective_on: date, kind: Kind, *, carried: list[str],
                  heir: str | None, moved: list[Organization] = (), made: list[str] = ()) -> tuple[str, ...]:
    """What the change does to the tenant's periods: closed ones whose span holds the effective date keep their
    results; drafts are outdated; the periods scored from now on follow the new tree — and whose facts go where."""
    e, c = Evaluation.__table__.c, Cycle.__table__.c
    found: dict[str, set[str]] = {}
    for key, status in session.execute(select(e.period, e.status).distinct()
                                       .join_from(Evaluation.__table__, Cycle.__table__, c.id == e.cycle_id)
                                       .where(c.tenant_id == tenant_id)):
        found.setdefault(key, set()).add(status)
    closed = [k for k, s in found.items() if s & {EvaluationStatus.reviewed.value, EvaluationStatus.published.value}]
    drafts = [k for k, s in found.items() if k not in closed]
    covering = in_time_order([k for k in closed if Period.parse(k).start <= effective_on < Period.parse(k).end])
    lines = []
    if covering:
        keys = "、".join(covering)
        lines.append(tr(f"生效日期在已审核或已发布的考核期 {keys} 内：这些考核期的结果保持发布时的样子"
                        "（组织快照与冻结依据），核验仍一致",
                        f"the effective date falls in closed periods ({', '.join(covering)}): their results stay as "
                        "published (their snapshot and frozen inputs), and verify still finds them identical"))
    if drafts:
        keys = "、".join(in_time_order(drafts))
        lines.append(tr(f"考核期 {keys} 的草稿评分在此之前，随之过时：须重新评分后才能发布或提交审核",
                        f"the drafts of {', '.join(in_time_order(drafts))} were scored before it and are outdated: "
                        "score them again before publishing or putting them to review"))
    who = "、".join(carried)
    after = {
        Kind.merge: (f"{who} 不再单独评分，其在这些考核期的台账、检查发现和测评计入 {heir}；{heir} 的历次考核结果接续 {who} 的",
                     (f"{', '.join(carried)} are no longer scored: their ledger entries, findings and ratings in those "
                      f"periods count for {heir}, and {heir}'s history continues theirs")),
        Kind.split: ((f"{who} 不再评分，{'、'.join(made)} 分别评分；{who} 在这些考核期的台账、检查发现和测评计入 {heir}，"
                      f"其历次考核结果由 {heir} 接续"),
                     (f"{who} is no longer scored, {', '.join(made)} are, each; {who}'s ledger entries, findings and "
                      f"ratings in those periods count for {heir}, and {heir}'s history continues {who}'s")),
        Kind.move: (f"{who} 计入 {heir} 之下（汇总、下钻随之变化）",
                    f"{who} counts under {heir} (roll-ups and drill-downs follow)"),
        Kind.rename: (f"{who} 以新名称“{heir}”出现", f"{who} appears under its new name {heir}"),
        Kind.dissolve: (f"{who} 不再评分，其在这些考核期的台账、检查发现和测评不计入任何组织",
                        (f"{who} is no longer scored, and its ledger entries, findings and ratings in those periods "
                         "count for no organisation")),
    }[kind]
    lines.append(tr("尚未审核或发布的考核期此后评分时按调整后的组织机构：", "periods not yet closed are scored on the new tree from "
                    "now on: ") + tr(*after))
    if moved:
        lines.append(tr(f"其下属组织 {_listed(list(moved))} 随之调整到 {heir} 之下",
                        f"the organisations under it, {_listed(list(moved))}, move under {heir}"))
    return tuple(lines)


def _listed(orgs: list[Organization]) -> str:
    return "、".join(f"{o.code} {o.name}" for o in orgs)


def _named(org: Organization) -> dict[str, Any]:
    return {"code": org.code, "name": org.name}


def _code_of(session: Session, org_id: int | None) -> str | None:
    return None if org_id is None else session.get(Organization, org_id).code


def kind_label(kind: str) -> str:
    """A restructuring's kind in words (合并, 分设 …)."""
    return word(RESTRUCTURING, kind)
