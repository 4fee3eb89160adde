"""Appeals (申诉): lodged by the branch within the window, decided once by the office; an accepted one is the
audited correction, and the ranking, awards and bulletin follow it."""

from __future__ import annotations

import io
import threading
from datetime import date, timedelta

import pytest
from docx import Document
from sqlalchemy import func
from sqlmodel import Session, select

from bastion.core import appeals, archive
from bastion.core.access import Action, Forbidden
from bastion.core.bulletins.service import write_bulletin
from bastion.core.cycles import cycle_scheme
from bastion.core.db import transaction
from bastion.core.errors import BastionError, Conflict
from bastion.core.models import Appeal, AuditEvent, Bulletin, Evaluation, Evidence
from bastion.core.periods import Period, day_of, moment_on
from bastion.core.results import explain, read_results

pytestmark = pytest.mark.storage

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _mine(engine, sample, people):
    """The secretary's branch, and a line of its 2025 result short of its maximum."""
    secretary = people["secretary"]
    with engine.connect() as conn:
        results = read_results(conn, sample.cycle.id, "2025").set_index("org_id")
        (org_id,) = secretary.roots(Action.appeal)
        code = results.loc[org_id, "code"]
        lines = explain(conn, cycle=sample.cycle, period="2025", org_code=code).lines
    line = next(r for r in lines if r["kind"] == "controllable" and r["points"] < r["max_points"] - 1)
    return code, line


def _lodge(engine, sample, who, code, indicator, reason="会议记录已补交", **kw):
    with transaction(engine) as session:
        return appeals.lodge(session, who, cycle=sample.cycle, period="2025", org_code=code, indicator_code=indicator,
                             reason=reason, **kw).id


def test_an_accepted_appeal_corrects_the_line_and_the_ranking_awards_and_bulletin_follow(engine, registry, published,
                                                                                         tmp_path):
    sample, people = published
    with transaction(engine) as session:
        write_bulletin(session, cycle=sample.cycle, period=Period.parse("2025"), home=tmp_path,
                       today=day_of(sample.cycle.opened_at) + timedelta(days=400), actor="test")
    code, line = _mine(engine, sample, people)
    with engine.connect() as conn:
        before = read_results(conn, sample.cycle.id, "2025").set_index("code")
    appeal_id = _lodge(engine, sample, people["secretary"], code, line["indicator_code"],
                       files=[("会议记录.pdf", PDF)], home=tmp_path)

    with engine.connect() as conn:
        lodged = appeals.read_appeals(conn, people["admin"], cycle_id=sample.cycle.id)
        assert appeals.read_appeals(conn, people["secretary"]).shape[0] == 1
    assert lodged[["id", "code", "indicator_code", "status", "files"]].to_dict("records") == [
        {"id": appeal_id, "code": code, "indicator_code": line["indicator_code"], "status": "lodged", "files": 1}]
    assert lodged["points_then"].item() == line["points"] == lodged["points_now"].item()

    done = appeals.decide(engine, people["admin"], appeal_id=appeal_id, accept=True, points=line["max_points"],
                          reason="经核实，会议记录齐全", registry=registry, home=tmp_path)

    with engine.connect() as conn:
        after = read_results(conn, sample.cycle.id, "2025").set_index("code")
        lines = {r["indicator_code"]: r for r in explain(conn, cycle=sample.cycle, period="2025", org_code=code).lines}
        decided = appeals.read_appeals(conn, people["secretary"]).iloc[0]
    assert done.status == "accepted" and done.correction.new_points == line["max_points"]
    assert after.loc[code, "total"] == pytest.approx(before.loc[code, "total"] + line["max_points"] - line["points"])
    assert sorted(after["rank"]) == list(range(1, len(after) + 1))
    assert lines[line["indicator_code"]]["points"] == line["max_points"]
    assert f"申诉成立（第 {appeal_id} 号申诉）：经核实，会议记录齐全" in lines[line["indicator_code"]]["reason"]
    assert decided["status"] == "accepted" and decided["points_after"] == line["max_points"]
    assert decided["decided_by"] == "admin" and decided["points_now"] == line["max_points"]
    with Session(engine) as session:
        actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]
        correction = session.exec(select(AuditEvent).where(AuditEvent.action == "correct")).one()
        bulletin = session.exec(select(Bulletin)).one()
    assert actions.index("lodge") < actions.index("upload") < actions.index("accept") < actions.index("correct")
    assert correction.new["appeal"] == appeal_id
    assert bulletin.version == 2 and "申诉成立" in bulletin.reason
    moved = done.correction.changed
    assert code in set(moved["code"])
    with engine.connect() as conn:  # the branch's archive keeps the appeal and its decision
        kept = Document(io.BytesIO(archive.branch_archive(conn, people["secretary"], cycle=sample.cycle,
                                                          org_code=code, today=date.today())))
    (row,) = [[c.text for c in r.cells] for t in kept.tables for r in t.rows if r.cells[0].text == str(appeal_id)]
    assert row[4:] == ["会议记录已补交", f"申诉成立（更正为 {line['max_points']:g} 分）", "经核实，会议记录齐全"]


def test_a_rejected_appeal_changes_no_result(engine, registry, published):
    sample, people = published
    code, line = _mine(engine, sample, people)
    with engine.connect() as conn:
        before = read_results(conn, sample.cycle.id, "2025")
    appeal_id = _lodge(engine, sample, people["secretary"], code, line["indicator_code"])
    done = appeals.decide(engine, people["admin"], appeal_id=appeal_id, accept=False,
                          reason="会议记录未载明议题，扣分依据充分", registry=registry)
    with engine.connect() as conn:
        after = read_results(conn, sample.cycle.id, "2025")
        decided = appeals.read_appeals(conn, people["admin"]).iloc[0]
    assert done.status == "rejected" and done.correction is None
    assert after.equals(before)
    assert decided["status"] == "rejected" and decided["decision"] == "会议记录未载明议题，扣分依据充分"
    with pytest.raises(appeals.AlreadyDecided, match=f"第 {appeal_id} 号申诉已由 admin 办理（不予支持）"):
        appeals.decide(engine, people["admin"], appeal_id=appeal_id, accept=True, points=line["max_points"],
                       reason="再议", registry=registry)
    with pytest.raises(Conflict, match="每项指标只能申诉一次"):
        _lodge(engine, sample, people["secretary"], code, line["indicator_code"], reason="再次申诉")


def test_appeals_are_refused_outside_the_window_the_branch_and_the_roles(engine, registry, published):
    sample, people = published
    code, line = _mine(engine, sample, people)
    indicator = line["indicator_code"]
    with engine.connect() as conn:
        other = read_results(conn, sample.cycle.id, "2025").query("code != @code").iloc[0]["code"]
        published_on = day_of(conn.execute(select(func.min(Evaluation.published_at))).scalar())
    scheme = cycle_scheme(sample.cycle)
    veto = next(s.code for s in scheme.indicators() if s.kind == "veto")
    late = published_on + timedelta(days=scheme.appeal_days + 1)
    with pytest.raises(BastionError, match=f"申诉期至 {published_on + timedelta(days=7)}（7 天），已过申诉期"):
        _lodge(engine, sample, people["secretary"], code, indicator, now=moment_on(late))
    _lodge(engine, sample, people["secretary"], code, indicator, now=moment_on(late - timedelta(days=1)))
    with pytest.raises(Forbidden):
        _lodge(engine, sample, people["secretary"], other, indicator)
    with pytest.raises(Forbidden):
        _lodge(engine, sample, people["leader"], code, indicator)
    with pytest.raises(BastionError, match="一票否决项"):
        _lodge(engine, sample, people["secretary"], code, veto)
    with pytest.raises(BastionError, match="申诉须写明申诉理由"):
        _lodge(engine, sample, people["secretary"], code, indicator, reason="  ")
    with pytest.raises(BastionError, match="尚未发布"), transaction(engine) as session:
        appeals.lodge(session, people["secretary"], cycle=sample.cycle, period="2025-H1", org_code=code,
                      indicator_code=indicator, reason="x")
    with engine.connect() as conn:
        (appeal_id,) = appeals.read_appeals(conn, people["admin"])["id"]
    with pytest.raises(Forbidden):
        appeals.decide(engine, people["secretary"], appeal_id=appeal_id, accept=False, reason="x", registry=registry)
    with pytest.raises(BastionError, match="相同"):
        appeals.decide(engine, people["admin"], appeal_id=appeal_id, accept=True, points=line["points"], reason="x",
                       registry=registry)
    with pytest.raises(BastionError, match="申诉成立须给出更正后的得分"):
        appeals.decide(engine, people["admin"], appeal_id=appeal_id, accept=True, reason="x", registry=registry)
    with Session(engine) as session:
        assert session.exec(select(Appeal)).one().status == "lodged"
        assert session.exec(select(AuditEvent).where(AuditEvent.action.in_(["accept", "reject", "correct"]))).first() \
            is None


def test_two_decisions_at_once_act_once(engine, registry, published):
    sample, people = published
    code, line = _mine(engine, sample, people)
    appeal_id = _lodge(engine, sample, people["secretary"], code, line["indicator_code"])
    start, outcomes = threading.Barrier(2), []

    def decide(accept: bool) -> None:
        start.wait()
        try:
            appeals.decide(engine, people["admin"], appeal_id=appeal_id, accept=accept,
                           points=line["max_points"] if accept else None, reason="办理", registry=registry)
            outcomes.append(("done", accept))
        except BastionError as exc:
            outcomes.append(("refused", type(exc).__name__))

    threads = [threading.Thread(target=decide, args=(accept,)) for accept in (True, False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o[0] for o in outcomes) == ["done", "refused"], outcomes
    accepted = ("done", True) in outcomes
    with Session(engine) as session:
        appeal = session.exec(select(Appeal)).one()
        corrections = session.exec(select(func.count()).select_from(AuditEvent)
                                   .where(AuditEvent.action == "correct")).one()
    assert appeal.status == ("accepted" if accepted else "rejected")
    assert corrections == (1 if accepted else 0)


def test_two_appeals_on_one_line_at_once_make_one(engine, registry, published):
    sample, people = published
    code, line = _mine(engine, sample, people)
    start, outcomes = threading.Barrier(3), []

    def lodge() -> None:
        start.wait()
        try:
            outcomes.append(_lodge(engine, sample, people["secretary"], code, line["indicator_code"]))
        except BastionError as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=lodge) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(isinstance(o, int) for o in outcomes) == 1 and outcomes.count("Conflict") == 2, outcomes
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Appeal)).one() == 1
        assert session.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "lodge")).one() == 1
        assert session.exec(select(func.count()).select_from(Evidence)).one() == 0
