"""Built-in plugin ``target-table``: 《党委（支部）建设目标管理考核表》 (seed 004).

What the seed says, and this scheme keeps:
- six blocks — 班子建设, 党员教育和管理, 党风党纪建设, 发展党员工作, 职工思想政治工作, 基础工作 —
  100 points in all, key and difficult work weighted higher;
- half-year summary and year-end assessment; self-, peer- and superior evaluation (自评、互评、考评);
- one-vote veto (一票否决): a divided leadership team, an uncompleted work task, or a member under
  party or administrative discipline makes the branch 不合格 whatever its points;
- only a branch with 95 points or more can be named advanced (先进党支部), commended at year end;
- the result counts in the unit's overall assessment.

What this plugin invented (the seed names the blocks, not the indicators): the indicators inside
each block and their points — the weightiest are 作风建设督查 (10) and 发展党员计划 (6), the
"key and difficult work" —, the targets per branch category, the grade bands below 95
(良好 ≥ 85, 合格 ≥ 70), the tiers (first 20 %, middle 70 %, last 10 %), the rating-source weights
(自评 0.1, 党员群众 0.4, 其他支部书记 0.2, 上级机关 0.3), the bonus items (capped at 5), the
calendar, and the 60 days an unqualified branch has to rectify, from the publication of the results.
"""

from __future__ import annotations

import pandas as pd

from bastion import hookimpl
from bastion.core.contributions import AWARD_COLUMNS, IncentivePolicy, PolicyContext
from bastion.core.scheme import Scheme, indicator

__version__ = "1.0.0"
SCHEME_VERSION = "2024.1"
RECTIFY_DAYS = 60  # an unqualified branch rectifies within 60 days of the results' publication

CATEGORIES = ("机关", "生产一线", "经营服务", "离退休")


SCHEME = {
    "id": "target-table",
    "version": SCHEME_VERSION,
    "name": "党委（支部）建设目标管理考核表",
    "description": "六大块百分制考核，半年总结、年终考核，自评、互评、考评相结合；一票否决；95 分以上方可评为先进党支部。",
    "total_points": 100,
    "bonus_cap": 5,
    "blocks": [
        {"code": "B1", "name": "班子建设", "indicators": [
            indicator("B1-V", "班子团结", "veto", 0, "veto_on_finding", description="班子不团结的，一票否决"),
            indicator("B1-1", "召开组织生活会和民主评议党员", "controllable", 5, "ledger_target",
                      {"ledger_type": "organizational_life"}, {"*": 1}),
            indicator("B1-2", "支委会每月召开", "controllable", 6, "ledger_target",
                      {"ledger_type": "committee_meeting", "per": "month"}, {"*": 1}),
            indicator("B1-3", "班子集中学习", "flexible", 4, "ledger_target",
                      {"ledger_type": "study_session"}, {"*": 10, "离退休": 6}, tolerance=0.2),
            indicator("B1-4", "班子建设上级考评", "controllable", 5, "level_score", {"sources": ["superior"]}),
        ]},
        {"code": "B2", "name": "党员教育和管理", "indicators": [
            indicator("B2-1", "支部党员大会每季度召开", "controllable", 5, "ledger_target",
                      {"ledger_type": "branch_assembly", "per": "quarter"}, {"*": 1}),
            indicator("B2-2", "党课每季度一次", "controllable", 5, "ledger_target",
                      {"ledger_type": "party_lecture", "per": "quarter"}, {"*": 1}),
            indicator("B2-3", "党小组会每月召开", "controllable", 4, "ledger_target",
                      {"ledger_type": "group_meeting", "per": "month"}, {"*": 1}),
            indicator("B2-4", "党员志愿服务时长", "flexible", 6, "ledger_target",
                      {"ledger_type": "volunteer_service", "aggregate": "sum"},
                      {"*": 120, "生产一线": 100, "离退休": 60}, tolerance=0.1),
        ]},
        {"code": "B3", "name": "党风党纪建设", "indicators": [
            indicator("B3-V", "党员受党纪政纪处分", "veto", 0, "veto_on_finding",
                      description="有党员受党纪政纪处分的，一票否决"),
            indicator("B3-1", "廉政教育", "controllable", 5, "ledger_target",
                      {"ledger_type": "integrity_education"}, {"*": 2}),
            indicator("B3-2", "作风建设督查", "controllable", 10, "finding_deduction", {"per_finding": 2},
                      description="重点工作：日常督查、明察暗访每发现一个问题扣 2 分"),
        ]},
        {"code": "B4", "name": "发展党员工作", "indicators": [
            indicator("B4-1", "完成发展党员计划", "controllable", 6, "ledger_target",
                      {"ledger_type": "new_member", "aggregate": "sum"},
                      {"*": 1, "生产一线": 2, "离退休": 0}, description="难点工作：生产一线支部任务更重"),
            indicator("B4-2", "入党积极分子培养", "controllable", 4, "ledger_target",
                      {"ledger_type": "activist_training"}, {"*": 2, "离退休": 0}),
        ]},
        {"code": "B5", "name": "职工思想政治工作", "indicators": [
            indicator("B5-1", "职工思想动态分析每季度一次", "controllable", 5, "ledger_target",
                      {"ledger_type": "ideology_analysis", "per": "quarter"}, {"*": 1}),
            indicator("B5-2", "为群众办实事", "flexible", 5, "ledger_target",
                      {"ledger_type": "practical_deed"}, {"*": 4, "离退休": 2}, tolerance=0.25),
            indicator("B5-3", "党员群众满意度测评", "controllable", 5, "ballot_score", {"sources": ["members"]}),
        ]},
        {"code": "B6", "name": "基础工作", "indicators": [
            indicator("B6-V", "完成上级部署的工作任务", "veto", 0, "veto_on_finding",
                      description="未完成工作任务的，一票否决"),
            indicator("B6-1", "支部工作记录规范", "controllable", 6, "finding_deduction", {"per_finding": 1}),
            indicator("B6-2", "党费按月收缴", "controllable", 4, "ledger_target",
                      {"ledger_type": "dues_collection", "per": "month"}, {"*": 1}),
            indicator("B6-3", "支部按期换届", "controllable", 4, "secretary_term",
                      description="书记届满未换届的，基本情况交接不完整，不得分"),
            indicator("B6-4", "自评、互评、考评综合评价", "controllable", 6, "ballot_score",
                      {"sources": ["self", "peers", "superior"]}),
        ]},
        {"code": "BX", "name": "加分项", "indicators": [
            indicator("BX-1", "选树典型", "bonus", 3, "ledger_per_item", {"ledger_type": "model_selected", "per_item": 1.5}),
            indicator("BX-2", "受上级表彰", "bonus", 4, "ledger_per_item", {"ledger_type": "commendation", "per_item": 2}),
        ]},
    ],
    "grades": [
        {"name": "先进", "min_score": 95, "advanced": True},
        {"name": "良好", "min_score": 85},
        {"name": "合格", "min_score": 70},
        {"name": "不合格", "min_score": 0},
    ],
    "veto_grade": "不合格",
    "tiers": {"method": "rank_share", "bands": [
        {"name": "第一档", "share": 0.2}, {"name": "第二档", "share": 0.7}, {"name": "第三档", "share": 0.1},
    ]},
    "source_weights": {"self": 0.1, "members": 0.4, "peers": 0.2, "superior": 0.3},
    "policies": ["target-table-awards"],
    "calendar": [
        {"stage": "spot_check", "cron": "0 9 * * 1", "description": "每周抽查、明察暗访"},
        {"stage": "half_year", "cron": "0 9 10 7 *", "description": "半年总结检查"},
        {"stage": "annual", "cron": "0 9 15 1 *", "description": "年终考核"},
    ],
}


class TargetTableAwards(IncentivePolicy):
    """Year-end commendation of advanced branches (≥ 95, not vetoed); unqualified branches rectify."""

    name = "target-table-awards"
    description = "95 分以上且未被否决的支部评为先进党支部，年终表彰；不合格支部自结果发布之日起 60 天内整改；结果纳入单位整体考核"

    def apply(self, results: pd.DataFrame, context: PolicyContext) -> pd.DataFrame:
        # A year-end policy: the seed commends by the year's scores (年终按照打分结果进行表彰), the appraisal that rates
        # a branch 先进 or 不合格; the half-year summary (半年总结) reports the standings. The invented rectification
        # of the unqualified goes with that appraisal.
        if context.period.months != 12:
            return pd.DataFrame(columns=AWARD_COLUMNS)
        advanced = results[results["advanced_eligible"]]
        unqualified = results[results["grade"] == "不合格"]
        rewards = pd.DataFrame({
            "org_id": advanced["org_id"], "kind": "reward", "code": "advanced_branch",
            "title": f"{context.year}年度先进党支部",
            "effect": [{"commendation": "年终表彰", "unit_assessment": "计入单位整体考核"}] * len(advanced),
            "effective_until": None,
        })
        fixes = pd.DataFrame({
            "org_id": unqualified["org_id"], "kind": "rectification", "code": "unqualified_rectify",
            "title": f"{context.year}年度考核不合格，限期整改",
            "effect": [{"deadline_days": RECTIFY_DAYS, "unit_assessment": "单位整体考核扣分"}] * len(unqualified),
            "effective_until": context.after_publication(days=RECTIFY_DAYS),
        })
        return pd.concat([rewards, fixes], ignore_index=True)[AWARD_COLUMNS]


@hookimpl
def bastion_schemes() -> list[Scheme]:
    return [Scheme.model_validate(SCHEME)]


@hookimpl
def bastion_incentive_policies() -> list[IncentivePolicy]:
    return [TargetTableAwards()]
