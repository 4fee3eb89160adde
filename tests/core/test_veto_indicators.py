"""Veto indicators of every kind through the product: what the inspectors' form, the importer and the ballots
take for them, and a discipline case and a poor rating vetoing the stored results.

A veto indicator takes findings only when its rule reads findings (``veto_on_finding``): a finding against a
``veto_on_ledger`` or ``veto_on_rating`` indicator would count for nothing, so it is refused, by the form and by
the importer alike (the rule is ``core.inspection.service``'s). A ``veto_on_rating`` indicator is asked on the
ballots of its sources: a level on the usual scale when levels veto, a score when a score does.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from bastion import hookimpl
from bastion.core import i18n, inspection, scoring
from bastion.core.ballots import questions as ballots
from bastion.core.contributions import LedgerType
from bastion.core.db import transaction
from bastion.core.errors import BastionError
from bastion.core.importing import ImportRejected, import_file
from bastion.core.models import Check, Finding
from bastion.core.registry import Registry
from bastion.core.results import read_results
from tests import factories
from tests.core import people

pytestmark = pytest.mark.usefixtures("cheap_passwords")

SCHEME = {
    "id": "vetoes-test", "version": "1", "name": "一票否决测试方案", "total_points": 100,
    "blocks": [{"code": "A", "name": "组织建设", "indicators": [
        {"code": "F1", "name": "作风督查", "kind": "controllable", "points": 50, "rule": "finding_deduction"},
        {"code": "A1", "name": "支委会每月召开", "kind": "controllable", "points": 50, "rule": "ledger_target",
         "params": {"ledger_type": "committee_meeting", "per": "month"}, "targets": {"*": 1}},
        {"code": "FV", "name": "班子团结", "kind": "veto", "points": 0, "rule": "veto_on_finding"},
        {"code": "NV", "name": "违纪违法案件", "kind": "veto", "points": 0, "rule": "veto_on_ledger",
         "params": {"ledger_types": ["discipline_case"]}},
        {"code": "RV", "name": "上级综合评价", "kind": "veto", "points": 0, "rule": "veto_on_rating",
         "params": {"levels": ["较差", "D"]}},
        {"code": "SV", "name": "党员满意度底线", "kind": "veto", "points": 0, "rule": "veto_on_rating",
         "params": {"below": 60, "sources": ["members"]}},
    ]}],
    "grades": [{"name": "合格", "min_score": 0}],
    "tiers": {"method": "score", "bands": [{"name": "一档"}]},
}


class Vetoes:
    """The scheme above and the discipline-case ledger (违纪案件) its NV counts."""

    @hookimpl
    def bastion_ledger_types(self):
        return [LedgerType("discipline_case", "违纪案件", "discipline case")]

    @hookimpl
    def bastion_schemes(self):
        return [SCHEME]


@pytest.fixture(scope="module")
def reg() -> Registry:
    loaded = Registry.load(extra=[("vetoes-test", Vetoes())])
    assert loaded.schemes()["vetoes-test"].plugin == "vetoes-test"
    return loaded


@pytest.fixture
def world(engine, reg):
    tenant = factories.tenant(engine, reg, "veto", plugins=(*factories.BUILTINS, "vetoes-test"))
    cycle = factories.cycle(engine, reg, tenant, scheme_id="vetoes-test")
    ids = people.tree(engine, tenant)
    return {"tenant": tenant, "cycle": cycle, "ids": ids,
            "inspector": people.person(engine, tenant, "insp", ("inspector", "DW"))}


def _count(engine, model) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_the_form_offers_only_the_indicators_whose_rule_reads_findings(engine, reg, world):
    with engine.connect() as conn:
        offered = inspection.scheme_indicators(conn, world["inspector"], cycle_id=world["cycle"].id, registry=reg)
    assert list(offered["code"]) == ["F1", "FV"]


@pytest.mark.parametrize(("code", "rule", "name"), [("NV", "veto_on_ledger", "违纪违法案件"),
                                                     ("RV", "veto_on_rating", "上级综合评价"),
                                                     ("A1", "ledger_target", "支委会每月召开")])
def test_a_finding_on_an_indicator_whose_rule_reads_none_is_refused(engine, reg, world, code, rule, name):
    def record():
        with transaction(engine) as session:
            inspection.record_finding(session, world["inspector"], cycle_id=world["cycle"].id, org_code="A",
                                      indicator_code=code, deduction=0.0, description="发现问题",
                                      on=date(2026, 6, 1), today=date(2026, 6, 30), registry=reg)

    with pytest.raises(BastionError, match=f"^指标：{code}（{name}）按 {rule} 评分，不计检查发现：不能对它记录问题$"):
        record()
    with i18n.using("en"), pytest.raises(BastionError, match=fr"^indicator: {code} \({name}\) is scored by {rule}, "
                                                           "which reads no findings"):
        record()
    assert _count(engine, Finding) == 0 and _count(engine, Check) == 0
    with transaction(engine) as session:  # the same finding against the veto indicator that reads findings
        inspection.record_finding(session, world["inspector"], cycle_id=world["cycle"].id, org_code="A",
                                  indicator_code="FV", deduction=0.0, description="发现问题",
                                  on=date(2026, 6, 1), today=date(2026, 6, 30), registry=reg)
    assert _count(engine, Finding) == 1


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_importer_refuses_a_finding_on_a_ledger_or_rating_veto_naming_row_and_field(engine, reg, world,
                                                                                      tmp_path, language):
    base = {"org_code": "A", "date": "2026-06-01", "check_kind": "daily", "inspector": "督查组",
            "indicator_code": "F1", "deduction": "1", "description": "支委会记录缺签到"}
    path = _csv(tmp_path / "findings.csv", [base, base | {"indicator_code": "NV", "deduction": "0"},
                                            base | {"indicator_code": "SV", "deduction": "0", "description": "另一处"}])
    with i18n.using(language), pytest.raises(ImportRejected) as refused:
        import_file(engine, tenant=world["tenant"], kind="findings", path=path, registry=reg, actor="test")

    assert {(e.row, e.key) for e in refused.value.errors} == {(3, "indicator_code"), (4, "indicator_code")}
    message = str(refused.value)
    if language == "zh":
        assert "findings.csv，第 3 行，指标编码：NV（违纪违法案件）按 veto_on_ledger 评分，不计检查发现：不能对它记录问题\n" in message
        assert message.endswith("findings.csv，第 4 行，指标编码：SV（党员满意度底线）按 veto_on_rating 评分，不计检查发现："
                                "不能对它记录问题")
    else:
        assert ("findings.csv, row 3, indicator_code: NV (违纪违法案件) is scored by veto_on_ledger, which reads no "
                "findings: no finding can be recorded against it\n") in message
    assert _count(engine, Finding) == 0 and _count(engine, Check) == 0  # not even row 2


def test_the_ballots_ask_each_source_about_the_veto_indicators_it_rates(engine, reg, world):
    with engine.connect() as conn:
        superior = ballots.questions(conn, world["cycle"], "superior", reg)
        members = ballots.questions(conn, world["cycle"], "members", reg)
        peers = ballots.questions(conn, world["cycle"], "peers", reg)
    # RV vetoes on levels: the superior chooses a level on the usual scale, not only among the vetoing ones.
    assert [(q.indicator_code, q.levels) for q in superior] == [
        ("RV", ("优秀", "良好", "一般", "较差", "A", "B", "C", "D"))]
    # SV vetoes below a score: the members give a score on it.
    assert [(q.indicator_code, q.qualitative) for q in members] == [("SV", False)]
    assert [q.indicator_code for q in peers] == [None]  # asked about nothing: the overall score, as ever


def test_a_discipline_case_and_a_poor_rating_veto_the_stored_results(engine, reg, world, tmp_path):
    tenant = world["tenant"]

    def load(kind: str, rows: list[dict[str, str]]) -> None:
        import_file(engine, tenant=tenant, kind=kind, path=_csv(tmp_path / f"{kind}.csv", rows), registry=reg,
                    actor="test")

    load("ledger", [{"org_code": "A", "type": "违纪案件", "date": "2026-05-12", "quantity": "", "title": "违纪案件",
                     "note": ""}])
    rating = {"org_code": "B", "source": "superior", "rater": "", "indicator_code": "RV", "score": "",
              "level": "较差", "date": "2026-12-10", "note": ""}
    load("ratings", [rating, rating | {"org_code": "C", "level": "一般"},
                     rating | {"org_code": "C", "source": "members", "rater": "票1", "indicator_code": "SV",
                               "score": "58", "level": ""}])
    scoring.score_period(engine, cycle=world["cycle"], period_key="2026", registry=reg, actor="test")

    with engine.connect() as conn:
        results = read_results(conn, world["cycle"].id, "2026").set_index("code")
    assert results["vetoed"].to_dict() == {"A": True, "B": True, "C": True}
    assert results.loc["A", "veto_reasons"] == ["违纪违法案件：登记 违纪案件 1 条（2026-05-12）"]
    assert results.loc["B", "veto_reasons"] == ["上级综合评价：上级机关评定为 较差"]
    assert results.loc["C", "veto_reasons"] == ["党员满意度底线：党员群众评分 58，低于 60"]  # 一般 does not veto
    assert set(results["grade"]) == {"不合格"}
