"""Standings (分类定级、提档升级) through the database: graded at the year's publication, watched in the quarters,
held across cycles, decided once, decided again on correction, set by hand; and the scheme's rules validated.

Five branches A–E on the responsibility-system scheme (five stars, start 三星; up one for 第一档, down one when vetoed,
graded 差 or in 第三档; a branch the grading raised that falls to 第三档 or is vetoed in a quarter or half relapses
and loses a star, once between gradings). Every branch does all its work and is rated 100 by every layer, so its
total is 100 less 2 points per check finding (K5): the findings alone order them, and every total stays 好.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from bastion.core import audit, scoring, standings, users
from bastion.core.access import Forbidden
from bastion.core.corrections import correct_points
from bastion.core.db import transaction
from bastion.core.errors import BastionError
from bastion.core.lifecycle import AlreadyDone
from bastion.core.models import AuditEvent, Standing
from bastion.core.periods import Period
from bastion.core.registry import scheme_faults
from bastion.core.results import read_incentives, read_results
from bastion.core.scheme import Scheme
from bastion.plugins.responsibility_system import SCHEME
from tests import factories

PLUGINS = ("standard-rules", "standard-ledgers", "responsibility-system")
BRANCHES = ("A", "B", "C", "D", "E")
PUBLISHED = {"2026": datetime(2027, 1, 15, 1, tzinfo=UTC), "2027-Q1": datetime(2027, 4, 5, 1, tzinfo=UTC),
             "2027-Q2": datetime(2027, 7, 5, 1, tzinfo=UTC), "2027": datetime(2028, 1, 15, 1, tzinfo=UTC)}


def publish(engine, registry, cycle, period: str) -> None:
    scoring.score_period(engine, cycle=cycle, period_key=period, registry=registry, actor="test")
    scoring.publish_period(engine, cycle=cycle, period_key=period, registry=registry, actor="test",
                           now=PUBLISHED[period])


@pytest.fixture
def graded(engine, registry):
    """The 2026 year graded: A first (no finding) … E last (4 findings)."""
    tenant = factories.tenant(engine, registry, plugins=PLUGINS)
    cycle = factories.cycle(engine, registry, tenant, year=2026, scheme_id="responsibility-system")
    ids = factories.org_tree(engine, tenant, dict.fromkeys(BRANCHES, "机关"))
    factories.a_year_of_work(engine, tenant, ids, 2026)
    factories.findings(engine, tenant, ids, date(2026, 5, 1), B=1, C=2, D=3, E=4)
    publish(engine, registry, cycle, "2026")
    return tenant, cycle, ids


def now_held(engine, tenant, ids) -> dict[str, str]:
    with engine.connect() as conn:
        held = standings.current(conn, tenant.id)
    return dict(zip(held["code"], held["standing"]))


def test_a_branch_climbs_at_the_grading_relapses_in_a_quarter_and_is_flagged(engine, registry, graded):
    tenant, cycle, ids = graded
    with engine.connect() as conn:
        tiers = dict(zip(*read_results(conn, cycle.id, "2026")[["code", "tier"]].T.to_numpy()))
        steps = standings.period_steps(conn, cycle.id, "2026")
    assert tiers == {"A": "第一档", "B": "第二档", "C": "第二档", "D": "第二档", "E": "第三档"}
    # Each starts at 三星; A climbs, E goes down, the others hold.
    assert (steps["kind"] == "initial").sum() == 5
    assert now_held(engine, tenant, ids) == {"A": "四星", "B": "三星", "C": "三星", "D": "三星", "E": "二星"}

    # 2027: A neglects its work in the first quarter (5 findings) and falls to the bottom tier.
    cycle27 = factories.cycle(engine, registry, tenant, year=2027, scheme_id="responsibility-system")
    factories.a_year_of_work(engine, tenant, ids, 2027)
    factories.findings(engine, tenant, ids, date(2027, 2, 1), A=5)
    publish(engine, registry, cycle27, "2027-Q1")
    with engine.connect() as conn:
        flagged = standings.relapses(conn, tenant.id)
        q1 = read_incentives(conn, cycle27.id, "2027-Q1")
        q1_tiers = dict(zip(*read_results(conn, cycle27.id, "2027-Q1")[["code", "tier"]].T.to_numpy()))
    assert q1_tiers["A"] == "第三档"
    assert flagged[["code", "period", "previous", "standing"]].to_dict("records") == [
        {"code": "A", "period": "2027-Q1", "previous": "四星", "standing": "三星"}]
    assert flagged.iloc[0]["reason"] == "2027年第1季度处于第三档，出现反弹：四星 → 三星"
    assert now_held(engine, tenant, ids)["A"] == "三星"  # the scheme takes a star (take_on_relapse: drop_one)
    revoked = q1[q1["award"] == "level_revoked"]  # the policy cashes the relapse the rules decided
    assert list(revoked["code"]) == ["A"] and revoked.iloc[0]["title"] == "2027年第1季度出现反弹，四星降为三星"
    # E, in the bottom tier last year but never raised, is not watched (watch: promoted); nor flagged again.
    factories.findings(engine, tenant, ids, date(2027, 5, 1), A=5)
    publish(engine, registry, cycle27, "2027-Q2")
    with engine.connect() as conn:
        assert list(standings.relapses(conn, tenant.id)["period"]) == ["2027-Q1"]  # once between gradings
        assert standings.period_steps(conn, cycle27.id, "2027-Q2").empty


def test_the_next_grading_starts_from_the_standing_held(engine, registry, graded):
    tenant, _, ids = graded
    cycle27 = factories.cycle(engine, registry, tenant, year=2027, scheme_id="responsibility-system")
    factories.a_year_of_work(engine, tenant, ids, 2027)
    # 2027: B is first now; E last again; A in the middle.
    factories.findings(engine, tenant, ids, date(2027, 5, 1), A=1, C=2, D=3, E=4)
    publish(engine, registry, cycle27, "2027")
    held = now_held(engine, tenant, ids)
    # B 三星 → 四星; E 二星 → 一星 (from last year's 二星, not the start); A holds its 四星; none starts again.
    assert held == {"A": "四星", "B": "四星", "C": "三星", "D": "三星", "E": "一星"}
    with engine.connect() as conn:
        steps = standings.period_steps(conn, cycle27.id, "2027")
        history = standings.history(conn, tenant.id, org_id=ids["E"])
    assert set(steps["kind"]) == {"graded"}
    assert list(history["standing"]) == ["三星", "二星", "一星"]
    assert list(history["kind"]) == ["initial", "graded", "graded"]
    assert history.iloc[-1]["reason"] == "2027年度处于第三档，降档：二星 → 一星"


def test_publishing_twice_acts_once(engine, registry, graded):
    _, cycle, _ = graded
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(Standing)).scalar_one()
    with pytest.raises(AlreadyDone):
        scoring.publish_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    with transaction(engine) as session:  # the rules asked again for a period decided: nothing added
        assert standings.record(session.connection(), cycle=cycle, period=Period.parse("2026"), actor="test") == 0
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Standing)).scalar_one() == before == 10
        decided = conn.execute(select(func.count()).select_from(AuditEvent)
                               .where(AuditEvent.entity == "standings", AuditEvent.action == "decide")).scalar_one()
    assert decided == 1


def test_the_history_is_append_only(engine, registry, graded):
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE standing SET standing = '五星'"))
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM standing"))


def test_a_correction_decides_again_and_later_periods_follow(engine, registry, graded, cheap_passwords):
    tenant, cycle, ids = graded
    cycle27 = factories.cycle(engine, registry, tenant, year=2027, scheme_id="responsibility-system")
    factories.a_year_of_work(engine, tenant, ids, 2027)
    factories.findings(engine, tenant, ids, date(2027, 2, 1), A=5)
    publish(engine, registry, cycle27, "2027-Q1")  # A relapses: 四星 → 三星
    with transaction(engine) as session:
        users.create_user(session, tenant=tenant, username="admin", password="Admin@2026", grants=[("admin", None)],
                          actor="test")
    admin = users.lookup_principal(engine, tenant.id, "admin")
    # An appeal upheld: A's 2026 study (K6, 6 points) was not done. A (94) falls behind B (98) and C (96), ties D
    # (94) and ranks before it by code: B is first, A in the middle.
    done = correct_points(engine, admin, cycle=cycle, period="2026", org_code="A", indicator_code="K6", points=0,
                          reason="申诉核实：集中学习记录不实", registry=registry)
    assert set(done.changed["code"]) >= {"A", "B"}
    held = now_held(engine, tenant, ids)
    # A was never raised: it holds 三星, and its Q1 relapse is no longer one (it was not promoted); B climbs.
    assert (held["A"], held["B"]) == ("三星", "四星")
    with engine.connect() as conn:
        a = standings.history(conn, tenant.id, org_id=ids["A"])
        flagged = standings.relapses(conn, tenant.id)
        redecided = conn.execute(select(AuditEvent.note, AuditEvent.new)
                                 .where(AuditEvent.entity == "standings", AuditEvent.action == "redecide")).all()
    assert flagged.empty
    assert list(zip(a["kind"], a["standing"], a["superseded"], a["revision"])) == [
        ("initial", "三星", False, 0),
        ("graded", "四星", True, 0), ("graded", "三星", False, 1),  # the revision right after the step it revises
        ("relapse", "三星", True, 0), ("relapse", "三星", False, 1),
    ]
    assert a.iloc[2]["reason"].startswith("更正后重新认定（申诉核实：集中学习记录不实）：2026年度")
    assert a.iloc[4]["reason"] == ("更正后重新认定（申诉核实：集中学习记录不实）：2027年第1季度不再认定（原：三星）")
    ((note, new),) = redecided
    assert note == "申诉核实：集中学习记录不实"
    changes = {(c["org_id"], c["period"], c["kind"]): (c["old"], c["new"]) for c in new["changes"]}
    assert changes[(ids["A"], "2026", "graded")] == ("四星", "三星")
    assert changes[(ids["B"], "2026", "graded")] == ("三星", "四星")
    assert changes[(ids["A"], "2027-Q1", "relapse")] == ("三星", None)
    with engine.connect() as conn:
        assert audit.verify(conn, tenant.id).intact


def test_an_administrator_sets_a_standing_by_hand(engine, registry, graded, cheap_passwords):
    tenant, _, ids = graded
    with transaction(engine) as session:
        users.create_user(session, tenant=tenant, username="admin", password="Admin@2026", grants=[("admin", None)],
                          actor="test")
        users.create_user(session, tenant=tenant, username="sec", password="Secret@2026",
                          grants=[("secretary", "C")], actor="test")
    admin = users.lookup_principal(engine, tenant.id, "admin")
    with transaction(engine) as session:
        done = standings.set_standing(session.connection(), admin, org_code="c", standing="五星",
                                      reason="年初分类定级：示范党支部")
    assert (done["previous"], done["standing"]) == ("三星", "五星")
    assert now_held(engine, tenant, ids)["C"] == "五星"
    with engine.connect() as conn:
        last = standings.history(conn, tenant.id, org_id=ids["C"]).iloc[-1]
    assert (last["kind"], last["actor"], last["reason"]) == ("manual", "admin", "上级定级：年初分类定级：示范党支部")
    with transaction(engine) as session, pytest.raises(BastionError, match="不在方案的星级序列中"):
        standings.set_standing(session.connection(), admin, org_code="C", standing="六星", reason="x")
    with transaction(engine) as session, pytest.raises(BastionError, match="须写明理由"):
        standings.set_standing(session.connection(), admin, org_code="C", standing="四星", reason=" ")
    secretary = users.lookup_principal(engine, tenant.id, "sec")
    with transaction(engine) as session, pytest.raises(Forbidden):
        standings.set_standing(session.connection(), secretary, org_code="C", standing="四星", reason="自评")


# --- the rules, without the database --------------------------------------------------------------


def scheme_with(**standings_changes) -> Scheme:
    raw = copy.deepcopy(SCHEME)
    raw["standings"].update(standings_changes)
    return Scheme.model_validate(raw)


def quarter(**tiers: str) -> pd.DataFrame:
    return pd.DataFrame({"org_id": range(1, len(tiers) + 1), "tier": list(tiers.values()), "grade": "",
                         "vetoed": [t == "vetoed" for t in tiers.values()], "rate": 50.0})


STATE = pd.DataFrame({"org_id": [1, 2, 3], "standing": ["四星", "一星", "三星"], "promoted": [True, True, False],
                      "relapsed": False})


@pytest.mark.parametrize(("take", "after", "move"), [("drop_one", ["三星", "一星"], "drop"),
                                                     ("lowest", ["一星", "一星"], "lowest"),
                                                     ("flag", ["四星", "一星"], "flag")])
def test_what_a_relapse_takes_is_the_schemes_to_say(take, after, move):
    scheme = scheme_with(take_on_relapse=take)
    steps = standings.decide(scheme, Period.parse("2027-Q1"), quarter(a="第三档", b="vetoed", c="第三档"), STATE)
    assert list(steps["org_id"]) == [1, 2]  # 3 was not promoted
    assert list(steps["standing"]) == after and set(steps["move"]) == {move} and steps["flagged"].all()
    if take == "flag":
        assert steps.iloc[0]["reason"] == "2027年第1季度处于第三档，出现反弹，予以预警（保持四星）"


def test_watching_every_branch_flags_those_never_raised_too():
    steps = standings.decide(scheme_with(watch="all"), Period.parse("2027-H1"),
                             quarter(a="第二档", b="第二档", c="第三档"), STATE)
    assert list(steps["org_id"]) == [3] and steps.iloc[0]["standing"] == "二星"


def test_grading_periods_are_not_watched_and_other_periods_neither():
    scheme = scheme_with()
    assert standings.moment(scheme, Period.parse("2027")) == "grading"
    assert standings.moment(scheme, Period.parse("2027-Q2")) == standings.moment(scheme, Period.parse("2027-H1")) \
        == "watch"
    assert standings.moment(scheme, Period.parse("2027-05")) is None  # a month is not watched (watched: quarter)
    assert standings.moment(scheme_with(relapse=[]), Period.parse("2027-Q2")) is None


@pytest.mark.parametrize(("change", "named"), [
    ({"up": [{"tier": ["第四档"]}]}, "standings.up[0].tier：档次 '第四档' 不是方案的档次（可用：第一档、第二档、第三档）"),
    ({"down": [{"grade": ["很差"]}]}, "standings.down[0].grade：等次 '很差' 不是方案的等次"),
    ({"start": "六星"}, "起始档次（standings.start）'六星' 不在档次序列（ladder）中"),
    ({"relapse": [{"grade": ["差"]}]}, "standings.relapse[0].grade：观察期（standings.watched）不评定等次"),
    ({"down": [{}]}, "条件须至少写明 grade、tier、vetoed、rate_below、rate_at_least 之一"),
    ({"take_on_relapse": "drop_two"}, "take_on_relapse"),
    ({"ladder": ["五星", "五星"]}, "standings.ladder"),
])
def test_a_bad_standing_rule_is_refused_naming_the_field(change, named):
    raw = copy.deepcopy(SCHEME)
    raw["standings"].update(change)
    with pytest.raises(ValidationError) as refused:
        Scheme.model_validate(raw)
    assert named in scheme_faults(raw, refused.value)


def test_the_seed_scheme_grades_at_the_year_by_default():
    scheme = Scheme.model_validate(SCHEME)
    assert scheme.standings.graded is None and scheme.standing_graded == "year" == scheme.graded


def test_the_bulletins_say_what_the_standings_did(engine, registry, graded, tmp_path):
    from docx import Document
    from openpyxl import load_workbook

    from bastion.core.bulletins.service import write_bulletin

    tenant, cycle, ids = graded
    cycle27 = factories.cycle(engine, registry, tenant, year=2027, scheme_id="responsibility-system")
    factories.a_year_of_work(engine, tenant, ids, 2027)
    factories.findings(engine, tenant, ids, date(2027, 2, 1), A=5)
    publish(engine, registry, cycle27, "2027-Q1")
    texts = {}
    for c, key in ((cycle, "2026"), (cycle27, "2027-Q1")):
        with transaction(engine) as session:
            made = write_bulletin(session, cycle=c, period=Period.parse(key), home=tmp_path, today=date(2027, 4, 6),
                                  actor="test")
        texts[key] = "\n".join(p.text for p in Document(made.docx_path).paragraphs)
        sheet = load_workbook(made.xlsx_path).active
        headers = [cell.value for cell in sheet[2]]
        assert headers[-1] == "定级"
    assert "五、提档升级\n本期定级：提档 1 个，降档 1 个，保持 3 个（首次定级 5 个）。" in texts["2026"]
    assert "提档：A党支部（三星→四星）。\n降档：E党支部（三星→二星）。\n六、整改情况" in texts["2026"]
    assert ("以下党支部在星级评定后出现反弹：A党支部：2027年第1季度处于第三档，出现反弹：四星 → 三星。"
            in texts["2027-Q1"])
