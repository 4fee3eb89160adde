"""The stages through Prefect: the flow records its run id, acts once, fails visibly and reruns clean;
each tenant's calendar becomes deployments with cron schedules in Asia/Shanghai."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from prefect.client.orchestration import get_client
from sqlmodel import Session, select

from bastion.core import cycles, db, scoring, tenants
from bastion.core.db import transaction
from bastion.core.models import Evaluation, StageRun
from bastion.core.registry import default_registry
from bastion.core.periods import STAGE_MONTHS, last_completed
from bastion.core.stages import queries as stage_queries, service as stages, steps
from bastion.flows import calendar, stages as stage_flows
from bastion.synthetic import build_tree, generate_facts

PLUGINS = ("standard-rules", "standard-ledgers", "responsibility-system")


@pytest.fixture
def tenant_cycle(flow_home):
    engine = db.connect()
    registry = default_registry()
    with transaction(engine) as session:
        tenant = tenants.create_tenant(session, code="acme", name="某集团", plugins=PLUGINS, registry=registry,
                                       actor="t")
        cycle = cycles.open_cycle(session, tenant=tenant, year=2026, registry=registry, actor="t")
    orgs = build_tree(engine, tenant_id=tenant.id, branches=12, seed=9, year=2026)
    generate_facts(engine, tenant_id=tenant.id, scheme=cycles.cycle_scheme(cycle), branches=orgs, year=2026, seed=9)
    yield engine, tenant, cycle
    engine.dispose()


@pytest.mark.parametrize("day, stage, period", [
    (date(2026, 4, 5), "quarterly", "2026-Q1"), (date(2026, 1, 3), "monthly", "2025-12"),
    (date(2026, 7, 10), "half_year", "2026-H1"), (date(2027, 1, 15), "annual", "2026"),
    (date(2026, 12, 31), "quarterly", "2026-Q3"),
])
def test_a_scheduled_run_assesses_the_last_completed_period(day, stage, period):
    assert last_completed(STAGE_MONTHS[stage], day).key == period


def test_a_stage_flow_records_its_flow_run_and_acts_once(tenant_cycle):
    engine, tenant, cycle = tenant_cycle
    state = stage_flows.stage_flow("acme", "quarterly", on=date(2026, 4, 5), return_state=True)
    summary = state.result()
    assert summary["status"] == "succeeded" and summary["period"] == "2026-Q1" and summary["organizations"] == 12
    (run,) = stage_queries.read_runs(engine, tenant.id)
    assert run.flow_run_id == str(state.state_details.flow_run_id)
    assert stage_flows.stage_flow("acme", "quarterly", on=date(2026, 4, 6)) == {"status": "already succeeded"}
    with Session(engine) as session:
        statuses = set(session.exec(select(Evaluation.status).where(Evaluation.period == "2026-Q1")).all())
    assert statuses == {"published"}


def test_a_failing_task_fails_the_flow_records_why_and_a_rerun_recovers(tenant_cycle, monkeypatch):
    engine, tenant, cycle = tenant_cycle
    real = scoring.score_period

    def unreachable(*args, **kwargs):
        raise ConnectionError("rule service unreachable")

    monkeypatch.setattr(scoring, "score_period", unreachable)
    monkeypatch.setattr(stage_flows, "RETRIES", 0)
    state = stage_flows.stage_flow("acme", "half_year", period="2026-H1", return_state=True)
    assert state.is_failed()
    (run,) = stage_queries.read_runs(engine, tenant.id)
    assert (run.status, run.error) == ("failed", "ConnectionError: rule service unreachable")
    monkeypatch.setattr(scoring, "score_period", real)
    summary = stage_flows.stage_flow("acme", "half_year", period="2026-H1")
    assert summary["status"] == "succeeded" and summary["attempts"] == 2


def test_a_step_of_a_runner_taken_over_ends_its_flow_held_elsewhere_writing_nothing(tenant_cycle):
    """Runner A started the run and went away; its lease ran out and B ran the stage to the end. A's next
    task neither fails nor retries nor writes: it tells the run is held elsewhere, and keeps no lease."""
    from dataclasses import asdict

    from sqlalchemy import update

    from bastion.core.models import Lease, utcnow

    engine, tenant, cycle = tenant_cycle
    ctx = stage_flows.context()
    (subject,) = stages.plan(ctx, "acme", "half_year", period="2026-H1")
    started = stage_flows.begin_task.fn(asdict(subject))
    with engine.begin() as conn:
        conn.execute(update(Lease).values(expires_at=utcnow().replace(year=2000)))
    by_b = stages.run_subject(stages.StageContext(engine, ctx.registry, ctx.home, "runner-b"), subject)
    told = stage_flows.step_task.fn(asdict(subject), "score", started["id"], started["token"])
    assert told["status"] == "held elsewhere" and "已由其他运行者接管" in told["detail"]
    (run,) = stage_queries.read_runs(engine, tenant.id)
    assert (run.status, run.attempts, run.lease_token) == ("succeeded", 2, by_b.lease_token)
    with engine.connect() as conn:
        assert conn.execute(select(Lease)).all() == []


def test_spot_checks_and_rectification_run_as_one_task(tenant_cycle):
    engine, tenant, cycle = tenant_cycle
    drawn = stage_flows.stage_flow("acme", "spot_check", on=date(2026, 3, 2))
    assert drawn["drawn"] == 2 and len(drawn["sample"]) == 2
    stage_flows.stage_flow("acme", "quarterly", period="2026-Q1")
    follow_up = stage_flows.stage_flow("acme", "rectification", on=date(2026, 4, 10))
    assert follow_up["status"] == "succeeded" and follow_up["issued"]
    with Session(engine) as session:
        keys = set(session.exec(select(StageRun.key)).all())
    assert keys == {"2026:spot_check:2026-03-02", "2026:quarterly:2026-Q1", "2026:rectification:2026-04-10"}


def test_each_tenants_calendar_becomes_deployments_with_cron_schedules(tenant_cycle):
    engine, tenant, cycle = tenant_cycle
    schedule = stage_queries.calendar(engine, default_registry())
    assert [(s.name, s.cron) for s in schedule] == [
        ("acme-spot_check", "0 9 * * 2"), ("acme-quarterly", "0 9 5 1,4,7,10 *"), ("acme-half_year", "0 9 10 7 *"),
        ("acme-annual", "0 9 15 1 *"), ("acme-open_cycle", stages.STAGES["open_cycle"].cron),
        ("acme-rectification", stages.STAGES["rectification"].cron), ("acme-notify", stage_queries.NOTIFY_CRON),
    ]

    built = calendar.deployments(schedule)  # outside the event loop: to_deployment is sync here

    async def applied() -> dict[str, tuple]:
        for deployment in built:
            await deployment.apply()
        async with get_client() as client:
            found = await client.read_deployments()
            return {d.name: (d.schedules[0].schedule.cron, d.schedules[0].schedule.timezone, d.parameters)
                    for d in found if d.name.startswith("acme-")}

    found = asyncio.run(applied())
    assert found["acme-quarterly"] == ("0 9 5 1,4,7,10 *", "Asia/Shanghai", {"tenant": "acme", "stage": "quarterly"})
    assert found["acme-notify"] == ("*/5 * * * *", "Asia/Shanghai", {"tenant": "acme"})  # the bastion-notify flow
    assert set(found) == {s.name for s in schedule}


def test_bastion_serve_registers_each_tenants_deployments_with_the_server(tenant_cycle, flow_home):
    import os
    import subprocess
    import sys
    import time

    from prefect.settings import PREFECT_API_URL

    env = dict(os.environ, PREFECT_API_URL=PREFECT_API_URL.value(), PREFECT_LOGGING_LEVEL="WARNING")

    async def names() -> set[str]:
        async with get_client() as client:
            return {d.name for d in await client.read_deployments()}

    async def forget_earlier() -> None:  # the session's server may hold them from another test
        async with get_client() as client:
            for deployment in await client.read_deployments():
                await client.delete_deployment(deployment.id)

    asyncio.run(forget_earlier())
    assert not asyncio.run(names())
    server = subprocess.Popen([sys.executable, "-m", "bastion", "serve"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        expected = {"acme-open_cycle", "acme-spot_check", "acme-quarterly", "acme-half_year", "acme-annual",
                    "acme-rectification"}
        deadline = time.monotonic() + 90  # serve registers them one by one: wait for them all
        while time.monotonic() < deadline and not expected <= asyncio.run(names()):
            assert server.poll() is None, server.stdout.read()
            time.sleep(1)
        assert expected <= asyncio.run(names())
    finally:
        server.terminate()
        output = server.communicate(timeout=60)[0]
    assert "acme-quarterly" in output and "0 9 5 1,4,7,10 *" in output


def test_bastion_deploy_registers_the_calendar_for_a_work_pool(tenant_cycle, monkeypatch):
    from prefect.client.schemas.actions import WorkPoolCreate
    from typer.testing import CliRunner

    from bastion.cli import app

    async def make_pool() -> None:
        async with get_client() as client:
            await client.create_work_pool(WorkPoolCreate(name="bastion-test", type="process"), overwrite=True)

    asyncio.run(make_pool())
    monkeypatch.setenv("BASTION_LANG", "en")  # the assertions read the English
    result = CliRunner().invoke(app, ["deploy", "--pool", "bastion-test"])
    assert result.exit_code == 0, result.output
    assert "7 deployments registered for work pool bastion-test" in " ".join(result.output.split())

    async def pooled() -> dict[str, tuple]:
        async with get_client() as client:
            return {d.name: (d.work_pool_name, d.entrypoint) for d in await client.read_deployments()
                    if d.name.startswith("acme-")}

    found = asyncio.run(pooled())
    assert found["acme-annual"] == ("bastion-test", "bastion.flows.stages.stage_flow")
    assert found["acme-notify"] == ("bastion-test", "bastion.flows.notify.notify_flow")
    assert len(found) == 7


def test_the_new_year_opens_with_last_years_scheme_once(tenant_cycle):
    engine, tenant, cycle = tenant_cycle
    opened = stage_flows.stage_flow("acme", "open_cycle", on=date(2027, 1, 1))
    assert (opened["scheme"], opened["already_open"]) == ("responsibility-system", False)
    assert stage_flows.stage_flow("acme", "open_cycle", on=date(2027, 1, 1)) == {"status": "already succeeded"}
    again = stage_flows.stage_flow("acme", "open_cycle", year=2026)  # opened by hand before: kept as it is
    assert again["already_open"] is True and again["cycle"] == cycle.id
    with Session(engine) as session:
        years = sorted(session.exec(select(cycles.Cycle.year).where(cycles.Cycle.tenant_id == tenant.id)).all())
    assert years == [2026, 2027]


def _records(engine, tenant_id: int) -> list[tuple]:
    """A tenant's stage runs as comparable values: ids, paths and times left out, the rest as recorded."""
    ignored = {"cycle", "checks", "bulletin", "table"}
    return [(r.key, r.stage, r.period, r.status, r.attempts,
             {k: v for k, v in r.detail.items() if k not in ignored})
            for r in stage_queries.read_runs(engine, tenant_id)]


def _outcome(engine, tenant_id: int) -> dict[str, list]:
    from bastion.core.models import Check, Incentive, Organization, Rectification

    with Session(engine) as session:
        code = dict(session.exec(select(Organization.id, Organization.code)).all())
        evaluations = session.exec(select(Evaluation).where(Evaluation.tenant_id == tenant_id)).all()
        return {
            "evaluations": sorted((code[e.org_id], e.period, e.status, e.total, e.rank, e.grade, e.tier)
                                  for e in evaluations),
            "incentives": sorted((code[i.org_id], i.period, i.code) for i in session.exec(
                select(Incentive).where(Incentive.tenant_id == tenant_id)).all()),
            "notices": sorted((code[n.org_id], n.notice_no, n.status, n.deadline) for n in session.exec(
                select(Rectification).where(Rectification.tenant_id == tenant_id)).all()),
            "checks": sorted((code[c.org_id], c.date, c.kind) for c in session.exec(
                select(Check).where(Check.tenant_id == tenant_id)).all()),
        }


def test_run_stage_and_the_flow_leave_the_same_records_for_every_stage(tenant_cycle, flow_home):
    """The same calendar, once through the Prefect flow and once through core's ``run_stage`` on a twin
    enterprise: every stage of the table leaves the same runs, results, incentives, notices and checks."""
    engine, tenant, cycle = tenant_cycle
    registry = default_registry()
    with transaction(engine) as session:
        twin = tenants.create_tenant(session, code="twin", name="某集团", plugins=PLUGINS, registry=registry, actor="t")
        twin_cycle = cycles.open_cycle(session, tenant=twin, year=2026, registry=registry, actor="t")
    orgs = build_tree(engine, tenant_id=twin.id, branches=12, seed=9, year=2026)
    generate_facts(engine, tenant_id=twin.id, scheme=cycles.cycle_scheme(twin_cycle), branches=orgs, year=2026,
                   seed=9)
    ctx = stages.StageContext(engine, registry, flow_home, "调度")
    calendar_of_both = [
        ("spot_check", None, date(2026, 3, 2)), ("monthly", "2026-02", date(2026, 3, 3)),
        ("quarterly", None, date(2026, 4, 5)),
        ("half_year", "2026-H1", date(2026, 7, 10)), ("rectification", None, date(2026, 7, 11)),
        ("annual", None, date(2027, 1, 15)), ("confirm", "2026", date(2027, 1, 16)),
        ("rectification", None, date(2027, 3, 1)), ("open_cycle", None, date(2027, 1, 1)),
    ]
    assert {stage for stage, _, _ in calendar_of_both} == set(stages.STAGES)
    for stage, period, on in calendar_of_both:
        stage_flows.stage_flow("acme", stage, period=period, on=on)
        options = {"seed": steps.draw_seed("acme", on)} if stage == "spot_check" else {}
        for subject in stages.plan(ctx, "twin", stage, period=period, on=on, options=options):
            stages.run_subject(ctx, subject)
    assert _records(engine, twin.id) == _records(engine, tenant.id)
    assert _outcome(engine, twin.id) == _outcome(engine, tenant.id)
    assert any(r[1] == "annual" and r[3] == "succeeded" for r in _records(engine, tenant.id))
