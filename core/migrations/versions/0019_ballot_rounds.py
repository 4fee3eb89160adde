"""Secret ballots (无记名民主测评): rounds drawn from the tree, one-time codes, an anonymous box.

- ``ballot_round``: one round of each kind per cycle and period — 民主测评 of the branches or 民主评议党员 — the
  day raters are drawn on, the deadline, open or closed.
- ``ballot_entitlement``: how many may vote on a branch in a source (应参评人数) and how many codes were issued:
  counts, never who.
- ``ballot_code``: the one-time codes, as SHA-256 digests only, each marked used once.
- ``cast_ballot``: the box — a ballot's answers under a random key, with no time, code or person.
- ``member_grade``: a member's tallies and grade in a review of members.
- ``rating.ballot_id``: the box's key on a rating counted from it — added in place (as migration 0017 says why), a
  plain column without a foreign key (SQLite adds none in place).

The ballots assigned to raters (``ballot``, migration 0004) move to the same model, and the table goes: each
cycle and period that had them becomes a closed round — entitled, per branch and source, as many as were
assigned; each submitted ballot a cast ballot under a random key, its rating pointing at it. A ballot assigned
but never submitted is not carried (a closed round takes no more). The ratings of the secret sources (党员群众、
其他支部书记、上级机关) lose the rater's name (a paper ballot's number, 票001, stays), and the rater role (测评人)
goes with its grants: a code is all a rater needs now. Audit rows written before this upgrade are left as they were (the trail is append-only).

Revision ID: 0019_ballot_rounds
Revises: 0018_members
Create Date: 2026-12-06 23:00:00
"""

import json
import re
import secrets
from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0019_ballot_rounds"
down_revision = "0018_members"
branch_labels = None
depends_on = None

SECRET_SOURCES = ("members", "peers", "superior")  # as core.ballots.secrecy.SECRET_SOURCES on this day


def _when(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "ballot_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        _when("opened_at", False),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        _when("closed_at", True),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycle.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cycle_id", "period", "kind"),
    )
    op.create_index(op.f("ix_ballot_round_tenant_id"), "ballot_round", ["tenant_id"], unique=False)
    op.create_table(
        "ballot_entitlement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("entitled", sa.Integer(), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["round_id"], ["ballot_round.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "org_id", "source"),
    )
    op.create_index(op.f("ix_ballot_entitlement_round_id"), "ballot_entitlement", ["round_id"], unique=False)
    op.create_table(
        "ballot_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["round_id"], ["ballot_round.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_ballot_code_round_id"), "ballot_code", ["round_id"], unique=False)
    op.create_index(op.f("ix_ballot_code_digest"), "ballot_code", ["digest"], unique=True)
    op.create_table(
        "cast_ballot",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("excluded", sa.String(length=300), nullable=True),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["round_id"], ["ballot_round.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_cast_ballot_round_id"), "cast_ballot", ["round_id"], unique=False)
    op.create_table(
        "member_grade",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("tallies", sa.JSON(), nullable=False),
        sa.Column("grade", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["round_id"], ["ballot_round.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "member_id"),
    )
    op.create_index(op.f("ix_member_grade_round_id"), "member_grade", ["round_id"], unique=False)
    op.add_column("rating", sa.Column("ballot_id", sa.String(length=32), nullable=True))
    _carry_assigned_ballots()
    _unname_secret_ratings()
    grant = sa.table("grant", sa.column("role", sa.String))
    op.execute(grant.delete().where(grant.c.role == "rater"))
    op.drop_table("ballot")


BALLOT_NUMBER = re.compile(r"^(票|No\.?|#)?\s*\d{1,8}$", re.IGNORECASE)  # as core.ballots.secrecy's on this day


def _unname_secret_ratings() -> None:
    """The raters' names off the secret sources' ratings; a paper ballot's number (票001) stays."""
    conn = op.get_bind()
    rating = sa.table("rating", sa.column("id", sa.Integer), sa.column("source", sa.String),
                      sa.column("rater", sa.String))
    named = conn.execute(sa.select(rating.c.id, rating.c.rater).where(
        rating.c.source.in_(SECRET_SOURCES), rating.c.rater != "")).all()
    names = [{"rid": i} for i, rater in named if not BALLOT_NUMBER.match(rater.strip())]
    if names:
        conn.execute(rating.update().where(rating.c.id == sa.bindparam("rid")).values(rater=""), names)


def _carry_assigned_ballots() -> None:
    """Each cycle and period's assigned ballots as a closed round: entitlements counted, the submitted ones cast."""
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT b.tenant_id, b.cycle_id, b.period, b.org_id, b.source, b.rating_id, r.indicator_code, r.score, "
        "r.level, r.note, r.date FROM ballot b LEFT JOIN rating r ON r.id = b.rating_id")).mappings().all()
    if not rows:
        return
    now = datetime.now(UTC)
    rounds: dict[tuple[int, int, str], list] = defaultdict(list)
    for row in rows:
        rounds[(row["tenant_id"], row["cycle_id"], row["period"])].append(row)
    for (tenant_id, cycle_id, period), ballots in rounds.items():
        days = [b["date"] for b in ballots if b["date"] is not None]
        day = max(days) if days else now.date()
        round_id = conn.execute(sa.text(
            "INSERT INTO ballot_round (tenant_id, cycle_id, period, kind, day, deadline, status, opened_by, opened_at, "
            "closed_by, closed_at) VALUES (:t, :c, :p, 'branches', :d, :d, 'closed', 'upgrade', :now, 'upgrade', :now) "
            "RETURNING id"), {"t": tenant_id, "c": cycle_id, "p": period, "d": day, "now": now}).scalar_one()
        entitled: dict[tuple[int, str], int] = defaultdict(int)
        for b in ballots:
            entitled[(b["org_id"], b["source"])] += 1
        for (org_id, source), count in entitled.items():
            conn.execute(sa.text("INSERT INTO ballot_entitlement (round_id, org_id, source, entitled, issued) "
                                 "VALUES (:r, :o, :s, :n, :n)"), {"r": round_id, "o": org_id, "s": source, "n": count})
        cast = [b for b in ballots if b["rating_id"] is not None]
        keys = sorted(secrets.token_hex(16) for _ in cast)  # random keys, stored in their own order
        for key, b in zip(keys, sorted(cast, key=lambda _: secrets.randbits(32))):
            answer = b["level"] if b["level"] is not None else b["score"]
            conn.execute(sa.text("INSERT INTO cast_ballot (id, round_id, org_id, source, answers, note, excluded, "
                                 "counted) VALUES (:k, :r, :o, :s, :a, :n, NULL, :yes)"),
                         {"k": key, "r": round_id, "o": b["org_id"], "s": b["source"], "yes": True,
                          "a": json.dumps({b["indicator_code"] or "": answer}, ensure_ascii=False), "n": b["note"] or ""})
            conn.execute(sa.text("UPDATE rating SET ballot_id = :k, rater = '' WHERE id = :id"),
                         {"k": key, "id": b["rating_id"]})


def downgrade() -> None:
    op.create_table(
        "ballot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("rater_id", sa.Integer(), nullable=False),
        sa.Column("rating_id", sa.Integer(), nullable=True),
        _when("assigned_at", False),
        _when("submitted_at", True),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycle.id"]),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["rater_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["rating_id"], ["rating.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cycle_id", "period", "org_id", "source", "rater_id"),
        sa.UniqueConstraint("rating_id"),
    )
    for column in ("tenant_id", "cycle_id", "org_id", "rater_id"):
        op.create_index(op.f(f"ix_ballot_{column}"), "ballot", [column], unique=False)
    op.drop_column("rating", "ballot_id")
    for table in ("member_grade", "cast_ballot", "ballot_code", "ballot_entitlement", "ballot_round"):
        op.drop_table(table)
