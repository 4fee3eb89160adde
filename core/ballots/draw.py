"""Who may vote on each branch (应参评人数), drawn from the tree and the members' register on a day — counted, never
named: a round keeps how many are entitled per branch and source, and issues that many one-time codes.

- ``members`` (党员群众): the members of the branch and of its party groups on the day (``members_on``);
- ``peers`` (其他支部书记): the secretaries of its sibling branches — the active branches under the same parent
  that have a secretary — other than its own, at most :data:`PEERS_AT_MOST` of them (under a general branch of
  hundreds, the office hands a branch's peer slips to that many of its sibling secretaries, at random);
- ``superior`` (上级机关): the party staff (党务工作人员, ``party_staff_count``) of the nearest superior organisation
  that has any.

Set-based: one read of the tenant's organisations and one of its register, whatever their size.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from ..members.queries import counts_on, members_on
from ..models import Member, Organization, OrgLevel, RatingSource
from .secrecy import SECRET_SOURCES

ENTITLED_COLUMNS = ["org_id", "source", "entitled"]
PEERS_AT_MOST = 10
"""Sibling secretaries drawn to rate a branch, at most: every sibling of a general branch of hundreds rating every
other would be a ballot per pair (a hundred thousand branches under four general branches: billions)."""


def _organisations(conn: Connection, tenant_id: int) -> pd.DataFrame:
    o = Organization.__table__.c
    query = select(o.id.label("org_id"), o.parent_id, o.level, o.active, o.secretary, o.party_staff_count).where(
        o.tenant_id == tenant_id)
    orgs = pd.read_sql(query, conn)
    orgs["parent_id"] = orgs["parent_id"].astype("Int64")
    return orgs


def _branch_of(orgs: pd.DataFrame) -> pd.Series:
    """Each organisation's branch: a party group's is its parent, any other's itself."""
    by_id = orgs.set_index("org_id")
    group = by_id["level"] == OrgLevel.group.value
    return by_id["parent_id"].where(group).fillna(pd.Series(by_id.index, index=by_id.index)).astype(int)


def _members(conn: Connection, tenant_id: int, orgs: pd.DataFrame, day: date) -> pd.Series:
    """Members on ``day`` per branch, a party group's counted in its branch."""
    counts = counts_on(conn, tenant_id, day)
    return counts.groupby(counts.index.map(_branch_of(orgs))).sum()


def branch_members(conn: Connection, tenant_id: int, day: date, branch_id: int | None = None) -> pd.DataFrame:
    """Who was a member of each branch on ``day`` (its party groups' members with it): ``member_id, branch_id,
    code, name, status``, by branch and member number — those a review of members (民主评议党员) rates."""
    orgs = _organisations(conn, tenant_id)
    branch_of = _branch_of(orgs)
    wanted = None if branch_id is None else branch_of.index[branch_of == branch_id].tolist()
    on = members_on(conn, tenant_id, wanted, day)
    on["branch_id"] = on["org_id"].map(branch_of)
    m = Member.__table__.c
    named = select(m.id.label("member_id"), m.code, m.name).where(m.tenant_id == tenant_id)
    if branch_id is not None:
        named = named.where(m.id.in_(on["member_id"].tolist()))
    named = pd.read_sql(named, conn)
    found = on.merge(named, on="member_id")[["member_id", "branch_id", "code", "name", "status"]]
    return found.sort_values(["branch_id", "code"]).reset_index(drop=True)


def reviewing(conn: Connection, tenant_id: int, day: date) -> pd.DataFrame:
    """For a review of members: each active branch's members on ``day`` vote (``org_id, source, entitled``)."""
    orgs = _organisations(conn, tenant_id)
    branches = orgs[(orgs["level"] == OrgLevel.branch.value) & orgs["active"].astype(bool)]
    counts = _members(conn, tenant_id, orgs, day).reindex(branches["org_id"].to_numpy()).fillna(0)
    found = pd.DataFrame({"org_id": counts.index.to_numpy(dtype=np.int64), "source": RatingSource.members.value,
                          "entitled": counts.to_numpy(dtype=np.int64)})
    return found[found["entitled"] > 0].sort_values("org_id").reset_index(drop=True)


def _peers(branches: pd.DataFrame) -> pd.Series:
    """Secretaries of the sibling branches, per branch: those with one under the same parent, less its own."""
    has = branches["secretary"].fillna("").str.strip().ne("")
    per_parent = has.groupby(branches["parent_id"].fillna(-1).to_numpy()).transform("sum")
    others = np.minimum((per_parent - has.astype(int)).to_numpy(), PEERS_AT_MOST)
    return pd.Series(others, index=branches["org_id"].to_numpy())


def _superior(orgs: pd.DataFrame, branches: pd.DataFrame) -> pd.Series:
    """The party staff of the nearest superior with any, per branch (walked up level by level, all at once)."""
    parent = orgs.set_index("org_id")["parent_id"]
    staff = orgs.set_index("org_id")["party_staff_count"].fillna(0).astype(int)
    at = pd.Series(branches["parent_id"].to_numpy(), index=branches["org_id"].to_numpy(), dtype="Int64")
    found = pd.Series(0, index=at.index, dtype=int)
    for _ in range(len(OrgLevel)):  # the tree is no deeper than its levels
        open_ = found.eq(0) & at.notna()
        if not open_.any():
            break
        here = at[open_].astype(int)
        found[open_] = staff.reindex(here.to_numpy()).fillna(0).astype(int).to_numpy()
        at[open_] = parent.reindex(here.to_numpy()).to_numpy()
    return found


def entitled(conn: Connection, tenant_id: int, day: date, sources: Iterable[str]) -> pd.DataFrame:
    """How many may vote on each active branch in each of ``sources`` (the secret ones) on ``day``:
    ``org_id, source, entitled``, only where someone is."""
    wanted = [s for s in SECRET_SOURCES if s in set(sources)]
    orgs = _organisations(conn, tenant_id)
    branches = orgs[(orgs["level"] == OrgLevel.branch.value) & orgs["active"].astype(bool)]
    parts = []
    for source in wanted:
        if source == RatingSource.members.value:
            counts = _members(conn, tenant_id, orgs, day).reindex(branches["org_id"].to_numpy()).fillna(0)
        elif source == RatingSource.peers.value:
            counts = _peers(branches)
        else:
            counts = _superior(orgs, branches)
        parts.append(pd.DataFrame({"org_id": counts.index.to_numpy(dtype=np.int64), "source": source,
                                   "entitled": counts.to_numpy(dtype=np.int64)}))
    if not parts:
        return pd.DataFrame(columns=ENTITLED_COLUMNS)
    found = pd.concat(parts, ignore_index=True)
    return found[found["entitled"] > 0].sort_values(["org_id", "source"]).reset_index(drop=True)
