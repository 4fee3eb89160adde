"""Built-in plugin ``organ-standardisation``: 机关党建标准化 as Nantong's city organs run it (seed 003).

What the seed says, and this plugin keeps:
- responsibility lists (责任清单) for three classes of secretary — of the organ's party group
  (党组/党委), of the directly affiliated party organisation (机关直属党组织) and of the branch
  (基层党支部) —, which each unit adapts; 一岗双责;
- an online comprehensive assessment system: against the indicators, organisations upload their
  progress regularly (定期上传工作推进情况) and learn from and compare with each other;
- "平时 + 年终": a full-coverage mid-year assessment (年中全覆盖调研评估) and year-end work reports
  (述职) to the superior and to the member assembly, scored on the spot;
- standardised branches in six aspects (组织设置、组织生活、支部议事、激励关怀帮扶、阵地建设、档案资料),
  elections by the manual (换届选举规范化), dues and recruitment by the book;
- party-affairs staff at 1–2 % of all staff (党务干部按机关工作人员总数 1% 至 2% 配齐配强); a
  "placement" appointee to party-affairs work is vetoed (安置性人选一票否决);
- inspection every half-year and at random, problems fed back on site;
- "反馈 + 激励": the top-ranked are named advanced in comprehensive party management (党建综合管理
  先进党组织), and the result acts as a multiplier on the city's annual assessment of each unit.

What this plugin invented: the indicators and their points, the items of the responsibility
lists (the seed names the lists, not their items), the grade bands (优秀 ≥ 90, 良好 ≥ 80, 一般 ≥ 60,
较差), the tiers (前列 15 %, 中间 70 %, 后列 15 % by rank), that "top-ranked" means in the first tier
and graded 优秀 (advanced-eligible: a unit barred from the selection is not named), and the multipliers
by grade (优秀 1.05, 良好 1.00, 一般 0.95, 较差 0.90), each unit's listed by ``bastion incentives --by-branch``.
"""

from __future__ import annotations

import pandas as pd

from bastion import hookimpl
from bastion.core.contributions import AWARD_COLUMNS, MULTIPLIER, IncentivePolicy, LedgerType, PolicyContext
from bastion.core.scheme import Scheme, indicator

__version__ = "1.0.0"

MULTIPLIERS = {"优秀": 1.05, "良好": 1.00, "一般": 0.95, "较差": 0.90}
FIRST_TIER = "前列"

# 三类党组织书记机关党建工作责任清单 (the duties each list holds; units adapt their own).
RESPONSIBILITY_LISTS = {
    "committee": ("党组（党委）书记", (
        "履行机关党建第一责任人职责，每年专题研究机关党建工作",
        "落实一岗双责，督促班子成员抓好分管领域党建",
        "担任所在党支部第一书记，参加双重组织生活",
        "听取直属党组织书记述职并点评",
    )),
    "affiliated": ("机关直属党组织书记", (
        "负责本单位机关党建，制定年度计划并组织实施",
        "指导基层党支部标准化建设，每半年督查一次",
        "配齐配强党务干部（机关工作人员总数的 1%–2%）",
        "向党组（党委）和上级机关工委现场述职",
    )),
    "branch": ("基层党支部书记", (
        "落实三会一课、主题党日和组织生活会制度",
        "按标准化手册组织换届选举、发展党员、收缴党费",
        "定期在综合考评系统上传工作推进情况",
        "向上级党组织和党员大会述职",
    )),
}

LEDGER_TYPES = [
    LedgerType("progress_report", "工作推进情况上传", "progress report uploaded",
               description="对照考评指标定期上传工作推进情况（线上）"),
]


_BRANCH_DUTIES = "；".join(RESPONSIBILITY_LISTS["branch"][1])

SCHEME = {
    "id": "organ-standardisation",
    "version": "2023.1",
    "name": "机关党建标准化综合考评",
    "description": "压实三级责任清单，线上定期上传工作推进情况，年中全覆盖调研评估，年底述职考评打分；"
                   "排名靠前的评为党建综合管理先进党组织，考核结果通过乘数效应作用于单位年度考核。",
    "total_points": 100,
    "blocks": [
        {"code": "R", "name": "责任落实", "indicators": [
            indicator("R1", "党支部书记履行责任清单", "controllable", 15, "level_score", {"sources": ["superior"]},
                      description="上级对照基层党支部书记责任清单逐项评定：" + _BRANCH_DUTIES),
            indicator("R2", "定期上传工作推进情况", "controllable", 10, "ledger_target",
                      {"ledger_type": "progress_report", "per": "quarter"}, {"*": 1}),
        ]},
        {"code": "S", "name": "支部标准化建设", "indicators": [
            indicator("S1", "支委会议事每月召开", "controllable", 8, "ledger_target",
                      {"ledger_type": "committee_meeting", "per": "month"}, {"*": 1}),
            indicator("S2", "支部党员大会每季度召开", "controllable", 6, "ledger_target",
                      {"ledger_type": "branch_assembly", "per": "quarter"}, {"*": 1}),
            indicator("S3", "党课每季度一次", "controllable", 6, "ledger_target",
                      {"ledger_type": "party_lecture", "per": "quarter"}, {"*": 1}),
            indicator("S4", "按期规范换届", "controllable", 5, "secretary_term"),
            indicator("S5", "党费按月收缴", "controllable", 5, "ledger_target",
                      {"ledger_type": "dues_collection", "per": "month"}, {"*": 1}),
        ]},
        {"code": "M", "name": "年中调研评估", "indicators": [
            indicator("M1", "年中全覆盖调研评估", "controllable", 15, "level_score", {"sources": ["superior"]},
                      description="年中对各党组织全覆盖调研评估，评定优秀/良好/一般/较差"),
        ]},
        {"code": "W", "name": "年终述职", "indicators": [
            indicator("W1", "书记述职评议", "controllable", 20, "ballot_score", {"sources": ["work_report"]},
                      description="党支部书记向上级党组织和党员大会述职，现场打分"),
        ]},
        {"code": "T", "name": "队伍建设与督查", "indicators": [
            indicator("TV", "党务干部安置性人选", "veto", 0, "veto_on_finding", description="新任党务干部为安置性人选的，一票否决"),
            indicator("T1", "党务干部配备比例", "controllable", 5, "staff_ratio", {"low": 0.01, "high": 0.02},
                      description="党务干部按工作人员总数 1% 至 2% 配齐配强"),
            indicator("T2", "督查发现问题", "controllable", 5, "finding_deduction", {"per_finding": 1},
                      description="每半年和不定期督查，发现问题现场反馈，每个问题扣 1 分"),
        ]},
    ],
    "grades": [
        {"name": "优秀", "min_score": 90, "advanced": True},
        {"name": "良好", "min_score": 80},
        {"name": "一般", "min_score": 60},
        {"name": "较差", "min_score": 0},
    ],
    "veto_grade": "较差",
    "tiers": {"method": "rank_share", "bands": [
        {"name": FIRST_TIER, "share": 0.15}, {"name": "中间", "share": 0.7}, {"name": "后列", "share": 0.15},
    ]},
    "source_weights": {"work_report": 1.0},
    "policies": ["organ-standardisation-awards"],
    "calendar": [
        {"stage": "spot_check", "cron": "0 9 1 * *", "description": "不定期督查，现场反馈"},
        {"stage": "half_year", "cron": "0 9 15 7 *", "description": "年中全覆盖调研评估"},
        {"stage": "annual", "cron": "0 9 20 1 *", "description": "年终述职考评打分"},
    ],
}


class OrganStandardisationAwards(IncentivePolicy):
    """At year end: the top-ranked named advanced; every unit's multiplier on its annual assessment."""

    name = "organ-standardisation-awards"
    description = "年度排名前列且评为优秀的评定为党建综合管理先进党组织；按等次确定作用于单位年度考核的乘数（优秀 1.05 … 较差 0.90）"

    def apply(self, results: pd.DataFrame, context: PolicyContext) -> pd.DataFrame:
        # A year-end policy by the seed: the year-end work reports are scored (年底…述职…考评打分), the top-ranked
        # named advanced and the result multiplies the city's annual assessment (年度考核); mid-year is a survey.
        if context.period.months != 12:
            return pd.DataFrame(columns=AWARD_COLUMNS)
        top = results[(results["tier"] == FIRST_TIER) & results["advanced_eligible"]]
        named = pd.DataFrame({
            "org_id": top["org_id"], "kind": "reward", "code": "comprehensive_advanced",
            "title": f"{context.year}年度党建综合管理先进党组织",
            "effect": [{"named_by": "机关工委"} for _ in range(len(top))], "effective_until": None,
        })
        factor = results["grade"].map(MULTIPLIERS).fillna(min(MULTIPLIERS.values()))
        multipliers = pd.DataFrame({
            "org_id": results["org_id"], "kind": "multiplier", "code": "unit_assessment_multiplier",
            "title": f"{context.year}年度党建考核乘数 ×" + factor.map("{:.2f}".format),
            "effect": [{MULTIPLIER: float(f), "applies_to": "市委对机关各单位的年度考核"} for f in factor],
            "effective_until": None,
        })
        return pd.concat([named, multipliers], ignore_index=True)[AWARD_COLUMNS]


@hookimpl
def bastion_schemes() -> list[Scheme]:
    return [Scheme.model_validate(SCHEME)]


@hookimpl
def bastion_ledger_types() -> list[LedgerType]:
    return list(LEDGER_TYPES)


@hookimpl
def bastion_incentive_policies() -> list[IncentivePolicy]:
    return [OrganStandardisationAwards()]
