"""A published period keeps the tree it was scored on (组织快照, issue 18): renaming a branch, moving it to another
general branch, renaming that general branch and changing a branch's category and members change nothing a reader
of the published period sees — its results, explanation, ranking, heatmap, incentives and bulletin — while a
period scored afterwards follows the tree as it is now."""

from __future__ import annotations

from datetime import date

import pytest
from docx import Document
from sqlmodel import Session, select

from bastion.core import dashboard, organizations, scoring
from bastion.core.bulletins import service as bulletins
from bastion.core.db import transaction
from bastion.core.models import Organization
from bastion.core.results import explain, read_incentives, read_results, results_records
from bastion.core.stages import service as stages
from tests import factories
from tests.core.people import person


@pytest.fixture
def ctx(engine, registry, tmp_path) -> stages.StageContext:
    return stages.StageContext(engine, registry, tmp_path / "home", "督查组")


def _seen(engine, admin, cycle, period: str, code: str) -> dict:
    """Everything a reader of ``period`` is shown, as plain values."""
    with engine.connect() as conn:
        every = read_results(conn, cycle.id, period, level=None)
        explained = explain(conn, cycle=cycle, period=period, org_code=code)
        heat = dashboard.heatmap(conn, admin, cycle_id=cycle.id, period=period)
        zz = int(heat.cells["org_id"].iloc[0])
        heat_below = dashboard.heatmap(conn, admin, cycle_id=cycle.id, period=period, node_id=zz)
        return {
            "results": results_records(every),
            "explanation": (explained.org, {k: v for k, v in explained.evaluation.items() if k != "scored_at"},
                            explained.lines),
            "ranking": dashboard.ranking_table(conn, admin, cycle_id=cycle.id, period=period).to_dict("records"),
            "heatmap": heat.cells.to_dict("records"), "heatmap_below": heat_below.cells.to_dict("records"),
            "incentives": read_incentives(conn, cycle.id, period)[["org_id", "code", "name", "award"]]
            .to_dict("records"),
        }


def _bulletin_text(path) -> list[str]:
    document = Document(path)
    return [p.text for p in document.paragraphs] + [c.text for t in document.tables for row in t.rows
                                                     for c in row.cells]


def test_a_published_period_reads_as_published_after_the_tree_changes(engine, registry, ctx):
    tenant, cycle = factories.enterprise(engine, registry, "acme")
    run = stages.run_stage(ctx, cycle, "half_year", period="2026-H1", on=date(2026, 7, 10))
    assert run.status == "succeeded"
    with engine.connect() as conn:
        first = read_results(conn, cycle.id, "2026-H1").iloc[0]
    code, old_parent = first["code"], first["parent_code"]
    admin = person(engine, tenant, "admin", ("admin", "DW"))
    before = _seen(engine, admin, cycle, "2026-H1", code)
    text_before = _bulletin_text(run.detail["bulletin"])
    assert text_before and any(first["name"] in t for t in text_before)

    with Session(engine) as session:
        generals = session.exec(select(Organization.code).where(Organization.tenant_id == tenant.id,
                                                                Organization.level == "general_branch")
                                .order_by(Organization.code)).all()
    new_parent = next(g for g in generals if g != old_parent)
    with transaction(engine) as session:
        organizations.update_organization(session, admin, code=code, name="改名后的党支部", category="离退休",
                                          member_count=3)
        organizations.move_organization(session, admin, code=code, parent_code=new_parent)
        organizations.update_organization(session, admin, code=new_parent, name="改名后的党总支")

    assert _seen(engine, admin, cycle, "2026-H1", code) == before
    bulletins_again = bulletins.write_bulletin  # the bulletin written again from the published results reads alike
    with transaction(engine) as session:
        again = bulletins_again(session, cycle=cycle, period=scoring.in_cycle(cycle, "2026-H1"), home=ctx.home,
                                today=date(2026, 7, 10), actor="test")
    assert _bulletin_text(again.docx_path) == text_before

    # A period scored now follows the tree as it is now.
    scoring.score_period(engine, cycle=cycle, period_key="2026-Q3", registry=registry, actor="test")
    with engine.connect() as conn:
        now = read_results(conn, cycle.id, "2026-Q3").set_index("code").loc[code]
    assert (now["name"], now["parent_code"], now["parent_name"], now["category"]) == \
        ("改名后的党支部", new_parent, "改名后的党总支", "离退休")
