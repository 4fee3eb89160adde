"""The calendar's stages as plain functions: each acts once, and a stage killed half-way and run again
leaves exactly what one clean run leaves."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from sqlmodel import Session, select

from bastion.core import cycles, i18n, scoring
from bastion.core.bulletins import service as bulletins
from bastion.core.models import Bulletin, Check, Incentive, Rectification, StageRun
from bastion.core.results import read_results
from bastion.core.errors import BastionError
from bastion.core.models import Finding
from bastion.core.stages import queries as stage_queries, service as stages, steps
from tests import factories

enterprise = factories.enterprise
PLUGINS = factories.ENTERPRISE_PLUGINS


@pytest.fixture
def ctx(engine, registry, tmp_path) -> stages.StageContext:
    return stages.StageContext(engine, registry, tmp_path / "home", "督查组")


def results_of(engine, cycle, period: str) -> list[tuple]:
    with engine.connect() as conn:
        frame = read_results(conn, cycle.id, period)
    return [(r.code, r.total, r.grade, r.rank, r.tier, r.status) for r in frame.itertuples()]


def awards_of(engine, cycle) -> list[tuple]:
    with Session(engine) as session:
        rows = session.exec(select(Incentive).where(Incentive.cycle_id == cycle.id)).all()
        return sorted((i.org_id, i.period, i.code, i.effective_until) for i in rows)


def runs_of(engine, tenant) -> dict[str, tuple]:
    return {r.key: (r.status, r.attempts) for r in stage_queries.read_runs(engine, tenant.id)}


def test_a_spot_check_draws_a_recorded_seeded_sample_once(engine, registry, ctx):
    tenant, cycle = enterprise(engine, registry, "acme")
    run = stages.spot_check(ctx, cycle, date(2026, 3, 2))
    detail = run.detail
    assert detail["seed"] == steps.draw_seed("acme", date(2026, 3, 2)) and detail["of"] == 20
    assert detail["drawn"] == math.ceil(0.1 * 20) == len(detail["sample"]) == len(set(detail["sample"]))
    assert stages.spot_check(ctx, cycle, date(2026, 3, 2)) is None  # the day's draw is done
    with Session(engine) as session:
        checks = session.exec(select(Check).where(Check.kind == "spot")).all()
    assert sorted(c.id for c in checks) == detail["checks"] and {c.status for c in checks} == {"planned"}
    # The same seed draws the same sample, in another tenant too; another day draws anew.
    other_tenant, other = enterprise(engine, registry, "other")
    again = stages.spot_check(ctx, other, date(2026, 3, 2), seed=detail["seed"])
    assert again.detail["sample"] == detail["sample"]
    bigger = stages.spot_check(ctx, cycle, date(2026, 3, 9), size=5)
    assert bigger.detail["drawn"] == 5 and bigger.detail["seed"] != detail["seed"]
    assert runs_of(engine, tenant) == {"2026:spot_check:2026-03-02": ("succeeded", 1),
                                       "2026:spot_check:2026-03-09": ("succeeded", 1)}


def test_a_period_stage_publishes_its_standings_and_bulletin_once(engine, registry, ctx):
    tenant, cycle = enterprise(engine, registry, "acme")
    run = stages.run_stage(ctx, cycle, "quarterly", period="2026-Q1", on=date(2026, 4, 8))
    assert run.status == "succeeded" and run.detail["organizations"] == 20
    assert {r[-1] for r in results_of(engine, cycle, "2026-Q1")} == {"published"}
    docx, xlsx = Path(run.detail["bulletin"]), Path(run.detail["table"])
    assert docx.parent == bulletins.archive_dir(ctx.home, "acme", 2026)
    text = "\n".join(p.text for p in Document(docx).paragraphs)
    assert "2026年第1季度党建工作考核通报" in text and "共考核党组织 20 个" in text and "五、整改情况" in text
    # study-education grades at the half-year check and the year (Scheme.graded): the quarter ranks and tiers.
    assert "本期排名、分档，不评定等次" in text and "各等次分布" not in text and "本期不评定等次，不评先进" in text
    sheet = openpyxl.load_workbook(xlsx).active
    assert sheet["A2"].value == "排名" and sheet.max_row == 2 + 20
    grade_column = [c.value for c in sheet[2]].index("等次") + 1
    assert {sheet.cell(row, grade_column).value for row in range(3, 23)} == {"不定等次"}
    before = (results_of(engine, cycle, "2026-Q1"), awards_of(engine, cycle))
    assert stages.run_stage(ctx, cycle, "quarterly", period="2026-Q1") is None
    assert (results_of(engine, cycle, "2026-Q1"), awards_of(engine, cycle)) == before
    with pytest.raises(BastionError, match="考核的是 3 个月的考核期"):
        stages.run_stage(ctx, cycle, "quarterly", period="2026-H1")


@pytest.mark.parametrize("crash", ["scoring.publish_period", "steps.write_bulletin", "scoring.score_period"])
def test_a_period_stage_killed_half_way_and_rerun_leaves_what_a_clean_run_leaves(engine, registry, ctx,
                                                                                 monkeypatch, crash):
    _, clean = enterprise(engine, registry, "clean")
    stages.run_stage(ctx, clean, "half_year", period="2026-H1")
    tenant, cycle = enterprise(engine, registry, "crashy")
    stages.run_stage(ctx, cycle, "quarterly", period="2026-Q1")  # already published: must stay as it is
    q1 = (results_of(engine, cycle, "2026-Q1"), awards_of(engine, cycle))

    module, name = crash.split(".")
    target = {"scoring": scoring, "steps": steps}[module]
    real = getattr(target, name)

    def killed(*args, **kwargs):
        if name != "score_period":
            real(*args, **kwargs)  # the step's own work is done, then the process dies
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(target, name, killed)
    with pytest.raises((stages.StageFailed, KeyboardInterrupt)):
        stages.run_stage(ctx, cycle, "half_year", period="2026-H1")
    monkeypatch.setattr(target, name, real)
    assert (results_of(engine, cycle, "2026-Q1"), [a for a in awards_of(engine, cycle) if a[1] == "2026-Q1"]) == q1
    rerun = stages.run_stage(ctx, cycle, "half_year", period="2026-H1")
    assert rerun.status == "succeeded" and rerun.attempts == 2
    assert results_of(engine, cycle, "2026-H1") == results_of(engine, clean, "2026-H1")
    strip = [a[1:] for a in awards_of(engine, clean)]
    assert sorted(strip) == sorted(a[1:] for a in awards_of(engine, cycle) if a[1] == "2026-H1")
    with Session(engine) as session:
        assert len(session.exec(select(Bulletin).where(Bulletin.cycle_id == cycle.id)).all()) == 2


def test_a_failing_stage_is_recorded_with_its_reason(engine, registry, ctx, monkeypatch):
    tenant, cycle = enterprise(engine, registry, "acme")

    def broken(*args, **kwargs):
        raise RuntimeError("rule database unreachable")

    monkeypatch.setattr(scoring, "score_period", broken)
    with pytest.raises(stages.StageFailed, match="阶段 2026:monthly:2026-02 失败（第 1 次尝试）：.*RuntimeError: rule database unreachable"):
        stages.run_stage(ctx, cycle, "monthly", period="2026-02")
    (run,) = stage_queries.read_runs(engine, tenant.id)
    assert (run.status, run.attempts, run.error) == ("failed", 1, "RuntimeError: rule database unreachable")


def state_of(engine, cycle) -> str:
    with Session(engine) as session:
        return cycles.cycle_states(session, [cycle])[cycle.id]


def test_a_cycle_is_open_until_its_year_is_published_and_a_period_finds_its_cycle(engine, registry, ctx):
    tenant, cycle = enterprise(engine, registry, "acme")
    stages.run_stage(ctx, cycle, "half_year", period="2026-H1", on=date(2026, 7, 10))
    next_year = factories.cycle(engine, registry, tenant, year=2027, scheme_id="study-education")
    assert state_of(engine, cycle) == "open"  # a published half-year is not the year
    with Session(engine) as session:
        assert cycles.resolve_cycle(session, tenant, period="2027-Q1").id == next_year.id
        assert cycles.resolve_cycle(session, tenant, period="2026-h1", with_results=True).id == cycle.id
        assert cycles.resolve_cycle(session, tenant, period="2026H1", with_results=True).id == cycle.id
        with pytest.raises(cycles.BadValue, match="'2026H3' 不是考核期"):
            cycles.resolve_cycle(session, tenant, period="2026H3")
        with pytest.raises(cycles.BadValue, match="考核期 2027-Q1 不属于 2026 考核年度"):
            cycles.resolve_cycle(session, tenant, 2026, period="2027-Q1")
        with pytest.raises(cycles.NotFound, match="没有 2028 考核年度（已有：2026、2027）"):
            cycles.resolve_cycle(session, tenant, period="2028")
        with i18n.using("en"), pytest.raises(cycles.NotFound, match=r"no cycle for 2028 \(cycles: 2026, 2027\)"):
            cycles.resolve_cycle(session, tenant, period="2028")


def test_annual_results_wait_for_the_leaders_review_unless_confirmed_automatically(engine, registry, ctx):
    tenant, cycle = enterprise(engine, registry, "acme")
    run = stages.run_stage(ctx, cycle, "annual", period="2026", on=date(2027, 1, 15))
    assert run.status == "awaiting_review"
    assert {r[-1] for r in results_of(engine, cycle, "2026")} == {"reviewed"} and awards_of(engine, cycle) == []
    waiting = stages.run_stage(ctx, cycle, "annual", period="2026")  # the calendar fires again: still waiting
    assert waiting.status == "awaiting_review" and state_of(engine, cycle) == "awaiting_review"
    done = stages.confirm_review(ctx, cycle, "2026", today=date(2027, 1, 16))
    assert done.status == "succeeded" and {r[-1] for r in results_of(engine, cycle, "2026")} == {"published"}
    assert state_of(engine, cycle) == "published"
    assert done.attempts == waiting.attempts  # the leaders' confirmation carries the waiting try on: not a retry
    assert awards_of(engine, cycle)
    assert stages.confirm_review(ctx, cycle, "2026") is None  # confirmed twice: it acts once

    _, auto = enterprise(engine, registry, "auto", auto_confirm=True)
    run = stages.run_stage(ctx, auto, "annual", period="2026")
    assert run.status == "succeeded"
    assert results_of(engine, auto, "2026") == results_of(engine, cycle, "2026")


def test_rectification_notices_are_issued_once_then_followed_up(engine, registry, ctx):
    tenant, cycle = enterprise(engine, registry, "acme")
    stages.run_stage(ctx, cycle, "half_year", period="2026-H1", on=date(2026, 7, 10))  # published that day
    with Session(engine) as session:
        to_rectify = session.exec(select(Incentive).where(Incentive.kind == "rectification")).all()
        findings = session.exec(select(Finding).where(Finding.tenant_id == tenant.id)).all()
    assert to_rectify and {a.effective_until for a in to_rectify} == {date(2026, 9, 8)}  # 60 days after 10 July
    first = stages.run_stage(ctx, cycle, "rectification", on=date(2026, 7, 20))
    assert len(first.detail["issued"]) == len(to_rectify) + len(findings) > 0
    assert stages.run_stage(ctx, cycle, "rectification", on=date(2026, 7, 20)) is None
    next_day = stages.run_stage(ctx, cycle, "rectification", on=date(2026, 7, 21))
    assert next_day.detail["issued"] == []
    with Session(engine) as session:
        notices = session.exec(select(Rectification)).all()
        by_award = {n.incentive_id: n for n in notices if n.incentive_id}
    assert {a.id for a in to_rectify} == set(by_award)
    assert all(by_award[a.id].deadline == a.effective_until for a in to_rectify)
    soon = stages.run_stage(ctx, cycle, "rectification", on=date(2026, 9, 3))
    late = stages.run_stage(ctx, cycle, "rectification", on=date(2026, 9, 9))
    due = {n.notice_no for n in by_award.values()}
    assert set(soon.detail["due_soon"]) >= due and set(late.detail["overdue"]) >= due
    with Session(engine) as session:
        assert {n.status for n in session.exec(select(Rectification)).all() if n.incentive_id} == {"overdue"}


def test_a_rectification_stage_killed_in_its_transaction_writes_nothing(engine, registry, ctx, monkeypatch):
    tenant, cycle = enterprise(engine, registry, "acme")
    stages.run_stage(ctx, cycle, "half_year", period="2026-H1")

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(steps, "finish_run", killed)
    with pytest.raises(KeyboardInterrupt):
        stages.run_stage(ctx, cycle, "rectification", on=date(2026, 7, 20))
    monkeypatch.undo()
    with Session(engine) as session:
        assert session.exec(select(Rectification)).all() == []
    run = stages.run_stage(ctx, cycle, "rectification", on=date(2026, 7, 20))
    assert run.attempts == 2 and run.detail["issued"]
    with Session(engine) as session:
        assert len(session.exec(select(Rectification)).all()) == len(run.detail["issued"])
        assert session.exec(select(StageRun).where(StageRun.key == "2026:rectification:2026-07-20")).one().status \
            == "succeeded"


def test_a_spot_check_killed_in_its_transaction_draws_again_the_same_sample(engine, registry, ctx, monkeypatch):
    tenant, cycle = enterprise(engine, registry, "acme")

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(steps, "finish_run", killed)
    with pytest.raises(KeyboardInterrupt):
        stages.spot_check(ctx, cycle, date(2026, 5, 4))
    monkeypatch.undo()
    with Session(engine) as session:
        assert session.exec(select(Check).where(Check.kind == "spot")).all() == []
    run = stages.spot_check(ctx, cycle, date(2026, 5, 4))
    assert run.attempts == 2 and run.detail["seed"] == steps.draw_seed("acme", date(2026, 5, 4))
    with Session(engine) as session:
        assert len(session.exec(select(Check).where(Check.kind == "spot")).all()) == run.detail["drawn"]


def test_opening_the_year_keeps_last_years_scheme_among_several(engine, registry, ctx):
    tenant = factories.tenant(engine, registry, code="two", plugins=(*PLUGINS, "target-table"))
    with pytest.raises(stages.StageFailed, match="启用了 2 个方案"):
        stages.open_year(ctx, tenant, 2026)  # no earlier cycle and two schemes: it must be told which
    first = stages.open_year(ctx, tenant, 2026, scheme_id="study-education")
    assert first.attempts == 2 and first.detail["scheme"] == "study-education"
    second = stages.open_year(ctx, tenant, 2027)
    assert (second.detail["scheme"], second.detail["already_open"]) == ("study-education", False)
    assert stages.open_year(ctx, tenant, 2027) is None


def test_opening_the_year_killed_in_its_transaction_opens_nothing_then_once(engine, registry, ctx, monkeypatch):
    tenant = factories.tenant(engine, registry, code="acme", plugins=PLUGINS)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(steps, "finish_run", killed)
    with pytest.raises(KeyboardInterrupt):
        stages.open_year(ctx, tenant, 2026)
    monkeypatch.undo()
    with Session(engine) as session:
        assert session.exec(select(cycles.Cycle)).all() == []
    run = stages.open_year(ctx, tenant, 2026)
    assert run.attempts == 2 and run.detail["already_open"] is False
    with Session(engine) as session:
        assert [c.year for c in session.exec(select(cycles.Cycle)).all()] == [2026]
