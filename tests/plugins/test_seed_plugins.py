"""The five seed plugins through the database: each tenant runs a cycle on its scheme, results and
incentives differ as the seeds say; enablement is per tenant and a cycle keeps its scheme version."""

from __future__ import annotations

import copy
import importlib
import inspect
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlmodel import Session, select

from bastion import hookimpl
from bastion.core import cycles, i18n, scoring, tenants
from bastion.core.db import transaction
from bastion.core.engine import Period
from bastion.core.errors import NotFound
from bastion.core.models import AuditEvent
from bastion.core.registry import Registry
from bastion.core.results import policy_history, read_incentives, read_results
from bastion.plugins.target_table import SCHEME as TARGET_TABLE
from bastion.synthetic import build_tree, generate_facts
from tests import factories

SEEDS = {  # plugin → (scheme id, the seed file it follows)
    "responsibility-system": ("responsibility-system", "seed 002"),
    "organ-standardisation": ("organ-standardisation", "seed 003"),
    "study-education": ("study-education", "seed 000"),
    "organisational-life": ("organisational-life", "seed 001"),
    "target-table": ("target-table", "seed 004"),
}
BASE = ("standard-rules", "standard-ledgers")


def test_every_seed_plugin_is_installed_valid_and_says_what_it_follows_and_invented(registry):
    assert registry.check() == []
    schemes = registry.schemes()
    for plugin, (scheme_id, seed) in SEEDS.items():
        info = registry.infos[plugin]
        assert info.builtin and info.version
        assert schemes[scheme_id].plugin == plugin
        doc = inspect.getdoc(importlib.import_module(info.module))
        assert seed in doc and "invented" in doc, f"{plugin}'s docstring must name its seed and what it invented"
        assert registry.check_scheme(schemes[scheme_id].item, enabled=[*BASE, plugin]) == []


def run_year(engine, registry, plugin: str, *, code: str = "acme", year: int = 2026, seed: int = 7,
             branches: int = 20):
    """A tenant enabling the plugin, a synthetic year of facts, scored and published: the first half on 10 July,
    the year on 15 January of the next (09:00 in Beijing).

    Returns the tenant, the cycle, the year's results and the year's incentives.
    """
    tenant = factories.tenant(engine, registry, code=code, plugins=(*BASE, plugin))
    cycle = factories.cycle(engine, registry, tenant, year=year, scheme_id=SEEDS[plugin][0])
    orgs = build_tree(engine, tenant_id=tenant.id, branches=branches, seed=seed, year=year)
    generate_facts(engine, tenant_id=tenant.id, scheme=cycles.cycle_scheme(cycle), branches=orgs, year=year, seed=seed)
    for period, published in ((f"{year}-H1", datetime(year, 7, 10, 1, tzinfo=UTC)),
                              (str(year), datetime(year + 1, 1, 15, 1, tzinfo=UTC))):
        scoring.score_period(engine, cycle=cycle, period_key=period, registry=registry, actor="test")
        scoring.publish_period(engine, cycle=cycle, period_key=period, registry=registry, actor="test", now=published)
    with engine.connect() as conn:
        return tenant, cycle, read_results(conn, cycle.id, str(year)), read_incentives(conn, cycle.id, str(year))


def _branches(engine, tenant) -> pd.DataFrame:
    with engine.connect() as conn:
        orgs = scoring.read_branches(conn, tenant.id)
    return orgs.assign(diligence=0.75)


@pytest.mark.parametrize("plugin", sorted(SEEDS))
def test_each_scheme_runs_a_cycle_in_its_tenant(engine, registry, plugin):
    _, cycle, results, awards = run_year(engine, registry, plugin)
    assert cycle.scheme_id == SEEDS[plugin][0] and cycle.scheme_plugin == plugin
    assert len(results) == 20 and sorted(results["rank"]) == list(range(1, 21))
    assert results["total"].between(0, 105).all() and results["total"].nunique() > 5
    scheme = cycles.cycle_scheme(cycle)
    assert set(results["grade"]) <= {g.name for g in scheme.grades} | {scheme.veto_grade}
    assert set(results["tier"]) <= {b.name for b in scheme.tiers.bands}
    expected_policies = set(scheme.policies)
    assert set(awards["policy"]) <= expected_policies and (awards.empty == (not expected_policies))


def test_responsibility_system_talks_bars_and_tilts_by_tier(engine, registry):
    _, _, results, awards = run_year(engine, registry, "responsibility-system")
    bottom = set(results.loc[results["tier"] == "第三档", "org_id"])
    first = set(results.loc[results["tier"] == "第一档", "org_id"])
    by_code = {code: set(group["org_id"]) for code, group in awards.groupby("award")}
    assert len(first) == 4 and len(bottom) == 4  # 20 % of 20 each
    assert by_code["secretary_talk"] == by_code["tier_rectify"] == by_code["barred_from_advanced"] == bottom
    assert by_code["first_tier"] == first
    barred = awards[awards["award"] == "barred_from_advanced"]
    assert set(barred["effective_until"].astype(str).str[:10]) == {"2028-01-15"}  # a year from publication


def test_organ_standardisation_gives_every_unit_a_multiplier(engine, registry):
    _, _, results, awards = run_year(engine, registry, "organ-standardisation")
    multipliers = awards[awards["kind"] == "multiplier"]
    assert set(multipliers["org_id"]) == set(results["org_id"])
    by_grade = dict(zip(multipliers["grade"], multipliers["effect"].map(lambda e: e["multiplier"])))
    assert {g: by_grade[g] for g in by_grade} == {g: {"优秀": 1.05, "良好": 1.0, "一般": 0.95, "较差": 0.9}[g]
                                                  for g in by_grade}
    named = awards[awards["award"] == "comprehensive_advanced"]
    assert set(named["tier"]) <= {"前列"} and set(named["grade"]) <= {"优秀"}


def test_study_education_issues_notices_with_deadlines(engine, registry):
    _, cycle, results, awards = run_year(engine, registry, "study-education")
    notices = awards[awards["award"] == "rectification_notice"]
    assert set(notices["org_id"]) == set(results.loc[results["tier"] == "待整改", "org_id"]) != set()
    assert set(notices["effective_until"].astype(str).str[:10]) == {"2027-03-16"}  # 60 days after 15 January
    assert all(e["reverify"] == "期满复验" and e["deadline"] == "2027-03-16" for e in notices["effect"])
    with Session(engine) as session:
        half = read_incentives(session.connection(), cycle.id, "2026-H1")
    assert set(half.loc[half["award"] == "rectification_notice", "effective_until"].astype(str).str[:10]) <= {"2026-09-08"}


def test_a_relapse_after_grading_is_read_from_the_published_history(engine, registry):
    tenant, _, graded, _ = run_year(engine, registry, "responsibility-system", seed=7)
    first = set(graded.loc[graded["tier"] == "第一档", "org_id"])
    cycle = factories.cycle(engine, registry, tenant, year=2027, scheme_id="responsibility-system")
    # Next year the branches' diligence is redrawn, so some first-tier branches fall to the bottom.
    orgs = _branches(engine, tenant)
    orgs["diligence"] = [0.45 if org in first and n % 2 == 0 else 0.95 for n, org in enumerate(orgs["org_id"])]
    generate_facts(engine, tenant_id=tenant.id, scheme=cycles.cycle_scheme(cycle), branches=orgs, year=2027, seed=11)
    for period in ("2027-Q1", "2027-Q2"):
        scoring.score_period(engine, cycle=cycle, period_key=period, registry=registry, actor="test")
        scoring.publish_period(engine, cycle=cycle, period_key=period, registry=registry, actor="test")
    with engine.connect() as conn:
        q1 = read_results(conn, cycle.id, "2027-Q1")
        history = policy_history(conn, tenant.id, Period.parse("2027-Q2"))
        revoked = {p: set(read_incentives(conn, cycle.id, p).query("award == 'level_revoked'")["org_id"])
                   for p in ("2027-Q1", "2027-Q2")}
    relapsed_q1 = first & set(q1.loc[q1["tier"] == "第三档", "org_id"])
    assert relapsed_q1 and revoked["2027-Q1"] == relapsed_q1
    assert not revoked["2027-Q2"] & revoked["2027-Q1"]  # a level is taken once
    assert set(history["period"]) == {"2026-H1", "2026", "2027-Q1"}


def test_tenants_enable_and_disable_plugins_with_an_audit_trail(engine, registry):
    tenant = factories.tenant(engine, registry, plugins=BASE)
    with transaction(engine) as session:
        assert tenants.enable_plugins(session, tenant, ["study-education", "standard-rules"], registry=registry,
                                      actor="admin") == ["study-education"]
    with transaction(engine) as session:
        with pytest.raises(NotFound, match="插件未安装：nope"):
            tenants.enable_plugins(session, tenant, ["nope"], registry=registry, actor="admin")
        with i18n.using("en"), pytest.raises(NotFound, match="not installed: nope"):
            tenants.enable_plugins(session, tenant, ["nope"], registry=registry, actor="admin")
    with Session(engine) as session:
        assert tenants.enabled_plugins(session, tenant.id) == ["standard-ledgers", "standard-rules", "study-education"]
    with transaction(engine) as session:
        assert tenants.disable_plugins(session, tenant, ["study-education"], actor="admin") == ["study-education"]
        with pytest.raises(NotFound, match="单位 .* 未启用 target-table"):
            tenants.disable_plugins(session, tenant, ["target-table"], actor="admin")
    with Session(engine) as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.entity == "tenant")).all()
        assert actions == ["create", "enable", "disable"]
        with pytest.raises(NotFound, match="未启用任何提供考核方案的插件"):
            cycles.open_cycle(session, tenant=tenant, year=2026, registry=registry, actor="t", scheme_id="study-education")


class NewerTargetTable:
    """The same scheme id in a newer version, with different points."""

    @hookimpl
    def bastion_schemes(self):
        raw = copy.deepcopy(TARGET_TABLE)
        raw["version"] = "2027.1"
        raw["policies"] = []
        raw["blocks"][0]["indicators"][1]["points"] = 10
        raw["blocks"][0]["indicators"][2]["points"] = 1
        return [raw]


def test_a_new_scheme_version_never_changes_a_cycle_already_opened(engine, registry):
    tenant, cycle, before, _ = run_year(engine, registry, "target-table")
    newer = Registry.load(entry_points=False, extra=[
        ("standard-rules", importlib.import_module("bastion.plugins.standard_rules")),
        ("standard-ledgers", importlib.import_module("bastion.plugins.standard_ledgers")),
        ("target-table-2027", NewerTargetTable()),
    ])
    with transaction(engine) as session:
        tenants.disable_plugins(session, tenant, ["target-table"], actor="admin")
        tenants.enable_plugins(session, tenant, ["target-table-2027"], registry=newer, actor="admin")
    scoring.score_period(engine, cycle=cycle, period_key="2026-Q4", registry=newer, actor="test")
    with engine.connect() as conn:
        q4 = read_results(conn, cycle.id, "2026-Q4")
    assert set(q4["scheme_version"]) == {cycles.cycle_scheme(cycle).version} == {"2024.1"}
    with engine.connect() as conn:
        assert read_results(conn, cycle.id, "2026").drop(columns="status").equals(before.drop(columns="status"))
    next_year = factories.cycle(engine, newer, tenant, year=2027)
    assert (next_year.scheme_version, next_year.scheme_plugin) == ("2027.1", "target-table-2027")
    assert cycles.cycle_scheme(next_year).blocks[0].indicators[1].points == 10


def test_study_education_notices_every_periods_weak_and_praises_by_the_period():
    """Seed 000: 月评价、季通报、半年检查和年终考核 alike, the 待整改 get a notice (及时下达整改通知书限期整改); the
    quarter's 先进 are praised in the bulletin, the half-year's proposed for the 七一 commendation, a month's not."""
    from bastion.core.contributions import PolicyContext, PolicyCycle
    from bastion.core.scheme import Scheme
    from bastion.plugins.study_education import SCHEME, StudyEducationAwards

    results = pd.DataFrame({"org_id": [1, 2, 3], "tier": ["先进", "达标", "待整改"], "grade": ["先进", "合格", "不合格"],
                            "advanced_eligible": [True, False, False]})
    scheme, cycle = Scheme.model_validate(SCHEME), PolicyCycle(1, 2026)

    def awards(period: str, published: date) -> set[tuple]:
        done = StudyEducationAwards().apply(results, PolicyContext("acme", cycle, Period.parse(period), scheme, published))
        return set(zip(done["org_id"], done["code"]))

    assert awards("2026-03", date(2026, 4, 3)) == {(3, "rectification_notice")}
    assert awards("2026-Q2", date(2026, 7, 8)) == {(3, "rectification_notice"), (1, "bulletin_praise")}
    assert awards("2026-H1", date(2026, 7, 10)) == {(3, "rectification_notice"), (1, "july_first_commendation")}
    half = StudyEducationAwards().apply(results, PolicyContext("acme", cycle, Period.parse("2026-H1"), scheme,
                                                               date(2026, 7, 10)))
    assert half.loc[half["org_id"] == 3, "effective_until"].item().isoformat() == "2026-09-08"  # 60 days after 10 July
