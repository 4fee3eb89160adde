"""Audited corrections of published results: one line changed, the period concluded again, all audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from bastion.core import engine as scoring_engine
from bastion.core.access import Action, Forbidden
from bastion.core.corrections import correct_points
from bastion.core.cycles import cycle_scheme
from bastion.core.errors import BastionError
from bastion.core.models import AuditEvent, EvaluationLine, Incentive
from bastion.core.periods import Period
from bastion.core.results import explain, read_results
from tests import factories

pytestmark = pytest.mark.storage


def _room(engine, cycle, code):
    """A controllable indicator of ``code``'s result that is short of its maximum, and its points."""
    with engine.connect() as conn:
        lines = explain(conn, cycle=cycle, period="2025", org_code=code).lines
    line = next(r for r in lines if r["kind"] == "controllable" and r["points"] < r["max_points"] - 1)
    return line["indicator_code"], line["points"], line["max_points"]


def test_a_correction_changes_the_line_and_concludes_the_period_again(engine, registry, published):
    sample, people = published
    with engine.connect() as conn:
        before = read_results(conn, sample.cycle.id, "2025").set_index("code")
    second = before.index[1] if not before.iloc[1]["vetoed"] else before.index[2]
    code, old_points, max_points = _room(engine, sample.cycle, second)

    done = correct_points(engine, people["admin"], cycle=sample.cycle, period="2025", org_code=second,
                          indicator_code=code, points=max_points, reason="申诉成立：会议记录已补交核实", registry=registry)

    with engine.connect() as conn:
        after = read_results(conn, sample.cycle.id, "2025").set_index("code")
        line = explain(conn, cycle=sample.cycle, period="2025", org_code=second).lines
    assert done.old_points == old_points and done.new_points == max_points
    assert after.loc[second, "total"] == pytest.approx(before.loc[second, "total"] + max_points - old_points)
    assert sorted(after["rank"]) == list(range(1, len(after) + 1))
    assert set(after["status"]) == {"published"}
    corrected = next(r for r in line if r["indicator_code"] == code)
    assert corrected["points"] == max_points and "申诉成立" in corrected["reason"] and "原" in corrected["reason"]
    # The concluded figures are the engine's on the corrected lines.
    with engine.connect() as conn:
        lines = scoring_engine.subtotals(_stored_lines(conn, sample.cycle))
    expected = scoring_engine.conclude(cycle_scheme(sample.cycle), before.reset_index()[["org_id", "code"]], lines,
                                       Period.parse("2025"))
    assert dict(zip(expected["org_id"], expected["rank"])) == dict(zip(after["org_id"], after["rank"]))
    assert set(done.changed["code"]) >= {second}

    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "correct")).scalars().one()
    assert event.actor == "admin" and event.note == "申诉成立：会议记录已补交核实"
    assert event.old == {"indicator": code, "points": old_points}
    assert {r["code"] for r in event.new["results_changed"]} == set(done.changed["code"])


def _stored_lines(conn, cycle):
    """The period's lines as the engine's subtotals want them (vetoes with their reasons from the results)."""
    import pandas as pd

    from bastion.core.models import Evaluation, Indicator

    e, ln, ind = Evaluation.__table__.c, EvaluationLine.__table__.c, Indicator.__table__.c
    frame = pd.read_sql(select(e.org_id, ln.indicator_code, ind.kind, ln.points, ind.points.label("max_points"),
                               ln.veto, ln.assessed)
                        .join_from(EvaluationLine.__table__, Evaluation.__table__, e.id == ln.evaluation_id)
                        .join(Indicator.__table__, (ind.code == ln.indicator_code) & (ind.cycle_id == cycle.id))
                        .where(e.cycle_id == cycle.id, e.period == "2025"), conn)
    frame["veto"] = frame["veto"].astype(bool)
    frame["assessed"] = frame["assessed"].astype(bool)
    frame["veto_reason"] = None
    return frame


def test_the_corrected_lines_block_subtotal_follows_it(engine, registry, published):
    sample, people = published
    with engine.connect() as conn:
        before, _ = factories.block_subtotals(conn)
        results = read_results(conn, sample.cycle.id, "2025")
    branch = results[~results["vetoed"]].iloc[0]
    code, old_points, max_points = _room(engine, sample.cycle, branch["code"])
    block = cycle_scheme(sample.cycle).block_of()[code].code
    key = (int(branch["evaluation_id"]), block)

    correct_points(engine, people["admin"], cycle=sample.cycle, period="2025", org_code=branch["code"],
                   indicator_code=code, points=max_points, reason="申诉成立", registry=registry)

    with engine.connect() as conn:
        after, summed = factories.block_subtotals(conn)
    assert after == summed
    assert after[key] == pytest.approx(before[key] + max_points - old_points) and after[key] != before[key]
    assert {k: v for k, v in after.items() if k != key} == {k: v for k, v in before.items() if k != key}


def test_incentives_follow_the_corrected_results_and_keep_their_ids(engine, registry, published):
    sample, people = published
    with Session(engine) as session:
        before = {(i.org_id, i.code): i.id for i in session.exec(select(Incentive)).scalars()}
    with engine.connect() as conn:
        last = read_results(conn, sample.cycle.id, "2025").iloc[-1]
    code, _, max_points = _room(engine, sample.cycle, last["code"])
    correct_points(engine, people["admin"], cycle=sample.cycle, period="2025", org_code=last["code"],
                   indicator_code=code, points=max_points, reason="复核更正", registry=registry)
    with Session(engine) as session:
        after = {(i.org_id, i.code): i.id for i in session.exec(select(Incentive)).scalars()}
    kept = set(before) & set(after)
    assert kept and all(before[k] == after[k] for k in kept)


def test_corrections_are_refused_unless_allowed_and_sensible(engine, registry, published):
    sample, people = published
    with engine.connect() as conn:
        first = read_results(conn, sample.cycle.id, "2025").iloc[0]["code"]
    code, _, max_points = _room(engine, sample.cycle, first)
    scheme = cycle_scheme(sample.cycle)
    veto = next(s.code for s in scheme.indicators() if s.kind == "veto")
    kwargs = dict(cycle=sample.cycle, period="2025", org_code=first, registry=registry)
    with pytest.raises(Forbidden):
        correct_points(engine, people["leader"], indicator_code=code, points=0, reason="x", **kwargs)
    with pytest.raises(BastionError, match="更正须写明更正理由"):
        correct_points(engine, people["admin"], indicator_code=code, points=0, reason=" ", **kwargs)
    with pytest.raises(BastionError, match="更正理由：含有控制字符 U\\+0008"):
        correct_points(engine, people["admin"], indicator_code=code, points=0, reason="申诉\x08成立", **kwargs)
    with pytest.raises(BastionError, match=f"的分值为 0 至 {max_points:g} 分"):
        correct_points(engine, people["admin"], indicator_code=code, points=max_points + 1, reason="x", **kwargs)
    with pytest.raises(BastionError, match="一票否决项"):
        correct_points(engine, people["admin"], indicator_code=veto, points=0, reason="x", **kwargs)
    with pytest.raises(BastionError, match="考核期 2025-H1 尚未评分"):
        correct_points(engine, people["admin"], indicator_code=code, points=0, reason="x",
                       **{**kwargs, "period": "2025-H1"})
    with Session(engine) as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "correct")).first() is None


def test_the_corrections_are_listed_from_the_audit_trail_for_those_who_see_the_branch(engine, registry, published):
    from bastion.core.corrections import read_corrections

    sample, people = published
    with engine.connect() as conn:
        results = read_results(conn, sample.cycle.id, "2025")
    theirs = results[results["org_id"] == people["secretary"].roots(Action.view_results)[0]].iloc[0]["code"]
    other = results[results["code"] != theirs].iloc[0]["code"]
    code, old_points, max_points = _room(engine, sample.cycle, other)
    correct_points(engine, people["admin"], cycle=sample.cycle, period="2025", org_code=other, indicator_code=code,
                   points=max_points, reason="复核更正", registry=registry)
    with engine.connect() as conn:
        listed = read_corrections(conn, people["leader"], cycle_id=sample.cycle.id)
        hidden = read_corrections(conn, people["secretary"], cycle_id=sample.cycle.id)
    assert listed[["period", "code", "indicator", "old_points", "new_points", "reason", "actor"]].to_dict("records") == [
        {"period": "2025", "code": other, "indicator": code, "old_points": old_points, "new_points": max_points,
         "reason": "复核更正", "actor": "admin"}]
    assert listed["results_changed"].item() >= 1 and hidden.empty
