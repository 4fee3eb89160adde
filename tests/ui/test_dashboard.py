"""The leaders' dashboard page on the sample enterprise: figures, charts, drill-down, bulletin, locales."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pyarrow as pa
from bastion.core import dashboard, results, users
from bastion.core.db import transaction
from bastion.core.models import Organization, Tenant
from sqlalchemy import select
from sqlmodel import Session

from bastion import demo

PAGE = "dashboard.py"
PERIOD = "2025"  # the sample's published year; its 2026 cycle is open without results


def _org(engine, code: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Organization.id).where(Organization.code == code)).scalar_one()


def _charts(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]


def _marks(at) -> list[str]:
    def mark(spec: dict) -> list[str]:
        if "layer" in spec:
            return [m for layer in spec["layer"] for m in mark(layer)]
        value = spec.get("mark")
        return [value["type"] if isinstance(value, dict) else value]

    return [m for spec in _charts(at) for m in mark(spec)]


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_admin_sees_the_headline_ranking_charts_and_the_latest_bulletin(app, login, ui_engine, sample_db):
    at = app("admin", PAGE)
    assert not at.exception and not at.error
    who = login("admin")
    with ui_engine.connect() as conn:
        head = dashboard.headline(conn, who, cycle_id=sample_db.cycle_id, period=PERIOD, unqualified_grade="不合格",
                                  today=date.today())
        latest = dashboard.latest_bulletin(conn, who)
    assert _metrics(at)["参评党支部"] == str(head.branches) == "12"
    assert _metrics(at)["平均分"] == f"{head.average:.2f}"
    ranking = at.dataframe[0].value
    assert len(ranking) == 12 and ranking["排名"].tolist() == sorted(ranking["排名"])
    assert sorted(_marks(at)) == ["bar", "bar", "line", "point", "rect", "rect", "rect", "text"]
    assert latest.period == PERIOD and any(latest.title in m.value for m in at.markdown)
    assert len(at.dataframe[-1].value) == 10
    assert {b.key for b in at.get("download_button")} == {"ranking_xlsx", "bulletin_docx", "bulletin_xlsx"}


def _chart_data(chart) -> pd.DataFrame:
    (dataset,) = chart.proto.datasets
    return pa.ipc.open_stream(dataset.data.data).read_pandas()


def test_the_heatmap_has_a_row_per_general_branch_and_a_column_per_block(app):
    at = app("admin", PAGE)
    (heat,) = [chart for chart in at.get("vega_lite_chart") if len(json.loads(chart.proto.spec).get("layer", [])) == 4]
    cells = _chart_data(heat)
    assert set(cells["label"]) == {"机关党总支（ZZ01）", "生产党总支（ZZ02）", "经营服务党总支（ZZ03）", "离退休党总支（ZZ04）"}
    assert set(cells["block_code"]) == {"B1", "B2", "B3", "B4", "B5", "B6", "BX"} and len(cells) == 4 * 7
    assert cells["share"].between(0, 1).all() and cells["evaluations"].groupby(cells["code"]).first().sum() == 12
    assert cells.loc[cells["block_code"] == "BX", "bonus"].all() and not cells.loc[cells["block_code"] != "BX", "bonus"].any()


def test_the_ranking_is_searched(app):
    at = app("leader", PAGE)
    at.text_input(key="ranking_search").input("采油厂").run()
    assert not at.exception
    assert sorted(at.dataframe[0].value["编码"]) == ["ZB00002", "ZB00003"]


def test_a_leader_drills_down_to_a_branch_and_sees_its_explanation(app, login, ui_engine, sample_db):
    at = app("leader", PAGE)
    general, branch = _org(ui_engine, "ZZ02"), _org(ui_engine, "ZB00002")
    at.selectbox(key="drill_0").set_value(general).run()
    assert not at.exception
    with ui_engine.connect() as conn:
        below = dashboard.ranking(conn, login("leader"), cycle_id=sample_db.cycle_id, period=PERIOD, under=general)
    assert _metrics(at)["参评党支部"] == str(below.total)
    assert sorted(at.dataframe[0].value["编码"]) == sorted(below.rows["code"])
    assert at.selectbox(key="drill_1").options[1:] == [f"{r.name}（{r.code}）" for r in below.rows
                                                       .sort_values("code").itertuples()]

    at.selectbox(key="drill_1").set_value(branch).run()
    assert not at.exception and not at.error
    with ui_engine.connect() as conn:
        explained = dashboard.explain_branch(conn, login("leader"), cycle_id=sample_db.cycle_id, period=PERIOD,
                                             org_code="ZB00002")
    assert at.subheader[0].value == "第一采油厂党支部 · 考核详情"
    assert _metrics(at)["总分"] == f"{explained.evaluation['total']:.2f}"
    lines = at.table[0].value
    assert lines["编码"].tolist() == [line["indicator_code"] for line in explained.lines]
    evidence = at.dataframe[0].value
    assert len(evidence) == len(results.evidence_rows(explained)) > 0
    assert set(evidence["来源"]) <= {"台账", "检查发现", "测评票", "测评汇总"} and "支委会" in set(evidence["类型"])
    assert (lines["目标值"] == "").any() and not lines.isin(["None", "nan", "NaN"]).any().any()  # blank when unset

    at.selectbox(key="drill_0").set_value(_org(ui_engine, "ZZ04")).run()  # another general branch: the branch goes
    assert not at.exception and at.selectbox(key="drill_1").value is None
    assert _metrics(at)["参评党支部"] == "2" and at.subheader[0].value == "排名"
    at.selectbox(key="drill_0").set_value(None).run()
    assert _metrics(at)["参评党支部"] == "12"


def test_an_inspector_drills_down_too(app, ui_engine):
    at = app("inspector", PAGE)
    at.selectbox(key="drill_0").set_value(_org(ui_engine, "ZZ04")).run()
    at.selectbox(key="drill_1").set_value(_org(ui_engine, "ZB00009")).run()
    assert not at.exception and not at.error
    assert at.subheader[0].value.startswith("第一离退休管理站党支部")


def test_a_leader_of_one_general_branch_sees_only_its_branches(app, ui_engine):
    with Session(ui_engine) as session:
        tenant = session.exec(select(Tenant).where(Tenant.code == demo.DEMO_TENANT)).scalar_one()
    with transaction(ui_engine) as session:
        users.create_user(session, tenant=tenant, username="zz02", password=demo.DEMO_PASSWORD,
                          display_name="生产党总支书记", grants=[("leader", "ZZ02")], actor="test")
    at = app("zz02", PAGE)
    assert not at.exception and not at.error
    ranking = at.dataframe[0].value
    assert set(ranking["上级党组织"]) == {"生产党总支"} and len(ranking) == int(_metrics(at)["参评党支部"])
    options = at.selectbox(key="drill_0").options
    assert options[0] == "全部" and all("ZB" in o for o in options[1:]) and len(options) == len(ranking) + 1
    assert not at.get("download_button")[1:]  # no bulletin: it covers the whole enterprise
    assert any("通报面向全企业" in c.value for c in at.caption)


def test_the_dashboard_in_english(app):
    at = app("admin", PAGE, locale="en")
    assert not at.exception
    assert at.title[0].value == "Leaders' dashboard"
    assert set(_metrics(at)) == {"Branches", "Average", "Advanced", "Unqualified", "Open notices", "Overdue"}
    assert [h.value for h in at.subheader] == ["Ranking", "Blocks heatmap", "Graded leader review", "Latest bulletin"]
    assert at.dataframe[0].value.columns.tolist()[:3] == ["Rank", "Code", "Organisation"]
    assert at.selectbox(key="drill_0").options[0] == "All"


def test_english_mode_names_every_choice_in_english(app):
    """A reported slip: "全部" stayed Chinese in English mode (a label read outside the run's language)."""
    at = app("leader", PAGE, locale="en")
    assert not at.exception
    assert at.selectbox(key="drill_0").options[0] == "All"
    at.sidebar.selectbox(key="period").set_value("2025-H1").run()  # sent back as its label: must be the English one
    assert not at.exception and at.sidebar.selectbox(key="period").value == "2025-H1"
    assert "2025 H1" in at.sidebar.selectbox(key="period").options
