"""Ballots (测评票): assigned by an administrator, seen and submitted once by their rater only, counted
against the scheme's quorum."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from bastion.core import ballots, i18n, periods, scoring
from bastion.core.access import Forbidden
from bastion.core.db import transaction
from bastion.core.errors import BastionError, Conflict, NotFound
from bastion.core.models import AuditEvent, Ballot, Rating
from sqlmodel import Session, select

from tests import factories
from tests.core.test_workspace import People, cheap_password_hashes, people, principal  # noqa: F401


@pytest.fixture
def folks(engine, registry, tenant) -> People:
    return people(engine, registry, tenant)


def assign(engine, cycle, *codes, source="members", rater="rater", period="2026"):
    with transaction(engine) as session:
        return ballots.assign_ballots(session, actor="admin", cycle=cycle, period=period, source=source,
                                      rater_username=rater, org_codes=codes)


def submit(engine, who, ballot_id, registry, **answer):
    with transaction(engine) as session:
        return ballots.submit_ballot(session, who, ballot_id=ballot_id, registry=registry,
                                     today=date(2026, 5, 1), **answer)


def test_ballots_are_assigned_once_per_rater_branch_and_source(engine, registry, cycle, folks):
    made = assign(engine, cycle, "A", "B")
    again = assign(engine, cycle, "A", "B", " A ")
    peers = assign(engine, cycle, "A", source="peers")
    assert len(made) == 2 and again == [] and len(peers) == 1
    with Session(engine) as session:
        rows = session.exec(select(Ballot).order_by(Ballot.id)).all()
        events = session.exec(select(AuditEvent).where(AuditEvent.entity == "ballot")).all()
    assert [(b.org_id, b.source, b.period, b.rater_id) for b in rows] == [
        (folks.ids["A"], "members", "2026", folks.rater.user_id), (folks.ids["B"], "members", "2026", folks.rater.user_id),
        (folks.ids["A"], "peers", "2026", folks.rater.user_id)]
    assert [e.new["orgs"] for e in events] == [["A", "B"], [], ["A"]]


BAD_ASSIGNMENTS = [
    ({"period": "2025"}, BastionError, "考核期：2025 不在 2026 考核年度内", "period: 2025 is outside the 2026 cycle"),
    ({"period": "2026-13"}, BastionError, "考核期：'2026-13' 不是考核期", "period: not a period"),
    ({"source": "crowd"}, BastionError, "测评来源：没有测评来源 'crowd'", "source: no rating source 'crowd'"),
    ({"rater": "nobody"}, NotFound, "测评人：本单位没有用户 'nobody'", "rater: no user 'nobody'"),
    ({"rater": "sec-a"}, BastionError, "测评人：sec-a 没有测评人角色", "rater: sec-a does not have the rater role"),
    ({"codes": ("ZZ1",)}, BastionError, "ZZ1 不是党支部", "ZZ1 are not branches"),
    ({"codes": ("A", "Q")}, NotFound, "本单位没有组织 Q", "no organisation Q"),
    ({"codes": ()}, BastionError, "请至少指定一个被测评的党支部", "name at least one branch"),
]


def test_a_bad_assignment_is_refused_by_field(engine, registry, cycle, folks):
    for change, error, message, english in BAD_ASSIGNMENTS:
        change = dict(change)
        codes = change.pop("codes", ("A",))
        with pytest.raises(error, match=message):
            assign(engine, cycle, *codes, **change)
        with i18n.using("en"), pytest.raises(error, match=english):
            assign(engine, cycle, *codes, **change)
    with Session(engine) as session:
        assert not session.exec(select(Ballot)).all()


def test_only_an_administrator_over_the_branches_assigns_through_the_ui(engine, registry, tenant, cycle, folks):
    sub_admin = principal(engine, tenant, "sub-admin", ("admin", "A"))
    with transaction(engine) as session:
        made = ballots.assign(session, folks.admin, cycle=cycle, period="2026", source="members",
                              rater_username="rater", org_codes=["A", "B"])
        assert len(made) == 2
        for who, codes in ((folks.leader, ["A"]), (folks.secretary, ["A"]), (folks.rater, ["A"]),
                           (sub_admin, ["A", "B"]), (folks.stranger, ["A"])):
            with pytest.raises(Forbidden):
                ballots.assign(session, who, cycle=cycle, period="2026", source="peers", rater_username="rater",
                               org_codes=codes)


def test_a_rater_sees_and_submits_only_their_own_ballots_once(engine, registry, tenant, cycle, folks):
    second = principal(engine, tenant, "rater-2", ("rater", None))
    mine = assign(engine, cycle, "A", "B")
    theirs = assign(engine, cycle, "A", rater="rater-2")
    with engine.connect() as conn:
        listed = ballots.my_ballots(conn, folks.rater)
        assert ballots.my_ballots(conn, second)["ballot_id"].tolist() == [theirs[0].id]
        assert ballots.my_ballots(conn, folks.secretary).empty
    assert listed["ballot_id"].tolist() == [b.id for b in mine] and listed["submitted_at"].isna().all()

    rating = submit(engine, folks.rater, mine[0].id, registry, score=87.5, note="满意")
    with Session(engine) as session:
        ballot = session.get(Ballot, mine[0].id)
        stored = session.get(Rating, rating.id)
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "submit")).one()
    assert (ballot.rating_id, ballot.submitted_at is not None) == (rating.id, True)
    assert (stored.rater, stored.source, stored.org_id, stored.score, stored.indicator_code, stored.date) == (
        "rater", "members", folks.ids["A"], 87.5, None, date(2026, 5, 1))
    assert (event.actor, event.entity_id, event.new["score"]) == ("rater", str(mine[0].id), 87.5)

    with pytest.raises(Conflict, match="每张测评票只能提交一次"):
        submit(engine, folks.rater, mine[0].id, registry, score=10)
    for who, ballot_id in ((second, mine[1].id), (folks.rater, theirs[0].id), (folks.admin, mine[1].id),
                           (folks.stranger, mine[1].id), (folks.rater, 999_999)):
        with pytest.raises(Forbidden, match="未分配给|无权提交测评票"):
            submit(engine, who, ballot_id, registry, score=50)
    with engine.connect() as conn:
        seen = ballots.my_ballots(conn, folks.rater).set_index("ballot_id")
        others = ballots.my_ballots(conn, second)
    assert seen.loc[mine[0].id, "score"] == 87.5 and seen.loc[mine[0].id, "note"] == "满意"
    assert others["score"].isna().all()  # another rater never sees this rater's answer
    with Session(engine) as session:
        assert len(session.exec(select(Rating)).all()) == 1


def test_the_answer_follows_what_the_scheme_asks_of_the_source(engine, registry, cycle, folks):
    (superior,) = assign(engine, cycle, "A", source="superior")
    with engine.connect() as conn:
        asked = ballots.questions(conn, cycle, "superior", registry)
    assert [(q.indicator_code, q.qualitative) for q in asked] == [(None, False), ("B1-4", True)]
    with pytest.raises(BastionError, match="等次：请为“.*”选择 优秀、良好"):
        submit(engine, folks.rater, superior.id, registry, indicator_code="B1-4", score=90)
    with pytest.raises(BastionError, match="分数：120 不在 0–100 之间"):
        submit(engine, folks.rater, superior.id, registry, score=120)
    with pytest.raises(BastionError, match="分数：请为"):
        submit(engine, folks.rater, superior.id, registry)
    with pytest.raises(BastionError, match="测评票不含 'B2-1'"):
        submit(engine, folks.rater, superior.id, registry, indicator_code="B2-1", score=80)
    rating = submit(engine, folks.rater, superior.id, registry, indicator_code="B1-4", level="良好")
    assert (rating.indicator_code, rating.level, rating.score) == ("B1-4", "良好", None)


def test_a_ballot_of_a_published_period_is_closed_and_ratings_are_dated_inside_the_period(engine, registry, cycle,
                                                                                          folks):
    (half,) = assign(engine, cycle, "A", period="2026-H1")
    (year,) = assign(engine, cycle, "B", period="2026")
    scoring.score_period(engine, cycle=cycle, period_key="2026-H1", registry=registry, actor="test")
    scoring.publish_period(engine, cycle=cycle, period_key="2026-H1", registry=registry, actor="test")
    with pytest.raises(Conflict, match="测评已截止"):
        submit(engine, folks.rater, half.id, registry, score=80)
    with transaction(engine) as session:
        rating = ballots.submit_ballot(session, folks.rater, ballot_id=year.id, registry=registry, score=80,
                                       today=date(2027, 1, 3))
    assert rating.date == date(2026, 12, 31)
    assert periods.dated_inside(periods.Period.parse("2026-H1"), date(2025, 11, 1)) == date(2026, 1, 1)


def test_the_quorum_counts_submitted_against_assigned_and_shows_the_scheme_s_quorum(engine, registry, folks):
    tenant = factories.tenant(engine, registry, code="resp",
                              plugins=("standard-rules", "standard-ledgers", "responsibility-system"))
    cycle = factories.cycle(engine, registry, tenant, scheme_id="responsibility-system")
    factories.org_tree(engine, tenant, {"R1": "机关", "R2": "机关"})
    voters = [principal(engine, tenant, f"voter-{n}", ("rater", None)) for n in range(3)]
    admin = principal(engine, tenant, "resp-admin", ("admin", None))
    for voter in voters:
        assign(engine, cycle, "R1", rater=voter.username)
    assign(engine, cycle, "R2", rater="voter-0", source="self")
    for voter in voters[:2]:
        with engine.connect() as conn:
            ballot_id = int(ballots.my_ballots(conn, voter, cycle_id=cycle.id)["ballot_id"].iloc[0])
        submit(engine, voter, ballot_id, registry, score=90)
    with engine.connect() as conn:
        seen_by_admin = ballots.read_quorum(conn, admin, registry=registry, cycle_id=cycle.id)
        seen_by_last = ballots.read_quorum(conn, voters[2], registry=registry)
        seen_elsewhere = ballots.read_quorum(conn, folks.admin, registry=registry)
    rows = seen_by_admin.set_index(["org_code", "source"])
    assert rows.loc[("R1", "members"), ["assigned", "submitted", "quorum", "met"]].tolist() == [3, 2, 2, True]
    unread = rows.loc[("R2", "self")]  # no rule of the scheme reads self-assessments: no quorum
    assert (unread["assigned"], unread["submitted"]) == (1, 0) and pd.isna(unread["quorum"]) and pd.isna(unread["met"])
    assert seen_by_last[["org_code", "source", "assigned", "submitted"]].values.tolist() == [["R1", "members", 3, 2]]
    assert seen_elsewhere.empty  # another tenant's administrator


def test_the_target_table_scheme_reads_the_overall_quorum_of_its_ballot_rules(engine, registry, cycle, folks):
    with engine.connect() as conn:
        readers = ballots.rating_readers(conn, cycle, registry)
    assert {r.indicator_code: (r.sources, r.per_indicator, r.quorum) for r in readers} == {
        "B1-4": (("superior",), True, None), "B5-3": (("members",), False, 1),
        "B6-4": (("self", "peers", "superior"), False, 1)}
    assert ballots.source_quorum(readers, "superior") == 1 and ballots.source_quorum(readers, "forum") is None


def test_the_quorum_of_a_branch_is_seen_within_the_roles_reach(engine, registry, cycle, folks):
    assign(engine, cycle, "A", "B")
    with engine.connect() as conn:
        def branches(who):
            return ballots.read_quorum(conn, who, registry=registry)["org_code"].tolist()

        assert branches(folks.leader) == ["A", "B"] and branches(folks.rater) == ["A", "B"]
        assert branches(folks.secretary) == ["A"] and branches(folks.other_secretary) == ["B"]
        assert branches(folks.stranger) == []
