"""The ratings page (民主测评): a rater fills in their pending ballots, each once; sees their submitted ones
read-only and the quorum; never another rater's ballots."""

from __future__ import annotations

import pandas as pd
from bastion.core import ballots, users
from bastion.core.db import transaction
from bastion.core.models import Ballot, Cycle, Rating, Tenant
from sqlmodel import Session, select

from bastion.demo import DEMO_PASSWORD

PAGE = "ratings.py"


def button(at, label):
    return next(b for b in at.button if b.label == label)


def assign(engine, codes, *, source="members", rater="rater") -> list[int]:
    with transaction(engine) as session:
        cycle = session.exec(select(Cycle).order_by(Cycle.year.desc())).first()
        made = ballots.assign_ballots(session, actor="admin", cycle=cycle, period=str(cycle.year), source=source,
                                      rater_username=rater, org_codes=codes)
        return [b.id for b in made]


def test_a_rater_without_ballots_is_told_so(app):
    at = app("rater", PAGE)
    assert not at.exception
    assert at.title[0].value == "民主测评" and at.info[0].value == "目前没有分配给您的测评票。"


def test_a_rater_submits_a_ballot_once(app, ui_engine, login):
    first, second = assign(ui_engine, ["ZB00001", "ZB00002"])
    at = app("rater", PAGE)
    assert not at.exception
    assert at.subheader[0].value == "待提交（2）" and len(at.expander) == 2
    at.number_input(key=f"ballot_score_{first}").set_value(88)
    at.text_input(key=f"ballot_note_{first}").input("组织生活扎实")
    button(at, "提交测评票").click().run()  # the first ballot's form
    assert not at.exception and not at.error
    assert at.success[0].value.startswith("已提交对 ")
    assert at.subheader[0].value == "待提交（1）" and at.subheader[1].value == "已提交（1）"
    assert "ballot_score_%d" % first not in [w.key for w in at.number_input]

    with ui_engine.connect() as conn:
        mine = ballots.my_ballots(conn, login("rater")).set_index("ballot_id")
    assert mine.loc[first, "score"] == 88 and mine.loc[first, "note"] == "组织生活扎实"
    assert pd.isna(mine.loc[second, "submitted_at"])
    quorum = at.dataframe[-1].value
    assert quorum["已提交/应投"].tolist() == ["1/1", "0/1"] and quorum["法定票数"].tolist() == ["1", "1"]


def test_a_ballot_is_not_submitted_twice_from_a_page_left_open(app, ui_engine):
    (ballot_id,) = assign(ui_engine, ["ZB00003"])
    here, there = app("rater", PAGE), app("rater", PAGE)
    for at, score in ((here, 70), (there, 95)):
        at.number_input(key=f"ballot_score_{ballot_id}").set_value(score)
    button(here, "提交测评票").click().run()
    button(there, "提交测评票").click().run()
    assert not there.exception  # the rerun finds the ballot submitted: it is shown read-only, not submitted again
    assert there.subheader[0].value == "待提交（0）" and there.dataframe[0].value["分数"].tolist() == [70]
    with Session(ui_engine) as session:
        ballot = session.get(Ballot, ballot_id)
        ratings = session.exec(select(Rating).where(Rating.rater == "rater")).all()
    assert [r.score for r in ratings] == [70] and ballot.rating_id == ratings[0].id


def test_a_rater_whose_role_is_revoked_while_the_page_is_open_submits_nothing(app, ui_engine, login):
    from bastion.core import admin

    (ballot_id,) = assign(ui_engine, ["ZB00004"])
    at = app("rater", PAGE)
    at.number_input(key=f"ballot_score_{ballot_id}").set_value(80)
    boss = login("admin")
    with transaction(ui_engine) as session:
        admin.revoke_role(session, boss, username="rater", role="rater", org_code="DW")
    button(at, "提交测评票").click().run()
    assert not at.exception
    assert at.warning[0].value == "您的账号还没有分配角色，请联系管理员。"  # the next run reads the grants again
    with Session(ui_engine) as session:
        assert session.get(Ballot, ballot_id).submitted_at is None
        assert not session.exec(select(Rating).where(Rating.rater == "rater")).all()


def test_a_qualitative_question_is_answered_with_a_level(app, ui_engine):
    (ballot_id,) = assign(ui_engine, ["ZB00004"], source="superior")
    at = app("rater", PAGE)
    at.selectbox(key=f"ballot_question_{ballot_id}").set_value(1).run()
    at.radio(key=f"ballot_level_{ballot_id}").set_value("良好")
    button(at, "提交测评票").click().run()
    assert not at.exception and not at.error
    with Session(ui_engine) as session:
        rating = session.exec(select(Rating).where(Rating.rater == "rater")).one()
    assert (rating.indicator_code, rating.level, rating.score, rating.source) == ("B1-4", "良好", None, "superior")


def test_a_score_left_empty_is_refused(app, ui_engine):
    assign(ui_engine, ["ZB00005"])
    at = app("rater", PAGE)
    button(at, "提交测评票").click().run()
    assert "分数：请为" in at.error[0].value
    with Session(ui_engine) as session:
        assert not session.exec(select(Rating).where(Rating.rater == "rater")).all()


def test_a_rater_never_sees_another_rater_s_ballots(app, ui_engine):
    with transaction(ui_engine) as session:
        tenant = session.exec(select(Tenant)).first()
        users.create_user(session, tenant=tenant, username="rater-2", password=DEMO_PASSWORD,
                          grants=[("rater", None)], actor="test")
    assign(ui_engine, ["ZB00006"], rater="rater-2")
    at = app("rater", PAGE)
    assert not at.exception and at.info[0].value == "目前没有分配给您的测评票。"
