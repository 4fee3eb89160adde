"""A correction of a published period re-issues its bulletin (更正后重新印发, issue 18): a new version that says why
and carries the corrected standings; the issue it replaces is kept — its row and its files — marked superseded."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from docx import Document
from sqlmodel import Session, select

from bastion.core import dashboard
from bastion.core.bulletins.queries import IN_FORCE, SUPERSEDED, read_bulletins
from bastion.core.corrections import correct_points
from bastion.core.models import AuditEvent, Bulletin, SupersededBulletin
from bastion.core.results import read_results
from bastion.core.stages import service as stages
from tests import factories
from tests.core.people import person


@pytest.fixture
def ctx(engine, registry, tmp_path) -> stages.StageContext:
    return stages.StageContext(engine, registry, tmp_path / "home", "督查组")


def _text(path: str) -> str:
    document = Document(path)
    return "\n".join([p.text for p in document.paragraphs]
                     + [c.text for t in document.tables for row in t.rows for c in row.cells])


def test_a_correction_re_issues_the_bulletin_and_keeps_the_one_it_replaces(engine, registry, ctx):
    tenant, cycle = factories.enterprise(engine, registry, "acme")
    run = stages.run_stage(ctx, cycle, "half_year", period="2026-H1", on=date(2026, 7, 10))
    first_docx, first_xlsx = Path(run.detail["bulletin"]), Path(run.detail["table"])
    first_bytes = first_docx.read_bytes(), first_xlsx.read_bytes()
    admin = person(engine, tenant, "admin", ("admin", "DW"))
    with engine.connect() as conn:
        last = read_results(conn, cycle.id, "2026-H1").iloc[0]  # the first, corrected down

    done = correct_points(engine, admin, cycle=cycle, period="2026-H1", org_code=last["code"], indicator_code="L2",
                          points=0, reason="申诉成立，L2 应扣分", registry=registry, home=ctx.home,
                          today=date(2026, 7, 20))
    assert done.bulletin_version == 2
    with Session(engine) as session:
        bulletin = session.exec(select(Bulletin).where(Bulletin.cycle_id == cycle.id,
                                                       Bulletin.period == "2026-H1")).one()
        superseded = session.exec(select(SupersededBulletin)).all()
        audit = session.exec(select(AuditEvent).where(AuditEvent.action == "reissue")).all()
    assert (bulletin.version, bulletin.reason) == (2, "申诉成立，L2 应扣分")
    assert Path(bulletin.docx_path).name == "通报-2026-H1-v2.docx" and Path(bulletin.docx_path).exists()
    text = _text(bulletin.docx_path)
    assert text != _text(str(first_docx))
    assert "本通报为第 2 版：考核结果更正（申诉成立，L2 应扣分）后重新印发，原通报同时作废。" in text
    # The replaced issue: its row, and its files untouched.
    assert [(s.version, s.docx_path, s.xlsx_path) for s in superseded] == [(1, str(first_docx), str(first_xlsx))]
    assert (first_docx.read_bytes(), first_xlsx.read_bytes()) == first_bytes
    assert len(audit) == 1 and audit[0].new["version"] == 2 and audit[0].note == "申诉成立，L2 应扣分"
    listed = read_bulletins(engine, cycle.id)
    assert [(b["period"], b["version"], b["status"]) for b in listed] == [("2026-H1", 1, SUPERSEDED),
                                                                          ("2026-H1", 2, IN_FORCE)]
    with engine.connect() as conn:  # the dashboard's latest bulletin is the issue in force
        latest = dashboard.latest_bulletin(conn, admin)
        name, _ = dashboard.bulletin_file(conn, admin, bulletin_id=latest.id, kind="docx", home=ctx.home)
    assert name == "通报-2026-H1-v2.docx"

    again = correct_points(engine, admin, cycle=cycle, period="2026-H1", org_code=last["code"], indicator_code="L2",
                           points=1, reason="复核后改为 1 分", registry=registry, home=ctx.home)
    assert again.bulletin_version == 3
    listed = read_bulletins(engine, cycle.id)
    assert [(b["version"], b["status"], b["reason"]) for b in listed] == [
        (1, SUPERSEDED, ""), (2, SUPERSEDED, "申诉成立，L2 应扣分"), (3, IN_FORCE, "复核后改为 1 分")]


def test_a_correction_of_a_draft_or_without_the_archive_issues_nothing(engine, registry, ctx):
    tenant, cycle = factories.enterprise(engine, registry, "acme")
    from bastion.core import scoring

    scoring.score_period(engine, cycle=cycle, period_key="2026-Q1", registry=registry, actor="test")
    admin = person(engine, tenant, "admin", ("admin", "DW"))
    with engine.connect() as conn:
        code = read_results(conn, cycle.id, "2026-Q1").iloc[0]["code"]
    done = correct_points(engine, admin, cycle=cycle, period="2026-Q1", org_code=code, indicator_code="L2",
                          points=0, reason="草稿更正", registry=registry, home=ctx.home)
    assert done.bulletin_version is None and read_bulletins(engine, cycle.id) == []
