"""The generic rule types added for the seed schemes, scored by hand on one indicator each."""

from __future__ import annotations

import pandas as pd

from bastion import hookimpl
from bastion.core.contributions import LedgerType
from bastion.core.engine import Period, score
from bastion.core.registry import Registry
from bastion.core.scheme import Scheme
from bastion.plugins import standard_ledgers, standard_rules
from tests.factories import FactBook


def scheme(indicator: dict) -> Scheme:
    return Scheme.model_validate({
        "id": "one", "version": "1", "name": "单项", "total_points": indicator["points"],
        "blocks": [{"code": "B", "name": "单项", "indicators": [indicator]}],
        "grades": [{"name": "合格", "min_score": 0}], "tiers": {"method": "score", "bands": [{"name": "一档"}]},
    })


def test_ledger_coverage_is_the_share_of_members_against_a_target_share(registry):
    coverage = scheme({"code": "M1", "name": "党员岗位职责覆盖", "kind": "flexible", "points": 10,
                       "rule": "ledger_coverage", "params": {"ledger_type": "member_duty"},
                       "targets": {"*": 1.0, "离退休": 0.8}, "tolerance": 0.1})
    orgs = pd.DataFrame({"org_id": [1, 2, 3, 4], "code": ["A", "B", "C", "D"],
                         "category": ["机关", "机关", "离退休", "机关"], "member_count": [20, 40, 10, 0]})
    book = FactBook()
    book.entries(1, "member_duty", "2026-03-01", quantity=12)  # 以岗定责 12 …
    book.entries(1, "member_duty", "2026-04-01", quantity=7)  # … 设岗定责 7: 19 of 20 = 95 % ≥ 90 % → full
    book.entries(2, "member_duty", "2026-03-01", quantity=20)  # 20 of 40 = 50 % → 10 × 0.5 = 5
    book.entries(3, "member_duty", "2026-03-01", quantity=6)  # 60 % of target 80 %, below 72 % → 10 × 0.75
    book.entries(4, "member_duty", "2026-03-01", quantity=3)  # no members recorded: nothing to cover
    rules = {name: c.item for name, c in registry.rule_types().items()}
    lines = score(coverage, rules, orgs, book.facts(), Period.parse("2026")).lines
    assert dict(zip(lines["org_id"], lines["points"])) == {1: 10, 2: 5, 3: 7.5, 4: 0}
    assert lines.loc[lines["org_id"] == 1, "reason"].item() == "党员 20 人，已覆盖 19 人（95%），目标 100% → 10/10 分"
    assert lines.loc[lines["org_id"] == 1, "evidence"].item() == "ledger:1,2"
    assert lines.loc[lines["org_id"] == 4, "reason"].item().startswith("未登记党员人数")


def test_staff_ratio_without_staff_recorded_scores_nothing(registry):
    ratio = scheme({"code": "T1", "name": "党务干部配备比例", "kind": "controllable", "points": 5, "rule": "staff_ratio"})
    orgs = pd.DataFrame({"org_id": [1, 2], "code": ["A", "B"], "category": ["机关", "机关"],
                         "staff_count": [0, 50], "party_staff_count": [1, 1]})
    rules = {name: c.item for name, c in registry.rule_types().items()}
    lines = score(ratio, rules, orgs, FactBook().facts(), Period.parse("2026")).lines
    assert dict(zip(lines["org_id"], lines["points"])) == {1: 0, 2: 5}  # 1 of 50 = 2 %: in the band
    assert lines.loc[lines["org_id"] == 1, "reason"].item() == "未登记职工人数（要求 1%–2%） → 0/5 分"


def test_a_monthly_target_is_shown_as_the_periods_target_beside_its_reason(registry):
    """The explanation's target column and its reason say the same: 1 a month is 12 over the year, 3 in Q1."""
    meetings = scheme({"code": "B1", "name": "支委会每月召开", "kind": "controllable", "points": 6,
                       "rule": "ledger_target", "params": {"ledger_type": "committee_meeting", "per": "month"},
                       "targets": {"*": 1}})
    orgs = pd.DataFrame({"org_id": [1], "code": ["A"], "category": ["机关"], "member_count": [20]})
    book = FactBook()
    book.monthly(1, "committee_meeting", months=range(1, 11))
    rules = {name: c.item for name, c in registry.rule_types().items()}
    year = score(meetings, rules, orgs, book.facts(), Period.parse("2026")).lines.iloc[0]
    assert year["target"] == 12 and "目标 12" in year["reason"]
    quarter = score(meetings, rules, orgs, book.facts(), Period.parse("2026-Q1")).lines.iloc[0]
    assert quarter["target"] == 3 and "目标 3" in quarter["reason"]


# --- vetoes from any fact (一票否决) ------------------------------------------------------------


class Discipline:
    """A plugin keeping the ledger of discipline cases (违纪案件) a veto indicator counts."""

    @hookimpl
    def bastion_ledger_types(self):
        return [LedgerType("discipline_case", "违纪案件", "discipline case")]


def _rules(registry) -> dict:
    return {name: c.item for name, c in registry.rule_types().items()}


def _rating(book: FactBook, org: int, code: str | None, *, source: str = "superior", level: str | None = None,
            score: float | None = None, day: str = "2026-12-05") -> None:
    book.ratings.append({"id": len(book.ratings) + 1, "org_id": org, "source": source, "indicator_code": code,
                         "score": score, "level": level, "date": day})


def _by_org(lines: pd.DataFrame, column: str) -> dict:
    return dict(zip(lines["org_id"], lines[column]))


LEDGER_VETO = {"code": "NV", "name": "发生违纪违法案件", "kind": "veto", "points": 0, "rule": "veto_on_ledger",
               "params": {"ledger_types": ["discipline_case", "safety_accident"]}}


def test_veto_on_ledger_vetoes_a_branch_with_an_entry_of_its_types_in_the_period(registry):
    orgs = pd.DataFrame({"org_id": [1, 2, 3, 4], "code": ["A", "B", "C", "D"], "category": ["机关"] * 4})
    book = FactBook()
    book.entries(1, "discipline_case", "2026-07-12", "2026-03-05")  # ids 1, 2
    book.entries(1, "safety_accident", "2026-05-01")  # 3
    book.entries(2, "safety_accident", "2026-09-30")  # 4
    book.entries(3, "study_session", "2026-03-05")  # 5: a type the indicator does not name
    book.entries(4, "discipline_case", "2025-12-31", "2027-01-01")  # 6, 7: outside the year
    lines = score(scheme(LEDGER_VETO), _rules(registry), orgs, book.facts(), Period.parse("2026")).lines

    assert _by_org(lines, "veto") == {1: True, 2: True, 3: False, 4: False}
    assert _by_org(lines, "points") == {1: 0, 2: 0, 3: 0, 4: 0}
    assert _by_org(lines, "value") == {1: 3, 2: 1, 3: 0, 4: 0}
    # The types in the order the indicator names them, each with its count and dates (in date order).
    assert _by_org(lines, "veto_reason")[1] == (
        "发生违纪违法案件：登记 discipline_case 2 条（2026-03-05、2026-07-12）；safety_accident 1 条（2026-05-01）")
    assert _by_org(lines, "reason")[2] == "一票否决（登记 safety_accident 1 条（2026-09-30））"
    assert _by_org(lines, "reason")[3] == "未登记 discipline_case、safety_accident，未触及否决事项"
    assert _by_org(lines, "veto_reason")[3] is None
    assert _by_org(lines, "evidence") == {1: "ledger:1,2,3", 2: "ledger:4", 3: "", 4: ""}
    # Every period it is in: the first quarter sees only A's case of 5 March.
    q1 = score(scheme(LEDGER_VETO), _rules(registry), orgs, book.facts(), Period.parse("2026-Q1")).lines
    assert _by_org(q1, "veto") == {1: True, 2: False, 3: False, 4: False}
    assert _by_org(q1, "veto_reason")[1] == "发生违纪违法案件：登记 discipline_case 1 条（2026-03-05）"


def test_veto_on_ledger_names_ledger_types_a_plugin_contributes(registry):
    """``ledger_types`` is checked as ``ledger_type`` is: each must be contributed by an enabled plugin."""
    faults = registry.check_scheme(scheme(LEDGER_VETO))
    assert faults == ["指标 NV：已启用的插件都不提供台账类型 'discipline_case'",
                      "指标 NV：已启用的插件都不提供台账类型 'safety_accident'"]
    with_cases = Registry.load(entry_points=False, extra=[("standard-rules", standard_rules),
                                                         ("standard-ledgers", standard_ledgers),
                                                         ("discipline", Discipline())])
    mine = scheme({**LEDGER_VETO, "params": {"ledger_types": ["discipline_case"]}})
    assert with_cases.check_scheme(mine) == []
    none = scheme({**LEDGER_VETO, "params": {"ledger_types": []}})
    (fault,) = with_cases.check_scheme(none)
    assert fault.startswith("指标 NV：规则 'veto_on_ledger' 的参数无效：ledger_types:")


RATING_VETO = {"code": "RV", "name": "班子建设上级评定", "kind": "veto", "points": 0, "rule": "veto_on_rating",
               "params": {"levels": ["较差", "D"], "below": 60}}


def test_veto_on_rating_vetoes_on_a_level_or_a_score_below_the_bar_of_its_sources(registry):
    orgs = pd.DataFrame({"org_id": [1, 2, 3, 4, 5], "code": ["A", "B", "C", "D", "E"], "category": ["机关"] * 5})
    book = FactBook()
    _rating(book, 1, "RV", level="较差")  # 1: vetoes
    _rating(book, 2, "RV", score=59.5)  # 2: below 60, vetoes
    _rating(book, 2, "RV", level="D")  # 3: vetoes as well
    _rating(book, 3, "RV", level="一般")  # 4: not a vetoing level
    _rating(book, 3, "RV", score=60)  # 5: 60 is not below 60
    _rating(book, 4, "RV", source="members", level="较差")  # 6: not a source it counts (superior by default)
    _rating(book, 5, "B2", level="较差")  # 7: on another indicator
    _rating(book, 5, None, score=20)  # 8: an overall ballot
    lines = score(scheme(RATING_VETO), _rules(registry), orgs, book.facts(), Period.parse("2026")).lines

    assert _by_org(lines, "veto") == {1: True, 2: True, 3: False, 4: False, 5: False}
    assert _by_org(lines, "points") == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}
    assert _by_org(lines, "value") == {1: 1, 2: 2, 3: 0, 4: 0, 5: 0}
    assert _by_org(lines, "veto_reason")[1] == "班子建设上级评定：上级机关评定为 较差"
    assert _by_org(lines, "reason")[2] == "一票否决（上级机关评分 59.5，低于 60；上级机关评定为 D）"
    assert _by_org(lines, "reason")[3] == "未触及否决事项"
    assert _by_org(lines, "evidence") == {1: "rating:1", 2: "rating:2,3", 3: "", 4: "", 5: ""}

    members = scheme({**RATING_VETO, "params": {"levels": ["较差"], "sources": ["superior", "members"]}})
    lines = score(members, _rules(registry), orgs, book.facts(), Period.parse("2026")).lines
    assert _by_org(lines, "veto") == {1: True, 2: False, 3: False, 4: True, 5: False}  # 59.5 no longer counts
    assert _by_org(lines, "veto_reason")[4] == "班子建设上级评定：党员群众评定为 较差"


def test_veto_on_rating_is_assessed_where_rated_and_at_the_periods_end(registry):
    orgs = pd.DataFrame({"org_id": [1], "code": ["A"], "category": ["机关"]})
    book = FactBook()
    _rating(book, 1, "RV", level="D", day="2026-06-20")
    rule = _rules(registry)["veto_on_rating"]
    assert rule.at_period_end
    h1 = score(scheme(RATING_VETO), _rules(registry), orgs, book.facts(), Period.parse("2026-H1")).lines.iloc[0]
    assert h1["veto"] and h1["evidence"] == "rating:1"
    h2 = score(scheme(RATING_VETO), _rules(registry), orgs, book.facts(), Period.parse("2026-H2")).lines.iloc[0]
    assert not h2["veto"] and h2["reason"] == "本期不考核"  # nobody was rated on it in the second half


def test_veto_on_rating_needs_a_level_or_a_bar(registry):
    faults = registry.check_scheme(scheme({**RATING_VETO, "params": {}}))
    assert len(faults) == 1 and "give levels, below or both" not in faults[0]  # Chinese by default
    assert "请给出 levels 或 below（或两者）" in faults[0]
    (unknown,) = registry.check_scheme(scheme({**RATING_VETO, "params": {"levels": ["差"]}}))
    assert "未知的等次 差（可用：优秀、良好、一般、较差、A、B、C、D）" in unknown
    (source,) = registry.check_scheme(scheme({**RATING_VETO, "params": {"below": 60, "sources": ["boss"]}}))
    assert source.startswith("指标 RV：未知的测评来源 boss")
    assert registry.check_scheme(scheme({**RATING_VETO, "params": {"below": 60}})) == []
