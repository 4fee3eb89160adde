"""What restructurings leave behind, as the rest of Bastion reads it: lineage, heirs, the history list.

- :func:`heirs` — each organisation merged away or split (a predecessor) → the active organisation that carries
  it now, following the ``heir`` links through later merges and splits. Scoring counts a predecessor's facts for
  its heir (:func:`reassign`); the links read are those recorded up to a closed period's frozen moment, so a
  published period is scored — verified — as it was.
- :func:`carried` — an organisation and the predecessors it carries: whose results its history shows, whose
  facts its progress counts.
- :func:`lineage` — an organisation's predecessors and successors, every link, transitively.
- :func:`read_restructurings` — the history list (机构调整记录).

Restructurings are rare (a few a year, against up to 100 000 branches): the links are read whole, in one query,
and walked in Python; the facts are re-keyed as arrays (:func:`reassign`), never row by row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Select, func, select

from ..access import Action, Principal, require, visible
from ..errors import NotFound
from ..i18n import tr
from ..models import Organization, OrgLineage, Restructuring, code_is

LINEAGE_COLUMNS = ["org_id", "code", "name", "level", "active", "via", "restructuring_id", "kind", "effective_on",
                   "heir", "depth"]
HISTORY_COLUMNS = ["id", "kind", "effective_on", "recorded_at", "actor", "org_code", "org_name", "change",
                   "predecessors", "successors", "detail", "note"]


def _links(conn: Connection, tenant_id: int, *, until: datetime | None = None, heirs_only: bool = False) -> list:
    """The tenant's lineage links ``(predecessor, successor, heir, restructuring)``, in the order recorded."""
    line, r = OrgLineage.__table__.c, Restructuring.__table__.c
    query = (select(line.predecessor_id, line.successor_id, line.heir, line.restructuring_id)
             .join_from(OrgLineage.__table__, Restructuring.__table__, r.id == line.restructuring_id)
             .where(r.tenant_id == tenant_id).order_by(r.recorded_at, r.id))
    if until is not None:
        query = query.where(r.recorded_at <= until)
    if heirs_only:
        query = query.where(line.heir.is_(True))
    return conn.execute(query).all()


def heirs(conn: Connection, tenant_id: int, *, until: datetime | None = None) -> dict[int, int]:
    """Predecessor id → the organisation that carries it now: its heir, or its heir's heir … (recorded up to
    ``until`` only, when given: a closed period's lineage as it stood when the period was scored).

    A predecessor has one heir: once merged away or split it is inactive, and nothing restructures it again."""
    direct = {int(p): int(s) for p, s, _, _ in _links(conn, tenant_id, until=until, heirs_only=True)}
    out = {}
    for start, first in direct.items():
        node, seen = first, {start}
        while node in direct and node not in seen:  # a loop cannot be recorded; stop on one all the same
            seen.add(node)
            node = direct[node]
        out[start] = node
    return out


def carried(heir_of: dict[int, int], org_id: int) -> list[int]:
    """``org_id`` and the predecessors it carries (``heir_of`` from :func:`heirs`), itself first."""
    return [org_id, *sorted(p for p, h in heir_of.items() if h == org_id)]


def reassign(frame: pd.DataFrame, heir_of: dict[int, int]) -> pd.DataFrame:
    """``frame`` (facts: an ``org_id`` column) with each predecessor's rows re-keyed to its heir, as arrays; the
    same frame when no row is a predecessor's. The rows' order by organisation is lost where any moved
    (``Facts.sorted_by_org`` sorts them again)."""
    if not heir_of or frame.empty:
        return frame
    ids = frame["org_id"].to_numpy()
    keys = np.fromiter(heir_of.keys(), dtype="int64", count=len(heir_of))
    moved = np.isin(ids, keys)
    if not moved.any():
        return frame
    values = np.fromiter(heir_of.values(), dtype="int64", count=len(heir_of))
    order = np.argsort(keys)
    new = ids.astype("int64", copy=True)
    new[moved] = values[order][np.searchsorted(keys[order], new[moved])]
    dtype = ids.dtype if new.max() <= np.iinfo(ids.dtype).max else np.dtype("int64")
    return frame.assign(org_id=new.astype(dtype, copy=False))


def restructured_since(conn: Connection, tenant_id: int, since: datetime) -> int:
    """How many restructurings of the tenant were recorded after ``since`` (through their ``(tenant, recorded_at)``
    index)."""
    r = Restructuring.__table__.c
    return int(conn.execute(select(func.count()).where(r.tenant_id == tenant_id, r.recorded_at > since)).scalar())


@dataclass(frozen=True)
class Lineage:
    """An organisation's lineage: ``predecessors`` (those it came from, transitively: its predecessors', too) and
    ``successors`` (those it became, transitively), each :data:`LINEAGE_COLUMNS` — ``via`` the organisation of the
    lineage the row links to, ``depth`` 1 for a direct link, ``heir`` whether the link carries history."""

    org_id: int
    predecessors: pd.DataFrame
    successors: pd.DataFrame


def lineage(conn: Connection, org_id: int) -> Lineage:
    """``org_id``'s predecessors and successors through every merge and split recorded (:class:`Lineage`)."""
    o = Organization.__table__.c
    tenant_id = conn.execute(select(o.tenant_id).where(o.id == org_id)).scalar()
    links = _links(conn, tenant_id) if tenant_id is not None else []
    back = _walk(links, org_id, forward=False)
    ahead = _walk(links, org_id, forward=True)
    return Lineage(org_id, _described(conn, back), _described(conn, ahead))


def _walk(links: list, start: int, *, forward: bool) -> list[dict]:
    """The organisations reached from ``start`` along the links (successors when ``forward``), breadth first."""
    found, frontier, seen, depth = [], [start], {start}, 0
    while frontier:
        depth += 1
        following = []
        for p, s, heir, restructuring_id in links:
            here, there = (p, s) if forward else (s, p)
            if here in frontier and there not in seen:
                seen.add(there)
                following.append(there)
                found.append({"org_id": int(there), "via": int(here), "restructuring_id": int(restructuring_id),
                              "heir": bool(heir), "depth": depth})
        frontier = following
    return found


def _described(conn: Connection, rows: list[dict]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame({name: [] for name in LINEAGE_COLUMNS})
    o, r = Organization.__table__.c, Restructuring.__table__.c
    frame = pd.DataFrame(rows)
    orgs = pd.read_sql(select(o.id.label("org_id"), o.code, o.name, o.level, o.active)
                       .where(o.id.in_(frame["org_id"].tolist())), conn)
    events = pd.read_sql(select(r.id.label("restructuring_id"), r.kind, r.effective_on)
                         .where(r.id.in_(frame["restructuring_id"].tolist())), conn)
    out = frame.merge(orgs, on="org_id").merge(events, on="restructuring_id")
    out["active"] = out["active"].astype(bool)
    return out[LINEAGE_COLUMNS].sort_values(["depth", "code"], kind="stable").reset_index(drop=True)


def read_restructurings(conn: Connection, tenant_id: int, *, org_ids: Iterable[int] | Select | None = None
                        ) -> pd.DataFrame:
    """The tenant's restructurings, the latest first (:data:`HISTORY_COLUMNS`): each with the organisations as the
    change found and left them (``detail``; ``predecessors`` and ``successors``: codes, in the links' order).
    ``org_ids``: only those that touched one of them (as the organisation changed, a predecessor or a successor)."""
    r, line = Restructuring.__table__.c, OrgLineage.__table__.c
    query = select(r.id, r.kind, r.effective_on, r.recorded_at, r.actor, r.org_id, r.detail, r.note) \
        .where(r.tenant_id == tenant_id).order_by(r.recorded_at.desc(), r.id.desc())
    if org_ids is not None:
        wanted = org_ids if isinstance(org_ids, Select) else list(org_ids)
        linked = select(line.restructuring_id).where(line.predecessor_id.in_(wanted) | line.successor_id.in_(wanted))
        query = query.where(r.org_id.in_(wanted) | r.id.in_(linked))
    frame = pd.read_sql(query, conn)
    if frame.empty:
        return pd.DataFrame({name: [] for name in HISTORY_COLUMNS})
    frame["detail"] = frame["detail"].map(_as_dict)
    frame["org_code"] = frame["detail"].map(lambda d: d.get("code", ""))
    frame["org_name"] = frame["detail"].map(lambda d: d.get("name", ""))
    frame["predecessors"] = frame["detail"].map(lambda d: [p["code"] for p in d.get("predecessors", [])])
    frame["successors"] = frame["detail"].map(lambda d: [s["code"] for s in d.get("successors", [])])
    frame["change"] = [_change(kind, d) for kind, d in zip(frame["kind"], frame["detail"], strict=True)]
    frame["note"] = frame["note"].fillna("")
    frame["effective_on"] = pd.to_datetime(frame["effective_on"]).dt.date
    frame["recorded_at"] = pd.to_datetime(frame["recorded_at"], utc=True)
    return frame[HISTORY_COLUMNS].reset_index(drop=True)


def history_of(conn: Connection, tenant_id: int, code: str) -> pd.DataFrame:
    """The restructurings of the lineage of the organisation ``code`` (it, its predecessors and its successors,
    transitively), as :func:`read_restructurings` lists them; refused for a code the tenant does not have."""
    o = Organization.__table__.c
    org_id = conn.execute(select(o.id).where(o.tenant_id == tenant_id, code_is(o.code, code))).scalar()
    if org_id is None:
        raise NotFound(tr(f"本单位没有组织 {code!r}", f"no organisation {code!r} in this tenant"))
    line = lineage(conn, org_id)
    ids = [org_id, *line.predecessors["org_id"].astype(int), *line.successors["org_id"].astype(int)]
    return read_restructurings(conn, tenant_id, org_ids=ids)


def restructurings_seen(conn: Connection, principal: Principal) -> pd.DataFrame:
    """The history list (:func:`read_restructurings`) as an administrator reads it: the restructurings of the
    organisations they administer (the one changed, or one of its predecessors or successors)."""
    require(conn, principal, Action.administer)
    o = Organization.__table__.c
    mine = select(o.id).where(o.tenant_id == principal.tenant_id, visible(conn, principal, Action.administer, o.id))
    return read_restructurings(conn, principal.tenant_id, org_ids=mine)


def _change(kind: str, detail: dict) -> str:
    """What a restructuring changed, in a few words: ``ZB01、ZB02 → ZB50``, ``ZZ03 → ZZ01``, ``旧名 → 新名``."""
    sep = tr("、", ", ")
    before = sep.join(p["code"] for p in detail.get("predecessors", []))
    after = sep.join(s["code"] for s in detail.get("successors", []))
    if kind == "split":
        heir = next((s["code"] for s in detail.get("successors", []) if s.get("heir")), None)
        return f"{before} → {after}" + (tr(f"（{heir} 承继历史）", f" ({heir} carries the history)") if heir else "")
    if kind == "merge":
        return f"{before} → {after}"
    if kind == "move":
        return f"{detail.get('old_parent_code') or '—'} → {detail.get('parent_code')}"
    if kind == "rename":
        return f"{detail.get('old_name')} → {detail.get('name')}"
    return tr(f"{detail.get('code')} 撤销", f"{detail.get('code')} dissolved")


def _as_dict(value: object) -> dict:
    return json.loads(value) if isinstance(value, str) else dict(value or {})
