"""The rules of a restructuring (机构调整): what each change checks before it writes, and how it refuses.

A refusal is :class:`Refused`, naming the field as the restructure import's column is keyed, so the importer reports
it under its row and column and the page and the command line say "field: reason". The tree's own rules are
``core.tree``'s (levels, loops), reached through ``organizations.move_problems`` and :func:`parent_for`; the values
of a new organisation are parsed by the organisations import's columns (:func:`parsed`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session
from sqlmodel import select as select_model

from ..errors import BadValue, BastionError, Problem
from ..i18n import tr
from ..importing.kinds import ORGANIZATIONS, RESTRUCTURE
from ..models import (
    Organization,
    OrgLineage,
    Restructuring,
    RestructuringKind,
    code_is,
    org_code_key,
)
from ..tree import PARENT_LEVELS, level_reason
from ..values import text_problem

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


# --- checks --------------------------------------------------------------------------------------------


def check_day(effective_on: date, today: date | None) -> None:
    today = today or date.today()
    if effective_on > today:
        raise Refused(DAY, tr(
            f"{effective_on.isoformat()} 晚于今天（{today.isoformat()}）：机构调整自生效之日起登记",
            f"{effective_on.isoformat()} is after today ({today.isoformat()}): a restructuring is recorded once it "
            "takes effect"))


def check_note(note: str) -> None:
    """A note is free text: the one rule for text (``values.text_problem``)."""
    if note and (reason := text_problem(note)) is not None:
        raise Refused(NOTE, reason)


def lookup(session: Session, tenant_id: int, code: str) -> Organization | None:
    """The organisation ``code`` names in the tenant (active or not), its row locked for this transaction."""
    return session.exec(select_model(Organization).where(Organization.tenant_id == tenant_id,
                                                         code_is(Organization.code, code))
                        .with_for_update()).first()


def find(session: Session, tenant_id: int, code: str, key: str) -> Organization:
    org = lookup(session, tenant_id, code) if code and code.strip() else None
    if org is None:
        raise Refused(key, tr(f"本单位没有组织 {code!r}", f"no organisation {code!r} in this tenant"))
    return org


def distinct(orgs: list[Organization]) -> list[Organization]:
    seen, out = set(), []
    for org in orgs:
        if org.id not in seen:
            seen.add(org.id)
            out.append(org)
    return out


def event_of(session: Session, org: Organization, kind: Kind) -> Restructuring | None:
    """The restructuring of ``kind`` that ended ``org`` (it changed it, or it is one of its predecessors)."""
    r, line = Restructuring.__table__.c, OrgLineage.__table__.c
    as_predecessor = select(line.restructuring_id).where(line.predecessor_id == org.id)
    return session.exec(select_model(Restructuring).where(
        Restructuring.kind == kind.value, (r.org_id == org.id) | r.id.in_(as_predecessor))
        .order_by(Restructuring.id.desc())).first()


def require_active(session: Session, org: Organization, key: str) -> None:
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
    dissolved = event_of(session, org, Kind.dissolve)
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


def merged_into(session: Session, gone: list[Organization], target: Organization) -> bool:
    line = OrgLineage.__table__.c
    linked = set(session.execute(select(line.predecessor_id).where(line.successor_id == target.id,
                                                                   line.predecessor_id.in_([o.id for o in gone]))
                                 ).scalars())
    return bool(gone) and linked == {o.id for o in gone}


def split_into(session: Session, org: Organization, wanted: list[str]) -> bool:
    line, o = OrgLineage.__table__.c, Organization.__table__.c
    codes = session.execute(select(o.code).join_from(OrgLineage.__table__, Organization.__table__,
                                                     o.id == line.successor_id)
                            .where(line.predecessor_id == org.id)).scalars().all()
    return bool(codes) and sorted(org_code_key(c) for c in codes) == sorted(wanted)


def refuse_nested(session: Session, orgs: list[Organization]) -> None:
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


def fresh_code(session: Session, tenant_id: int, code: str, key: str) -> str:
    """``code`` for a new organisation: a code no organisation of the tenant has, or had (codes are never reused)."""
    code = parsed("code", code)
    if not code:
        raise Refused(key, tr("新组织须有编码", "a new organisation needs a code"))
    taken = lookup(session, tenant_id, code)
    if taken is not None:
        state = "" if taken.active else tr("（已停用）", " (inactive)")
        raise Refused(key, tr(f"编码 {code} 已被 {taken.code} {taken.name}{state} 使用：新组织须用新编码",
                              f"code {code} is taken by {taken.code} {taken.name}{state}: a new organisation needs a "
                              "new code"))
    return code


def parent_for(session: Session, tenant_id: int, parent_code: str | None, sources: list[Organization],
                level: str) -> Organization | None:
    """The parent of a new organisation of ``level``: ``parent_code``'s, else the one its predecessors share."""
    if parent_code:
        parent = find(session, tenant_id, parent_code, PARENT)
        require_active(session, parent, PARENT)
    else:
        parents = {o.parent_id for o in sources}
        if len(parents) > 1:
            raise Refused(PARENT, tr(f"{listed(sources)} 隶属于不同的上级组织：请指定新组织的上级组织",
                                            f"{listed(sources)} are under different parents: name the new "
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


def parsed(key: str, raw: Any) -> Any:
    """A field's value by the organisations import's own column parser (codes, names: text, free of control
    characters, within their length)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        return ORGANIZATIONS.column(key).value(raw)
    except ValueError as exc:
        raise Refused(key, str(exc)) from None


def active_children(session: Session, orgs: list[Organization]) -> list[Organization]:
    return list(session.exec(select_model(Organization).where(
        Organization.parent_id.in_([o.id for o in orgs]), Organization.active.is_(True)).order_by(Organization.code)))


def listed(orgs: list[Organization]) -> str:
    return "、".join(f"{o.code} {o.name}" for o in orgs)


def named(org: Organization) -> dict[str, Any]:
    return {"code": org.code, "name": org.name}


def code_of(session: Session, org_id: int | None) -> str | None:
    return None if org_id is None else session.get(Organization, org_id).code
