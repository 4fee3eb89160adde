"""What-if (方案试算) and schemes as files (方案文件): a past period scored under a draft moving points between blocks
moves exactly the branches the arithmetic says, and nothing published changes; a file equivalent to the plugin's
scheme scores the period identically; a file is checked like a plugin's scheme and adopted as a version."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from bastion.core import scheme_files, scoring, whatif
from bastion.core.cycles import cycle_scheme, open_cycle
from bastion.core.db import transaction
from bastion.core.engine import assign_grades
from bastion.core.errors import BadValue, Conflict
from bastion.core.models import AuditEvent, Evaluation, EvaluationLine, Tenant
from bastion.core.results import grade_label, read_results
from bastion.core.scheme import Scheme
from tests import factories

pytestmark = pytest.mark.storage


@pytest.fixture
def published(engine, registry):
    tenant, cycle = factories.enterprise(engine, registry, "acme")
    scoring.score_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    scoring.publish_period(engine, cycle=cycle, period_key="2026", registry=registry, actor="test")
    return tenant, cycle


def _moved(scheme: Scheme, take: str, give: str, points: float) -> Scheme:
    data = scheme.model_dump(mode="json")
    for block in data["blocks"]:
        for spec in block["indicators"]:
            if spec["code"] in (take, give):
                delta = -points if spec["code"] == take else points
                spec["points"] += delta
                if "points" in block:
                    block["points"] += delta
    return Scheme.model_validate(data | {"version": scheme.version + "-draft"})


def _state(engine, cycle):
    with engine.connect() as conn:
        results = read_results(conn, cycle.id, "2026")
        lines = conn.execute(select(func.count()).select_from(EvaluationLine)).scalar_one()
        audited = conn.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    return results.to_dict("records"), lines, audited


def test_a_draft_moving_points_moves_the_expected_grades_and_nothing_published(engine, registry, published):
    tenant, cycle = published
    scheme = cycle_scheme(cycle)
    blocks = [b for b in scheme.blocks if b.indicators and not getattr(b, "bonus", False)]
    take = max(blocks[0].indicators, key=lambda s: s.points)
    give = max(blocks[1].indicators, key=lambda s: s.points)
    draft = _moved(scheme, take.code, give.code, take.points / 2)
    before = _state(engine, cycle)

    tried = whatif.whatif(engine, cycle=cycle, period_key="2026", scheme=draft, registry=registry)

    assert _state(engine, cycle) == before  # not a result, not a line, not an audit row
    # the arithmetic: each rule's points scale with its indicator's points, so a branch's total moves by
    # −½·(its points on the one) + (its points on the other)·(new max / old max − 1)
    with engine.connect() as conn:
        lines = read_results(conn, cycle.id, "2026")[["org_id", "code", "total", "vetoed"]]
        points = {(o, c): p for o, c, p in conn.execute(select(
            EvaluationLine.__table__.c.evaluation_id, EvaluationLine.__table__.c.indicator_code,
            EvaluationLine.__table__.c.points))}
    with Session(engine) as session:
        ev_of = {e.org_id: e.id for e in session.exec(select(Evaluation).where(Evaluation.period == "2026")).scalars()}
    ratio = (give.points + take.points / 2) / give.points
    expected_total = lines.apply(lambda r: r["total"] - points[(ev_of[r["org_id"]], take.code)] / 2
                                 + points[(ev_of[r["org_id"]], give.code)] * (ratio - 1), axis=1)
    grades, _ = assign_grades(draft, expected_total, lines["vetoed"])
    expected = {c for c, g, old in zip(lines["code"], grades.map(grade_label), tried.table.set_index("code")
                                       .loc[lines["code"], "old_grade"]) if g != old}
    assert set(tried.table.loc[tried.table["grade_moved"], "code"]) == expected
    assert tried.grades_moved == len(expected) > 0
    assert tried.table["new_total"].to_numpy() == pytest.approx(
        expected_total.set_axis(lines["code"]).loc[tried.table["code"]].to_numpy(), abs=0.02)


def test_a_file_equal_to_the_plugin_s_scheme_scores_the_period_identically(engine, registry, published, tmp_path):
    tenant, cycle = published
    path = tmp_path / "scheme.yaml"
    path.write_text(scheme_files.dump(cycle_scheme(cycle)), encoding="utf-8")
    tried = whatif.whatif(engine, cycle=cycle, period_key="2026", scheme=scheme_files.load(path), registry=registry)
    assert tried.grades_moved == tried.tiers_moved == 0
    assert (tried.table["old_total"] == tried.table["new_total"]).all()
    assert (tried.table["old_rank"] == tried.table["new_rank"]).all()


def test_a_file_is_checked_and_adopted_as_a_version_of_its_own(engine, registry, published, tmp_path):
    tenant, cycle = published
    scheme = cycle_scheme(cycle)
    bad = tmp_path / "bad.yaml"
    bad.write_text(scheme_files.dump(scheme).replace("points: ", "points: x", 1), encoding="utf-8")
    with pytest.raises(BadValue, match=r"bad.yaml：\d+ 处问题：blocks\[0\]"):
        scheme_files.load(bad)
    with pytest.raises(BadValue, match="应为 .yaml"):
        scheme_files.parse("{}", "scheme.txt")
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(scheme_files.dump(scheme).replace(f"rule: {scheme.blocks[0].indicators[0].rule}",
                                                         "rule: no_such_rule", 1), encoding="utf-8")
    with transaction(engine) as session, pytest.raises(BadValue, match="no_such_rule"):
        scheme_files.adopt(session, tenant=session.get(Tenant, tenant.id), scheme=scheme_files.load(unknown),
                           source="unknown.yaml", registry=registry, actor="office")
    with transaction(engine) as session, pytest.raises(Conflict, match="已有版本"):
        scheme_files.adopt(session, tenant=session.get(Tenant, tenant.id), scheme=scheme, source="same.yaml",
                           registry=registry, actor="office")
    draft = _moved(scheme, scheme.blocks[0].indicators[-1].code, scheme.blocks[1].indicators[-1].code, 1.0)
    with transaction(engine) as session:
        scheme_files.adopt(session, tenant=session.get(Tenant, tenant.id), scheme=draft, source="2027.yaml",
                           registry=registry, actor="office")
    with transaction(engine) as session:
        next_year = open_cycle(session, tenant=session.get(Tenant, tenant.id), year=2027, registry=registry,
                               actor="office", scheme_id=scheme.id)
    assert (next_year.scheme_version, next_year.scheme_plugin) == (draft.version, cycle.scheme_plugin)
    assert cycle_scheme(next_year) == draft
