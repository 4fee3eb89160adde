"""Built-in plugin ``study-education``: the normalised 两学一做 study-and-education mechanism (seed 000).

What the seed says, and this plugin keeps:
- supervision by regular checks, random spot checks and open or covert visits, reported as a
  monthly evaluation (月评价), a quarterly bulletin (季通报), a half-year check (半年检查) and a
  year-end assessment (年终考核), all kept in the assessment archive — the daily spot checks, the
  monthly summary (月小结), the quarterly review (季度专评), the half-year check and the year-end
  assessment;
- graded leader review (分级点评): review meetings each half-year or year comment on achievements,
  problems and direction;
- the five ledgers: study (学习情况), review (点评情况), rectification issues (学习情况续改问题),
  practical deeds (办实事做实事) and model selection (典型选树);
- standards after the "five-good" organisation (五个好: leadership team, basic organisation,
  member ranks, working mechanism, working situation) and the "five-lead" member (五带头);
- member duties: members with a post take its duties (以岗定责), members without one are given one
  (设岗定责), mobile members claim one (认岗定责);
- rectification notices (整改通知书) with a deadline to any organisation whose work is neglected,
  shallow or ineffective, re-verified after the deadline (复验);
- rewards: praise in a bulletin (通报表扬), the 七一 commendation and the year-end commendation.

What this plugin invented: the indicators and their points; that the monthly study is counted
month by month from the quarterly review up (季度专评), the monthly summary (月小结) reporting the
spot checks' findings and what was rated in the month; that each of the five "goods" is a
level the superior assigns; the coverage target of member duties (all members, 10 % tolerance);
the grade bands (先进 ≥ 90, 合格 ≥ 70, 基本合格 ≥ 60, 不合格), given at the half-year check and the
year-end assessment (the seed's 在综合日常督查、半年检查和年终考核的基础上评先定等: months and quarters are
ranked and tiered, not graded), and the tiers by score (先进 ≥ 90, 达标 ≥ 70, 待整改); that every period's 待整改 branches — of the monthly evaluation, the quarterly
bulletin, the half-year check and the year-end assessment — get a notice due 60 days after the
results are published, re-verified once due (the seed's 及时下达整改通知书限期整改…复验; the supervision
findings bring their own notices through the rectification follow-up); that the quarter's 先进 tier is
praised in the bulletin, the half-year's proposed for the 七一 commendation and the year's for the
year-end commendation.
"""

from __future__ import annotations

import pandas as pd

from bastion import hookimpl
from bastion.core.contributions import AWARD_COLUMNS, IncentivePolicy, LedgerType, PolicyContext
from bastion.core.scheme import Scheme, indicator

__version__ = "1.0.0"

ADVANCED = "先进"
NEEDS_RECTIFICATION = "待整改"
NOTICE_DAYS = 60

LEDGER_TYPES = [
    LedgerType("review_record", "点评情况", "leader review record", description="点评情况台账：分级点评的成绩、问题和方向"),
    LedgerType("rectification_issue", "学习情况续改问题", "rectification issue",
               description="学习情况续改问题台账：查摆出的问题及整改销号"),
    LedgerType("member_duty", "党员岗位职责", "member duties set", unit="人", quantity_required=True,
               description="在职党员以岗定责、无职党员设岗定责、流动党员认岗定责，数量为定责人数"),
]

FIVE_GOOD = (("G1", "好的领导班子"), ("G2", "好的基层组织"), ("G3", "好的党员队伍"), ("G4", "好的工作机制"),
             ("G5", "好的工作局面"))


SCHEME = {
    "id": "study-education",
    "version": "2017.1",
    "name": "“两学一做”学习教育常态化考核",
    "description": "月评价、季通报、半年检查、年终考核；领导分级点评；五本台账；五好党组织、五带头党员标准；"
                   "以岗定责、设岗定责、认岗定责；整改通知书限期整改并复验。",
    "total_points": 100,
    "blocks": [
        {"code": "L", "name": "学习教育", "indicators": [
            indicator("L1", "集中学习每月一次", "controllable", 10, "ledger_target",
                      {"ledger_type": "study_session", "per": "month"}, {"*": 1}, assessed="quarter",
                      description="学习情况台账；季度专评起逐月考核（月小结只汇总督查、抽查）"),
            indicator("L2", "党课每季度一次", "controllable", 6, "ledger_target",
                      {"ledger_type": "party_lecture", "per": "quarter"}, {"*": 1}),
        ]},
        {"code": "P", "name": "分级点评", "indicators": [
            indicator("P1", "领导分级点评", "controllable", 10, "level_score", {"sources": ["superior"]},
                      description="点评专会对成绩、问题和方向的评定"),
            indicator("P2", "点评专会每半年一次", "controllable", 6, "ledger_target",
                      {"ledger_type": "review_record", "per": "half"}, {"*": 1}, description="点评情况台账"),
        ]},
        {"code": "G", "name": "五好党组织", "indicators": [
            indicator(code, name, "controllable", 6, "level_score", {"sources": ["superior"]},
                      description="对照五个好先进党组织标准评定") for code, name in FIVE_GOOD
        ]},
        {"code": "M", "name": "党员五带头与岗位职责", "indicators": [
            indicator("M1", "党员岗位职责覆盖", "flexible", 10, "ledger_coverage", {"ledger_type": "member_duty"},
                      {"*": 1.0}, tolerance=0.1, description="以岗定责、设岗定责、认岗定责覆盖全体党员"),
            indicator("M2", "五带头党员测评", "controllable", 10, "ballot_score", {"sources": ["members"]},
                      description="党员群众对照五带头标准测评"),
        ]},
        {"code": "D", "name": "办实事与典型选树", "indicators": [
            indicator("D1", "办实事做实事", "controllable", 8, "ledger_target", {"ledger_type": "practical_deed"},
                      {"*": 4, "离退休": 2}, description="办实事做实事台账"),
            indicator("D2", "典型选树", "controllable", 4, "ledger_target", {"ledger_type": "model_selected"},
                      {"*": 1}, description="典型选树台账"),
        ]},
        {"code": "C", "name": "督查", "indicators": [
            indicator("C1", "日常督查、抽查和明察暗访", "controllable", 6, "finding_deduction", {"per_finding": 2},
                      description="不重视、不扎实、效果不明显的问题，每个扣 2 分"),
        ]},
    ],
    "grades": [
        {"name": ADVANCED, "min_score": 90, "advanced": True},
        {"name": "合格", "min_score": 70},
        {"name": "基本合格", "min_score": 60},
        {"name": "不合格", "min_score": 0},
    ],
    "tiers": {"method": "score", "bands": [
        {"name": ADVANCED, "min_score": 90}, {"name": "达标", "min_score": 70}, {"name": NEEDS_RECTIFICATION},
    ]},
    # 在综合日常督查、半年检查和年终考核的基础上评先定等: months and quarters are evaluated, ranked and tiered
    # (月评价、季通报); the half-year check and the year-end assessment grade.
    "graded": "half",
    "source_weights": {"members": 1.0},
    # 一级抓一级、一级考一级: each 党总支 is assessed by its branches' results, and ranked among the 党总支.
    "levels": [{"level": "general_branch", "by": "rollup"}],
    "policies": ["study-education-awards"],
    "calendar": [
        {"stage": "spot_check", "cron": "0 9 * * 3", "description": "日常抽查、明察暗访"},
        {"stage": "monthly", "cron": "0 9 3 * *", "description": "月评价"},
        {"stage": "quarterly", "cron": "0 9 8 1,4,7,10 *", "description": "季通报"},
        {"stage": "half_year", "cron": "0 9 10 7 *", "description": "半年检查，分级点评"},
        {"stage": "annual", "cron": "0 9 15 1 *", "description": "年终考核，分级点评"},
    ],
}


class StudyEducationAwards(IncentivePolicy):
    """Notices with deadlines for every period's 待整改; praise and commendations."""

    name = "study-education-awards"
    description = ("月评价、季通报、半年检查、年终考核待整改的党组织下达整改通知书，自结果发布之日起限期 60 天，期满复验"
                   "（日常督查发现的问题另行随时下达）；季度先进通报表扬，半年先进推荐七一表彰，年度先进年度总结表彰")

    def apply(self, results: pd.DataFrame, context: PolicyContext) -> pd.DataFrame:
        period = context.period
        days = NOTICE_DAYS
        deadline = context.after_publication(days=days)
        weak = results[results["tier"] == NEEDS_RECTIFICATION]
        parts = [pd.DataFrame({
            "org_id": weak["org_id"], "kind": "rectification", "code": "rectification_notice",
            "title": f"{period.label}整改通知书：限 {deadline:%Y年%m月%d日} 前整改到位",
            "effect": [{"notice": "整改通知书", "deadline": deadline.isoformat(), "deadline_days": days,
                        "reverify": "期满复验", "grade": g} for g in weak["grade"]],
            "effective_until": deadline,
        })]
        honour = {12: ("annual_commendation", "年度总结表彰"), 6: ("july_first_commendation", "七一表彰"),
                  3: ("bulletin_praise", "季度通报表扬")}.get(period.months)
        if honour is not None:
            # The 先进 tier (90 points and up, never a vetoed branch): the grade where the period grades, the
            # quarter's praise where it does not.
            best = results[results["tier"] == ADVANCED]
            code, what = honour
            parts.append(pd.DataFrame({
                "org_id": best["org_id"], "kind": "reward", "code": code, "title": f"{period.label}先进，推荐{what}",
                "effect": [{"commendation": what} for _ in range(len(best))], "effective_until": None,
            }))
        return pd.concat(parts, ignore_index=True)[AWARD_COLUMNS]


@hookimpl
def bastion_schemes() -> list[Scheme]:
    return [Scheme.model_validate(SCHEME)]


@hookimpl
def bastion_ledger_types() -> list[LedgerType]:
    return list(LEDGER_TYPES)


@hookimpl
def bastion_incentive_policies() -> list[IncentivePolicy]:
    return [StudyEducationAwards()]
