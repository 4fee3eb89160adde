"""Secret ballots (无记名民主测评): a round drawn from the tree, one-time codes kept as digests, an anonymous box
counted into ratings that name nobody, and a branch that sees a secret source only in aggregate."""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import DateTime, func, select
from sqlmodel import Session, SQLModel

from bastion.core import members, results, scoring
from bastion.core.ballots import box, codes, draw, rounds, secrecy
from bastion.core.db import transaction
from bastion.core.errors import BastionError, Conflict
from bastion.core.importing import ImportRejected, import_file
from bastion.core.models import AuditEvent, BallotCode, BallotRound, CastBallot, Organization, Rating
from bastion.core.rule_helpers import quorum_needed
from tests.core import people
from tests.core.people import person

pytestmark = pytest.mark.storage

DAY = date(2026, 6, 1)
LATER = date(2026, 6, 10)  # a day inside the round, before its deadline
DEADLINE = date(2026, 6, 15)


@pytest.fixture
def tree(engine, tenant):
    """people.tree (DW → ZZ1 → A, B; DW → ZZ2 → C) with a party group G under A, a branch D under ZZ1 with no
    secretary, party staff at DW (4) and ZZ2 (2), and a register: two members in A, one in its group, one in B."""
    ids = people.tree(engine, tenant)
    with transaction(engine) as session:
        session.add(Organization(tenant_id=tenant.id, code="G", name="第一党小组", level="group", parent_id=ids["A"]))
        session.add(Organization(tenant_id=tenant.id, code="D", name="D党支部", level="branch", parent_id=ids["ZZ1"]))
        session.get(Organization, ids["DW"]).party_staff_count = 4
        session.get(Organization, ids["ZZ2"]).party_staff_count = 2
    admin = person(engine, tenant, "admin", ("admin", "DW"))
    with transaction(engine) as session:
        for code, org in (("DY01", "A"), ("DY02", "A"), ("DY03", "G"), ("DY04", "B")):
            members.save_member(session, admin, code=code, org_code=org, name=f"党员{code}", joined_on=date(2010, 7, 1),
                                moved_on=date(2020, 1, 1), today=DAY)
    with Session(engine) as session:
        return {o.code: o.id for o in session.exec(select(Organization).where(Organization.tenant_id == tenant.id))
                .scalars()}


def open_round(engine, cycle, registry, period="2026") -> BallotRound:
    with transaction(engine) as session:
        return rounds.open_round(session, actor="office", cycle=cycle, period=period, registry=registry, day=DAY,
                                 deadline=DEADLINE)


def issue(engine, found) -> list[rounds.Slip]:
    with transaction(engine) as session:
        return rounds.issue_codes(session, actor="office", round_id=found.id)


def answers_for(engine, registry, code: str, score: float = 90.0) -> dict:
    with Session(engine) as session:
        paper = box.paper(session, code, registry, on=LATER)
    return {q.key: (q.levels[0] if q.qualitative else score) for q in paper.questions}


def cast(engine, registry, code: str, score: float = 90.0, **kwargs) -> box.Paper:
    answers = answers_for(engine, registry, code, score)
    with transaction(engine) as session:
        return box.cast(session, code, answers, registry, on=LATER, **kwargs)


def together(*work) -> None:
    """Run each of ``work`` in a thread of its own, all at once, and wait for them all."""
    threads = [threading.Thread(target=w) for w in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_a_round_draws_exactly_the_entitled_raters_of_each_source(engine, registry, tenant, cycle, tree):
    with engine.connect() as conn:
        drawn = draw.entitled(conn, tenant.id, DAY, secrecy.SECRET_SOURCES)
    by_code = {v: k for k, v in tree.items()}
    got = {(by_code[o], s, n) for o, s, n in drawn.itertuples(index=False)}
    assert got == {
        ("A", "members", 3), ("B", "members", 1),  # A's two and its group's one; C and D have none
        ("A", "peers", 1), ("B", "peers", 1), ("D", "peers", 2),  # ZZ1's secretaries but one's own; C is alone
        ("A", "superior", 4), ("B", "superior", 4), ("D", "superior", 4), ("C", "superior", 2),  # nearest staff
    }
    with engine.connect() as conn:  # on a day before anyone joined the register, nobody in it votes
        assert "members" not in set(draw.entitled(conn, tenant.id, date(2019, 1, 1), ["members"])["source"])
    found = open_round(engine, cycle, registry)
    with engine.connect() as conn:
        turnout = rounds.turnout(conn, found, registry)
    assert int(turnout["entitled"].sum()) == 3 + 1 + 1 + 1 + 2 + 4 + 4 + 4 + 2
    assert turnout["cast"].sum() == 0 and turnout["issued"].sum() == 0
    with pytest.raises(Conflict, match="已开启"):
        open_round(engine, cycle, registry)


def test_codes_are_issued_once_and_kept_only_as_digests(engine, registry, tenant, cycle, tree):
    found = open_round(engine, cycle, registry)
    slips = issue(engine, found)
    assert len(slips) == 22 and len({s.code for s in slips}) == 22
    assert sum(1 for s in slips if (s.org_code, s.source) == ("A", "members")) == 3
    assert len(issue(engine, found)) == 0  # issued once: nothing is made again
    with Session(engine) as session:
        stored = set(session.exec(select(BallotCode.digest)).scalars())
    assert stored == {hashlib.sha256(codes.normal(s.code).encode()).hexdigest() for s in slips}
    assert not any(codes.normal(s.code) in d or s.code in d for s in slips for d in stored)
    typed = slips[0].code.lower().replace("-", " ")  # as a person might type it back
    assert codes.digest(typed) == codes.digest(slips[0].code)


def test_a_code_casts_one_multi_question_ballot_once(engine, registry, tenant, cycle, tree):
    found = open_round(engine, cycle, registry)
    slip = next(s for s in issue(engine, found) if s.source == "superior")
    with Session(engine) as session:
        paper = box.paper(session, slip.code, registry, on=LATER)
    assert len(paper.questions) > 1 and paper.questions[0].key is None  # the overall score, and more
    answers = answers_for(engine, registry, slip.code)
    with transaction(engine) as session, pytest.raises(BastionError, match="打 0–100 分"):
        box.cast(session, slip.code, answers | {None: None}, registry, on=LATER)
    cast(engine, registry, slip.code)
    with pytest.raises(Conflict, match="已投过票"):
        cast(engine, registry, slip.code)
    with Session(engine) as session:
        (ballot,) = session.exec(select(CastBallot)).scalars().all()
        assert ballot.answers == {("" if k is None else k): v for k, v in answers.items()}
        assert session.exec(select(BallotCode.used).where(BallotCode.digest == codes.digest(slip.code))).scalar_one()
        said = session.exec(select(AuditEvent).where(AuditEvent.action == "cast")).scalars().one()
    assert said.actor == box.PAGE_ACTOR and said.new == {"org": slip.org_code, "source": "superior"}


def test_nothing_ties_a_rating_to_a_person_or_a_code(engine, registry, tenant, cycle, tree):
    tables = SQLModel.metadata.tables
    for name in ("rating", "cast_ballot"):
        targets = {fk.column.table.name for fk in tables[name].foreign_keys}
        assert not targets & {"user", "member", "ballot_code"}, (name, targets)
    assert not {fk.column.table.name for fk in tables["ballot_code"].foreign_keys} & {"cast_ballot", "rating"}
    assert not [c for c in tables["cast_ballot"].columns if isinstance(c.type, DateTime)]  # no time in the box
    assert not [c for c in tables["ballot_code"].columns if isinstance(c.type, DateTime)]
    found = open_round(engine, cycle, registry)
    for slip in issue(engine, found)[:6]:
        cast(engine, registry, slip.code, 77.0)
    with transaction(engine) as session:
        rounds.close_round(session, actor="office", round_id=found.id, on=LATER)
    with Session(engine) as session:
        counted = session.exec(select(Rating)).scalars().all()
        keys = set(session.exec(select(CastBallot.id)).scalars())
        audit = session.exec(select(AuditEvent.new).where(AuditEvent.action == "cast")).scalars().all()
    assert counted and all(r.rater == "" and r.ballot_id in keys for r in counted)
    assert not any("77" in str(said) for said in audit)  # the trail says a ballot was cast, never what it said


def test_closing_counts_the_box_into_ratings_once(engine, registry, tenant, cycle, tree):
    found = open_round(engine, cycle, registry)
    slips = issue(engine, found)
    mine = [s for s in slips if (s.org_code, s.source) == ("A", "members")]
    spare = next(s for s in slips if s.source == "superior")
    for slip, score in zip(mine, (80.0, 90.0, 10.0)):
        cast(engine, registry, slip.code, score)
    answers = answers_for(engine, registry, spare.code)
    with Session(engine) as session:
        low = next(b.id for b in session.exec(select(CastBallot)).scalars() if b.answers[""] == 10.0)
    with transaction(engine) as session, pytest.raises(BastionError, match="作废理由"):
        rounds.exclude(session, actor="office", round_id=found.id, ballot_id=low, reason=" ")
    with transaction(engine) as session:
        rounds.exclude(session, actor="office", round_id=found.id, ballot_id=low, reason="代投，经核实作废")
    with transaction(engine) as session:
        assert rounds.close_round(session, actor="office", round_id=found.id, on=LATER) == 2
    with transaction(engine) as session:
        assert rounds.close_round(session, actor="office", round_id=found.id, on=LATER) == 0  # acts once
    with Session(engine) as session:
        overall = session.exec(select(Rating.score).where(Rating.indicator_code.is_(None))).scalars().all()
        dates = set(session.exec(select(Rating.date)).scalars())
        assert all(b.counted for b in session.exec(select(CastBallot)).scalars())
        excluded = session.exec(select(AuditEvent.new).where(AuditEvent.action == "exclude")).scalars().one()
    assert sorted(overall) == [80.0, 90.0] and dates == {LATER}
    assert excluded == {"round": found.id, "reason": "代投，经核实作废"}
    with transaction(engine) as session, pytest.raises(Conflict, match="已结束"):
        box.cast(session, spare.code, answers, registry, on=LATER)
    with transaction(engine) as session, pytest.raises(Conflict, match="已计票"):
        rounds.exclude(session, actor="office", round_id=found.id, ballot_id=low, reason="再作废")


def test_a_code_after_the_deadline_or_in_a_closed_round_is_refused(engine, registry, tenant, cycle, tree):
    found = open_round(engine, cycle, registry)
    first, second = issue(engine, found)[:2]
    answers = answers_for(engine, registry, first.code)
    with transaction(engine) as session, pytest.raises(Conflict, match="截止"):
        box.cast(session, first.code, answers, registry, on=DEADLINE + timedelta(days=1))
    cast(engine, registry, first.code)
    with transaction(engine) as session:
        rounds.close_round(session, actor="office", round_id=found.id, on=LATER)
    with transaction(engine) as session, pytest.raises(Conflict, match="已结束"):
        box.cast(session, second.code, answers, registry, on=LATER)
    with Session(engine) as session, pytest.raises(BastionError, match="没有这个测评码"):
        box.paper(session, "ZZZZ-ZZZZ-ZZZZ", registry, on=LATER)
    with Session(engine) as session, pytest.raises(BastionError, match="不是有效的测评码"):
        box.paper(session, "hello", registry, on=LATER)


def test_concurrent_casting_loses_nothing_and_doubles_nothing(engine, registry, tenant, cycle, tree):
    found = open_round(engine, cycle, registry)
    slips = issue(engine, found)[:12]
    answers = {s.code: answers_for(engine, registry, s.code) for s in slips}
    outcomes: list[str] = []
    start = threading.Barrier(4)

    def voter(mine: list[rounds.Slip]) -> None:
        start.wait()
        for slip in mine:
            try:
                with transaction(engine) as session:
                    box.cast(session, slip.code, answers[slip.code], registry, on=LATER)
                outcomes.append("cast")
            except Conflict:
                outcomes.append("refused")

    # every code tried twice, by two different voters at once
    halves = [slips[:6], slips[6:], list(reversed(slips[:6])), list(reversed(slips[6:]))]
    together(*(lambda part=part: voter(part) for part in halves))
    assert sorted(outcomes) == ["cast"] * 12 + ["refused"] * 12
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(CastBallot)).scalar_one() == 12
        assert session.exec(select(func.count()).where(BallotCode.used.is_(True))).scalar_one() == 12


def test_the_branch_sees_a_secret_source_only_in_aggregate_from_three_ballots(engine, registry, tenant, cycle, tree):
    found = open_round(engine, cycle, registry)
    slips = issue(engine, found)
    for slip in [s for s in slips if (s.org_code, s.source) == ("A", "members")]:
        cast(engine, registry, slip.code, 88.0)
    for slip in [s for s in slips if (s.org_code, s.source) == ("A", "peers")]:
        cast(engine, registry, slip.code, 71.0)
    with transaction(engine) as session:
        rounds.close_round(session, actor="office", round_id=found.id, on=LATER)
    scoring.score_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    with engine.connect() as conn:
        explained = results.explain(conn, cycle=cycle, period="2026", org_code="A")
    assert not explained.evidence.get("rating")  # no single rating of a secret source, anywhere
    shown = {b["source"]: b for line in explained.lines for b in line.get("ballots", ())}
    assert shown["members"]["ballots"] == 3 and shown["members"]["mean"] == 88.0
    assert shown["peers"]["ballots"] == 1 and shown["peers"]["mean"] is None
    reasons = " ".join(line["reason"] for line in explained.lines)
    assert "其他支部书记 均分不公布（权重" in reasons and "其他支部书记 71" not in reasons
    assert "党员群众 88（权重" in reasons
    rows = results.evidence_rows(explained)
    assert set(rows["kind"]) <= {"ledger", "finding", "ballots"}
    assert any("不足 3 票" in d for d in rows["detail"])


def test_the_quorum_is_more_than_the_share_of_those_entitled():
    assert quorum_needed(np.array([8, 10, 3, 0]), 1, 0.5).tolist() == [5, 6, 2, 1]
    assert quorum_needed(np.array([8, 10]), 7, 0.5).tolist() == [7, 7]
    assert quorum_needed(np.array([8, 10]), 2, None).tolist() == [2, 2]


def test_an_imported_rating_of_a_secret_source_names_no_rater(engine, registry, tenant, cycle, tree, tmp_path):
    path = tmp_path / "测评.csv"
    path.write_text("组织编码,测评来源,测评人,指标编码,分数,等次,测评日期,备注\n"
                    "A,members,李明,,90,,2026-06-20,\nA,self,A书记,,95,,2026-06-20,\n"
                    "A,members,票001,,88,,2026-06-20,\nA,members,票002,,88,,2026-06-20,\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as refused:
        import_file(engine, tenant=tenant, kind="ratings", path=path, registry=registry, actor="admin")
    (error,) = refused.value.errors
    assert (error.row, error.field) == (2, "测评人") and "无记名" in error.reason


def test_the_ballots_assigned_to_raters_move_to_a_closed_round_and_name_nobody(tmp_path, registry):
    """0019 on a database of 0018: each cycle and period's assigned ballots become a closed round; a submitted one a
    ballot in the box with its rating pointing at it and no rater; the rater role's grants and the table go."""
    from alembic import command
    from sqlalchemy import MetaData, Table, insert, inspect

    from bastion.core import db
    from bastion.core.models import utcnow
    from tests import factories

    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        db.upgrade(engine)
        tenant = factories.tenant(engine, registry)
        cycle = factories.cycle(engine, registry, tenant)
        ids = factories.org_tree(engine, tenant, {"A": "机关"})
        with engine.begin() as conn:
            config = db.alembic_config(engine)
            config.attributes["connection"] = conn
            command.downgrade(config, "0018_members")
        now = utcnow()
        with db.begin(engine) as conn:  # the tables as 0018 had them
            tables = MetaData()
            rating, ballot, user, grant = (Table(n, tables, autoload_with=conn)
                                           for n in ("rating", "ballot", "user", "grant"))
            rated = [conn.execute(insert(rating).values(
                tenant_id=tenant.id, org_id=ids["A"], source=source, rater=rater, score=score, date=date(2026, 6, 1),
                note="好", recorded_at=now)).inserted_primary_key[0]
                for source, rater, score in (("members", "r1", 91), ("self", "A书记", 95), ("peers", "票007", 80))]
            users = [conn.execute(insert(user).values(tenant_id=tenant.id, username=name, display_name="",
                                                      password_hash="x", active=True, created_at=now))
                     .inserted_primary_key[0] for name in ("r1", "r2")]
            conn.execute(insert(grant).values(user_id=users[0], role="rater", org_id=ids["DW"]))
            for user_id, rating_id in zip(users, (rated[0], None)):
                conn.execute(insert(ballot).values(tenant_id=tenant.id, cycle_id=cycle.id, period="2026",
                                                   org_id=ids["A"], source="members", rater_id=user_id,
                                                   rating_id=rating_id, assigned_at=now,
                                                   submitted_at=now if rating_id else None))
        db.upgrade(engine)

        with Session(engine) as session:
            (found,) = session.exec(select(BallotRound)).scalars().all()
            (ballot,) = session.exec(select(CastBallot)).scalars().all()
            ratings = {r.id: r for r in session.exec(select(Rating)).scalars()}
        assert (found.period, found.status) == ("2026", "closed")
        with engine.connect() as conn:
            (counts,) = rounds.turnout(conn, found, registry)[["source", "entitled", "cast"]].itertuples(index=False)
            grants = conn.execute(select(func.count()).select_from(Table("grant", MetaData(), autoload_with=conn))
                                  ).scalar_one()
        assert tuple(counts) == ("members", 2, 1)
        assert ballot.answers == {"": 91} and ballot.counted and ballot.note == "好"
        assert ratings[rated[0]].ballot_id == ballot.id and ratings[rated[0]].rater == ""
        assert ratings[rated[1]].rater == "A书记"  # a self-assessment is not a secret ballot
        assert ratings[rated[2]].rater == "票007"  # a paper ballot's number names nobody
        assert grants == 0 and "ballot" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_anomaly_flags_find_the_planted_ballots_and_nothing_else(engine, registry, tenant, cycle, tree):
    from bastion.core.ballots import anomalies

    admin = person(engine, tenant, "office-2", ("admin", "DW"))
    with transaction(engine) as session:  # eight members each in A (with its group) and B
        for n in range(4, 9):
            members.save_member(session, admin, code=f"DX{n:02d}", org_code="A", name=f"甲{n}",
                                joined_on=date(2010, 7, 1), moved_on=date(2020, 1, 1), today=DAY)
        for n in range(1, 8):
            members.save_member(session, admin, code=f"DZ{n:02d}", org_code="B", name=f"乙{n}",
                                joined_on=date(2010, 7, 1), moved_on=date(2020, 1, 1), today=DAY)
    found = open_round(engine, cycle, registry)
    slips = issue(engine, found)

    def of(org: str, source: str) -> list[rounds.Slip]:
        return [s for s in slips if (s.org_code, s.source) == (org, source)]

    def vote(slip: rounds.Slip, score: float, level: str = "良好") -> None:
        with Session(engine) as session:
            paper = box.paper(session, slip.code, registry, on=LATER)
        answers = {q.key: (level if q.qualitative else score) for q in paper.questions}
        with transaction(engine) as session:
            box.cast(session, slip.code, answers, registry, on=LATER)

    assert (len(of("A", "members")), len(of("B", "members"))) == (8, 8)
    for slip, score in zip(of("A", "members"), (86, 88, 87, 89, 85, 88, 87, 20)):  # the last: an outlier
        vote(slip, score)
    for slip, score in zip(of("B", "members"), (80, 82, 79, 81, 80, 83, 78, 81)):
        vote(slip, score)
    for slip, (score, level) in zip(of("A", "superior"), ((86, "良好"), (84, "良好"), (88, "良好"), (100, "优秀"))):
        vote(slip, score, level)  # the last: every answer at the top of its scale
    for slip in of("B", "superior"):  # a lenient source at B
        vote(slip, 99)
    for slip in of("A", "peers") + of("B", "peers") + of("D", "peers") + of("C", "superior"):
        vote(slip, 82)
    vote(of("D", "superior")[0], 84)  # one of D's four superiors: low turnout
    with Session(engine) as session:
        key = {tuple(sorted((k, v) for k, v in b.answers.items())): b.id for b in session.exec(select(CastBallot))
               .scalars()}
    outlier = next(v for k, v in key.items() if ("", 20.0) in k)
    straight = next(v for k, v in key.items() if ("", 100.0) in k)
    with engine.connect() as conn:
        found_flags = anomalies.flags(conn, found, registry)
    got = {(r.kind, r.org_code, r.source, r.ballot_id) for r in found_flags.itertuples(index=False)}
    assert got == {("outlier", "A", "members", outlier), ("straight_line", "A", "superior", straight),
                   ("lenient", "B", "superior", None), ("turnout", "D", "superior", None)}
    with transaction(engine) as session:  # excluded, the outlier is flagged no more
        rounds.exclude(session, actor="office", round_id=found.id, ballot_id=outlier, reason="明显离群，经核实为误填")
    with engine.connect() as conn:
        assert "outlier" not in set(anomalies.flags(conn, found, registry)["kind"])


def test_the_modified_z_score_is_iglewicz_and_hoaglin_s():
    from bastion.core.ballots.anomalies import modified_z

    z = modified_z(np.array([86, 88, 87, 89, 85, 88, 87, 20.0]))
    assert abs(z[-1]) > 3.5 and all(abs(v) < 3.5 for v in z[:-1])
    assert modified_z(np.array([90, 90, 90, 90, 60.0]))[-1] < -3.5  # MAD 0: the mean absolute deviation stands in
    assert not modified_z(np.array([90.0] * 6)).any()


def test_a_quorum_as_a_share_is_of_those_the_round_drew(engine, registry, tenant, cycle, tree):
    """B5-3 asks more than half of those entitled: A's round drew 3 members, so 2 ballots count — though A has 6
    members by the time it is scored (the register's count would ask 4)."""
    from sqlalchemy.orm.attributes import flag_modified

    from bastion.core.models import Cycle

    def share(node):
        if isinstance(node, dict):
            if node.get("code") == "B5-3":
                node["params"] = node.get("params", {}) | {"quorum_share": 0.5}
            for value in node.values():
                share(value)
        elif isinstance(node, list):
            for value in node:
                share(value)

    with transaction(engine) as session:
        frozen = session.get(Cycle, cycle.id)
        share(frozen.scheme)
        flag_modified(frozen, "scheme")
    with Session(engine) as session:
        cycle = session.get(Cycle, cycle.id)
    found = open_round(engine, cycle, registry)
    admin = person(engine, tenant, "office-3", ("admin", "DW"))
    with transaction(engine) as session:  # three join A after the round was drawn
        for n in range(5, 8):
            members.save_member(session, admin, code=f"DY{n:02d}", org_code="A", name=f"丙{n}",
                                joined_on=date(2010, 7, 1), moved_on=LATER, today=LATER)
    mine = [s for s in issue(engine, found) if (s.org_code, s.source) == ("A", "members")]
    for slip in mine[:2]:
        cast(engine, registry, slip.code, 90.0)
    with transaction(engine) as session:
        rounds.close_round(session, actor="office", round_id=found.id, on=LATER)
    scoring.score_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    with engine.connect() as conn:
        explained = results.explain(conn, cycle=cycle, period="2026", org_code="A")
        assert get_org_count(conn, tree["A"]) == 6
    (line,) = [x for x in explained.lines if x["indicator_code"] == "B5-3"]
    assert "未达法定人数" not in line["reason"] and line["points"] > 0, line["reason"]


def get_org_count(conn, org_id: int) -> int:
    return conn.execute(select(Organization.member_count).where(Organization.id == org_id)).scalar_one()


def test_a_line_with_every_source_below_its_quorum_names_them(engine, registry, tenant, cycle, tree):
    found = open_round(engine, cycle, registry)
    mine = [s for s in issue(engine, found) if (s.org_code, s.source) == ("A", "members")]
    cast(engine, registry, mine[0].code, 90.0)
    with transaction(engine) as session:
        rounds.close_round(session, actor="office", round_id=found.id, on=LATER)
    from sqlalchemy.orm.attributes import flag_modified

    from bastion.core.models import Cycle

    with transaction(engine) as session:
        frozen = session.get(Cycle, cycle.id)
        for block in frozen.scheme["blocks"]:
            for spec in block["indicators"]:
                if spec["code"] == "B5-3":
                    spec["params"] = spec.get("params", {}) | {"quorum": 2}
        flag_modified(frozen, "scheme")
    with Session(engine) as session:
        cycle = session.get(Cycle, cycle.id)
    scoring.score_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    with engine.connect() as conn:
        (line,) = [x for x in results.explain(conn, cycle=cycle, period="2026", org_code="A").lines
                   if x["indicator_code"] == "B5-3"]
    assert "党员群众 1 票" in line["reason"] and "未达法定人数（须 2 票）" in line["reason"], line["reason"]
    assert line["reason"].endswith("0/5 分") and "无有效测评票" in line["reason"]


def test_a_review_of_members_grades_each_member_with_the_quota_and_leaves_probationers_ungraded(
        engine, registry, tenant, cycle, tree):
    from bastion.core.ballots import member_review
    from bastion.core.models import MemberGrade, RoundKind

    admin = person(engine, tenant, "office-4", ("admin", "DW"))
    with transaction(engine) as session:  # A: DY01–DY03 and three more, DY07 probationary
        for code, status in (("DY05", "full"), ("DY06", "full"), ("DY07", "probationary")):
            members.save_member(session, admin, code=code, org_code="A", name=f"党员{code}", status=status,
                                joined_on=date(2025, 12, 1) if status == "probationary" else date(2010, 7, 1),
                                moved_on=date(2025, 12, 1), today=DAY)
    with transaction(engine) as session:
        found = rounds.open_round(session, actor="office", cycle=cycle, period="2026", registry=registry, day=DAY,
                                  deadline=DEADLINE, kind=RoundKind.members.value)
    slips = [s for s in issue(engine, found) if s.org_code == "A"]
    assert len(slips) == 6 and {s.source for s in slips} == {"members"}
    with Session(engine) as session:
        paper = box.paper(session, slips[0].code, registry, on=LATER)
    assert [q.key for q in paper.questions] == ["DY01", "DY02", "DY03", "DY05", "DY06", "DY07"]
    assert paper.questions[-1].label.endswith("（预备党员）") and paper.questions[0].choices[0] == "优秀"
    # six ballots: DY01, DY02, DY03 and DY07 a majority of 优秀 (DY01 the most); DY06 a majority of 不合格
    votes = {"DY01": ["优秀"] * 6, "DY02": ["优秀"] * 4 + ["合格"] * 2, "DY03": ["优秀"] * 5 + ["合格"],
             "DY05": ["合格"] * 6, "DY06": ["不合格"] * 4 + ["基本合格"] * 2, "DY07": ["优秀"] * 6}
    for n, slip in enumerate(slips):
        with transaction(engine) as session:
            box.cast(session, slip.code, {code: levels[n] for code, levels in votes.items()}, registry, on=LATER)
    with transaction(engine) as session:
        assert rounds.close_round(session, actor="office", round_id=found.id, on=LATER) == 6
    with engine.connect() as conn:
        graded = member_review.read_grades(conn, found).set_index("code")
        assert not conn.execute(select(func.count()).select_from(Rating)).scalar_one()  # no rating of a branch
    # five graded (DY07 is probationary): 优秀 for at most floor(5/3) = 1 — DY01, with the most 优秀 ballots
    assert graded.loc[["DY01", "DY02", "DY03", "DY05", "DY06"], "grade"].tolist() == ["优秀", "合格", "合格", "合格",
                                                                                     "不合格"]
    assert "名额至多 1 名" in graded.loc["DY03", "reason"] and graded.loc["DY07", "grade"] is None
    assert graded.loc["DY07", "tallies"] == {"优秀": 6} and "预备党员" in graded.loc["DY07", "reason"]
    with Session(engine) as session:
        assert len(session.exec(select(MemberGrade)).scalars().all()) == 7  # A's six and B's one (no ballot)
    branch_round = open_round(engine, cycle, registry)  # the same period's 民主测评 of the branches, beside it
    assert branch_round.kind == RoundKind.branches.value


def test_the_grades_follow_the_majority_and_the_quota_rule():
    from bastion.core.ballots.member_review import grade_members
    from bastion.core.scheme import MemberReview

    rule = MemberReview()
    tallies = {"a": {"优秀": 2, "合格": 1}, "b": {"合格": 1, "基本合格": 1}, "c": {}, "d": {"优秀": 3}}
    got = grade_members(tallies, {"d": "probationary"}, rule)  # two graded: a third of them is no one
    assert (got["a"].grade, got["b"].grade, got["c"].grade, got["d"].grade) == ("合格", "基本合格", None, None)
    graded = grade_members(tallies, {}, MemberReview(grade_probationary=True))  # 3 graded: one 优秀 at most
    assert (graded["d"].grade, graded["a"].grade) == ("优秀", "合格")
    with pytest.raises(ValueError, match="最低等次不能设名额|lowest level"):
        MemberReview(quotas={"不合格": 0.1})


def test_two_openings_at_once_open_one_round(engine, registry, tenant, cycle, tree):
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def opener() -> None:
        start.wait()
        try:
            open_round(engine, cycle, registry)
            outcomes.append("opened")
        except Conflict:
            outcomes.append("refused")

    together(opener, opener)
    assert sorted(outcomes) == ["opened", "refused"]
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(BallotRound)).scalar_one() == 1


def test_a_close_beside_casting_counts_every_ballot_cast_and_nothing_after(engine, registry, tenant, cycle, tree):
    found = open_round(engine, cycle, registry)
    slips = issue(engine, found)
    answers = {s.code: answers_for(engine, registry, s.code) for s in slips}
    cast_ok: list[str] = []
    start = threading.Barrier(3)

    def voter(mine: list[rounds.Slip]) -> None:
        start.wait()
        for slip in mine:
            try:
                with transaction(engine) as session:
                    box.cast(session, slip.code, answers[slip.code], registry, on=LATER)
                cast_ok.append(slip.code)
            except Conflict:
                pass  # the round closed first

    def closer() -> None:
        start.wait()
        time.sleep(0.05)
        with transaction(engine) as session:
            rounds.close_round(session, actor="office", round_id=found.id, on=LATER)

    together(lambda: voter(slips[::2]), lambda: voter(slips[1::2]), closer)
    with Session(engine) as session:
        in_box = session.exec(select(func.count()).select_from(CastBallot)).scalar_one()
        counted = session.exec(select(func.count(func.distinct(Rating.ballot_id)))).scalar_one()
        used = session.exec(select(func.count()).where(BallotCode.used.is_(True))).scalar_one()
    assert in_box == counted == used == len(cast_ok)  # every ballot cast was counted; none landed after the count


def test_a_general_branch_of_many_draws_at_most_ten_peers_a_branch(engine, registry, tenant, cycle, tree):
    with transaction(engine) as session:
        for n in range(12):
            session.add(Organization(tenant_id=tenant.id, code=f"E{n:02d}", name=f"E{n}党支部", level="branch",
                                     parent_id=tree["ZZ2"], secretary=f"E{n}书记"))
    with engine.connect() as conn:
        drawn = draw.entitled(conn, tenant.id, DAY, ["peers"]).set_index("org_id")["entitled"]
    assert drawn[tree["C"]] == draw.PEERS_AT_MOST  # C has twelve sibling secretaries now
    assert drawn[tree["A"]] == 1  # A's sibling with a secretary: B


def test_a_period_is_not_closed_while_a_round_counting_in_it_is_open(engine, registry, tenant, cycle, tree):
    from bastion.core.scoring import Outdated

    found = open_round(engine, cycle, registry)
    slip = issue(engine, found)[0]
    cast(engine, registry, slip.code)
    scoring.score_period(engine, cycle=cycle, period_key="2026-Q4", registry=registry, actor="test")
    with pytest.raises(Outdated, match="民主测评尚未结束计票"):  # the year's ballots are dated in its fourth quarter
        scoring.publish_period(engine, cycle=cycle, period_key="2026-Q4", registry=registry, actor="test")
    with transaction(engine) as session:
        rounds.close_round(session, actor="office", round_id=found.id, on=date(2026, 12, 20))
    scoring.score_period(engine, cycle=cycle, period_key="2026-Q4", registry=registry, actor="test")
    scoring.publish_period(engine, cycle=cycle, period_key="2026-Q4", registry=registry, actor="test")


def test_two_sheets_at_once_issue_each_code_once(engine, registry, tenant, cycle, tree):
    found = open_round(engine, cycle, registry)
    made: list[int] = []

    def sheet() -> None:
        made.append(len(issue(engine, found)))

    together(sheet, sheet)
    with Session(engine) as session:
        stored = session.exec(select(func.count()).select_from(BallotCode)).scalar_one()
    assert sorted(made) == [0, 22] and stored == 22  # one sheet has them all; the other none
