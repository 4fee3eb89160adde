"""The ballot page (民主测评投票), run by AppTest with no login: a code opens its ballot, every question answered
casts it once; a bad or used code is told why; a missing answer is named, nothing cast."""

from __future__ import annotations

from sqlmodel import Session, select

from bastion.core import cycles, tenants
from bastion.core.ballots import rounds
from bastion.core.db import transaction
from bastion.core.models import CastBallot

PAGE = "ballot.py"


def _slip(engine, sample_db, registry, source="superior"):
    with transaction(engine) as session:
        cycle = cycles.resolve_cycle(session, session.get(tenants.Tenant, sample_db.tenant_id), 2026)
        found = rounds.open_round(session, actor="office", cycle=cycle, period="2026", registry=registry)
    with transaction(engine) as session:
        return next(s for s in rounds.issue_codes(session, actor="office", round_id=found.id) if s.source == source)


def _cast(at) -> None:
    for n, number in enumerate(x for x in at.number_input if str(x.key).startswith("ballot_form")):
        number.set_value(80.0 + n)
    for radio in (x for x in at.radio if str(x.key).startswith("ballot_form")):
        radio.set_value(radio.options[1])
    at.button(key="FormSubmitter:ballot_form_0-投票").click().run()


def test_the_page_opens_with_no_login_and_asks_for_a_code(app):
    at = app(None, PAGE)
    assert not at.exception
    assert at.title[0].value == "民主测评投票" and not at.text_input(key="ballot_code_0").value
    at.text_input(key="ballot_code_0").input("hello").run()
    assert [e.value for e in at.error] and "不是有效的测评码" in at.error[0].value


def test_a_code_casts_its_ballot_once(app, ui_engine, sample_db, registry):
    slip = _slip(ui_engine, sample_db, registry)
    at = app(None, PAGE)
    at.text_input(key="ballot_code_0").input(slip.code.lower()).run()  # typed as a person types it
    assert not at.exception and slip.org_name in " ".join(m.value for m in at.markdown)
    assert len([x for x in at.radio if str(x.key).startswith("ballot_form")]) >= 1
    at.button(key="FormSubmitter:ballot_form_0-投票").click().run()  # nothing answered: each question named
    assert len(at.error) >= 2 and "总体评价" in at.error[0].value
    with Session(ui_engine) as session:
        assert not session.exec(select(CastBallot)).all()
    _cast(at)
    assert not at.exception and "投票成功" in at.success[0].value
    with Session(ui_engine) as session:
        (ballot,) = session.exec(select(CastBallot)).all()
    assert ballot.answers[""] == 80.0
    at.text_input(key="ballot_code_1").input(slip.code).run()
    assert "已投过票" in at.error[0].value
