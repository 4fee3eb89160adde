"""The tree a period's results belong to (组织快照): organisations as they were when the period was scored.

:func:`take` writes it with the period's results (``scoring.write_scores``); :func:`named` is how every
reader of results joins it — the organisation's code, name and category, and its parent's, as they were —
so a rename, a move, a merge or a split later leaves a published period as it was published.
"""

from __future__ import annotations

from sqlalchemy import Connection, FromClause, Table, and_, delete, insert, literal, select

from .models import Organization, OrgSnapshot

__all__ = ["take", "named", "SNAPSHOT_COLUMNS"]

SNAPSHOT_COLUMNS = ("code", "name", "level", "parent_id", "category", "member_count", "secretary",
                    "secretary_term_start", "secretary_term_end")


def take(conn: Connection, *, tenant_id: int, cycle_id: int, period: str) -> None:
    """Replace the period's snapshot with the tenant's active organisations as they are now, in ``conn``'s
    transaction (one INSERT … SELECT: nothing passes through Python)."""
    s, o = OrgSnapshot.__table__, Organization.__table__
    conn.execute(delete(s).where(s.c.cycle_id == cycle_id, s.c.period == period))
    rows = select(literal(cycle_id), literal(period), o.c.id, *(o.c[name] for name in SNAPSHOT_COLUMNS)) \
        .where(o.c.tenant_id == tenant_id, o.c.active.is_(True))
    conn.execute(insert(s).from_select(["cycle_id", "period", "org_id", *SNAPSHOT_COLUMNS], rows))


def named(results: Table) -> tuple[FromClause, Table, Table]:
    """``results`` (the evaluation table, or an alias of it) joined to the snapshot of each result's organisation
    and, outer, of its parent: ``(joined, org, parent)`` — select ``org.c.name``, ``parent.c.code`` … from
    ``joined``."""
    org, parent = OrgSnapshot.__table__.alias("snap"), OrgSnapshot.__table__.alias("snap_parent")
    joined = results.join(org, and_(org.c.cycle_id == results.c.cycle_id, org.c.period == results.c.period,
                                    org.c.org_id == results.c.org_id)) \
        .outerjoin(parent, and_(parent.c.cycle_id == org.c.cycle_id, parent.c.period == org.c.period,
                                parent.c.org_id == org.c.parent_id))
    return joined, org, parent
