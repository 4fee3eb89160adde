"""Built-in plugin ``responsibility-system``: 国企党建工作责任制 with tiers (seed 002).

What the seed says, and this plugin keeps:
- each year the superior classifies and grades the branches (分类定级) and sets 否定指标 (veto),
  可控指标 (controllable) and 弹性指标 (flexible) indicators, quantified where possible; targets
  are differentiated by the kind of branch (注重差别化), flexible ones may vary within a band
  (注重自由度, the tolerance);
- regular checks and random spot checks (定期检查、不定期抽查) and the disclosure of matters that
  touch staff interests (奖金分配、成本消耗、选人用人、先进评选 公开);
- democratic evaluation in three layers — the branch's own members and staff by ballot or
  questionnaire (the largest share), other branches' secretaries at a forum, the superior organ's
  staff — combined with the check results into the final assessment;
- ranking per period; the secretaries of the bottom-ranked branches get a talk (约谈) and rectify;
- tiers with incentives (兑现按档次): first tier — tilt in bonus allocation and priority in
  评先选优; middle — neither rewarded nor penalised; bottom — barred from the advanced-branch
  selection for one year, talk, rectification;
- 提档升级: levels are graded on a fixed cycle (the annual assessment) and watched afterwards: a
  branch that relapses loses its level before the next grading (分类定级: each year the superior grades the
  branches; 每一档、每一级都有相对应的奖惩措施).

What this plugin invented (the seed gives the method, not the table): the indicators and their
points (controllable 40, flexible 20, democratic evaluation 40), the targets per category, the
tolerances, the three layers' weights (members and staff 0.5, peer secretaries 0.2, superior
staff 0.3), the grade bands (好 ≥ 90, 较好 ≥ 80, 一般 ≥ 65, 差) given at the year-end assessment only
(the fixed cycle; quarters and halves rank and tier), the tiers (20 % / 60 % / 20 % by
rank), the bonus weight 1.2 of the first tier (the other branches 1.0), a bonus pool shared by
coefficient × member count (奖金分配 is the staff's: a branch's members share its tilt), the
rectification deadline 30 days after the results are published, the bar from the advanced-branch
selection for a year from then — binding: the branch is not advanced-eligible in the periods that end
by then, and a barred branch in the first tier gets the bonus tilt but not the priority in 评先选优 —,
and the standings (``Scheme.standings``, applied by ``core.standings``): five stars (五星 … 一星), a branch
starting at 三星; at the year-end grading a step up for the first tier, a step down when vetoed, graded 差 or in the
bottom tier, held otherwise; between gradings every quarter and half-year is watched, and a branch the last grading
raised (it met the up rule) that falls into the bottom tier or is vetoed relapses: a star taken, once between two
gradings, and a sanction recorded (取消提档, until the year's end) — the policy cashes the relapse
``core.standings`` decided, it does not decide it.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from bastion import hookimpl
from bastion.core.contributions import (AWARD_COLUMNS, BARRED_FROM, BONUS_WEIGHT, IncentivePolicy, LedgerType,
                                         PolicyContext)
from bastion.core.scheme import Scheme, indicator

__version__ = "1.1.0"

FIRST, MIDDLE, BOTTOM = "第一档", "第二档", "第三档"
STARS = ["五星", "四星", "三星", "二星", "一星"]
RECTIFY_DAYS = 30
FIRST_TIER_BONUS_WEIGHT = 1.2

LEDGER_TYPES = [
    LedgerType("affairs_disclosure", "务公开", "disclosure of staff-interest matters",
               description="奖金分配、成本消耗、选人用人、先进评选等涉及员工切身利益事项的公开"),
    LedgerType("member_tackling", "党员攻关行动", "party members' tackling action",
               description="劳动竞赛、岗位练兵、创建样板品牌等主题活动"),
    LedgerType("rationalization_proposal", "合理化建议", "rationalisation proposals", unit="条",
               quantity_required=True),
]


SCHEME = {
    "id": "responsibility-system",
    "version": "2022.2",
    "name": "基层党支部党建工作责任制考核",
    "description": "年初分类定级，确定否定指标、可控指标、弹性指标；定期检查与不定期抽查；三个层面民主评议；"
                   "按时间段排名，排名落后的支部书记约谈整改；兑现按档次，提档升级。",
    "total_points": 100,
    "blocks": [
        {"code": "N", "name": "否定指标", "indicators": [
            indicator("N1", "党员受党纪政纪处分", "veto", 0, "veto_on_finding", description="有党员受党纪政纪处分的，一票否决"),
            indicator("N2", "发生重大安全环保责任事故", "veto", 0, "veto_on_finding", description="发生重大安全环保责任事故的，一票否决"),
        ]},
        {"code": "K", "name": "可控指标", "indicators": [
            indicator("K1", "支委会每月召开", "controllable", 8, "ledger_target",
                      {"ledger_type": "committee_meeting", "per": "month"}, {"*": 1}),
            indicator("K2", "支部党员大会每季度召开", "controllable", 6, "ledger_target",
                      {"ledger_type": "branch_assembly", "per": "quarter"}, {"*": 1}),
            indicator("K3", "党课每季度一次", "controllable", 6, "ledger_target",
                      {"ledger_type": "party_lecture", "per": "quarter"}, {"*": 1}),
            indicator("K4", "涉及员工切身利益事项公开", "controllable", 6, "ledger_target",
                      {"ledger_type": "affairs_disclosure", "per": "quarter"}, {"*": 1, "离退休": 0},
                      description="奖金分配、成本消耗、选人用人、先进评选等事项每季度公开"),
            indicator("K5", "定期检查和不定期抽查", "controllable", 8, "finding_deduction", {"per_finding": 2},
                      description="每发现一个问题扣 2 分，扣完为止"),
            indicator("K6", "素质教育集中学习", "controllable", 6, "ledger_target",
                      {"ledger_type": "study_session"}, {"*": 12, "生产一线": 10, "离退休": 6}),
        ]},
        {"code": "F", "name": "弹性指标", "indicators": [
            indicator("F1", "组织党员攻关行动", "flexible", 8, "ledger_target",
                      {"ledger_type": "member_tackling"}, {"*": 4, "生产一线": 6, "离退休": 2}, tolerance=0.25,
                      description="劳动竞赛、岗位练兵、创建样板品牌等，允许在 25% 范围内波动"),
            indicator("F2", "合理化建议", "flexible", 6, "ledger_target",
                      {"ledger_type": "rationalization_proposal", "aggregate": "sum"},
                      {"*": 10, "生产一线": 20, "离退休": 3}, tolerance=0.2),
            indicator("F3", "为群众办实事", "flexible", 6, "ledger_target",
                      {"ledger_type": "practical_deed"}, {"*": 4, "离退休": 2}, tolerance=0.25),
        ]},
        {"code": "D", "name": "民主评议", "indicators": [
            indicator("D1", "三个层面民主评议", "controllable", 40, "ballot_score",
                      {"sources": ["members", "peers", "superior"], "quorum": 2},
                      description="党员群众测验票（权重最大）、其他支部书记座谈评价、上级机关工作人员评议，汇总后与检查情况综合"),
        ]},
    ],
    "grades": [
        {"name": "好", "min_score": 90, "advanced": True},
        {"name": "较好", "min_score": 80},
        {"name": "一般", "min_score": 65},
        {"name": "差", "min_score": 0},
    ],
    "veto_grade": "差",
    # 分类定级…按一定的时间周期进行评定，保持相对稳定性: the grades at year end; the quarters and halves rank and tier
    # (按一定时间段进行排名次…约谈整改).
    "graded": "year",
    "tiers": {"method": "rank_share", "bands": [
        {"name": FIRST, "share": 0.2}, {"name": MIDDLE, "share": 0.6}, {"name": BOTTOM, "share": 0.2},
    ]},
    "source_weights": {"members": 0.5, "peers": 0.2, "superior": 0.3},
    "policies": ["responsibility-tiers"],
    # 提档升级: graded at the year end (the scheme's graded periods), watched every quarter and half in between.
    "standings": {
        "name": "星级",
        "ladder": STARS,
        "start": "三星",
        "up": [{"tier": [FIRST]}],
        "down": [{"vetoed": True}, {"grade": ["差"]}, {"tier": [BOTTOM]}],
        "watched": "quarter",
        "relapse": [{"tier": [BOTTOM]}, {"vetoed": True}],
        "watch": "promoted",
        "take_on_relapse": "drop_one",
    },
    "calendar": [
        {"stage": "spot_check", "cron": "0 9 * * 2", "description": "不定期抽查"},
        {"stage": "quarterly", "cron": "0 9 5 1,4,7,10 *", "description": "按季度排名，排名落后的支部书记约谈整改"},
        {"stage": "half_year", "cron": "0 9 10 7 *", "description": "半年检查"},
        {"stage": "annual", "cron": "0 9 15 1 *", "description": "年终考核，分类定级，兑现按档次"},
    ],
}


def _awards(orgs: pd.Series, kind: str, code: str, title: str, effect: dict, until: date | None) -> pd.DataFrame:
    return pd.DataFrame({"org_id": orgs.to_numpy(), "kind": kind, "code": code, "title": title,
                         "effect": [dict(effect) for _ in range(len(orgs))], "effective_until": until})


class ResponsibilityTiers(IncentivePolicy):
    """Talks and rectification for the bottom tier of every period; tier incentives and levels at year end."""

    name = "responsibility-tiers"
    description = ("每期排名第三档的支部书记约谈、自结果发布之日起 30 天内整改；年度第一档奖金分配倾斜（系数 1.2，按党员人数分配）、"
                   "评先选优优先（取消评先资格期内的除外），第三档自结果发布之日起一年内取消先进党支部评选资格；"
                   "上次定级提档的支部此后出现反弹（落入第三档或被一票否决）即降一星（按方案的星级规则）")
    bonus_per_member = True

    def apply(self, results: pd.DataFrame, context: PolicyContext) -> pd.DataFrame:
        period = context.period
        deadline = context.after_publication(days=RECTIFY_DAYS)
        bottom = results.loc[results["tier"] == BOTTOM, "org_id"]
        parts = [
            _awards(bottom, "talk", "secretary_talk", f"{period.label}排名落后，约谈党支部书记",
                    {"with": "党支部书记"}, None),
            _awards(bottom, "rectification", "tier_rectify", f"{period.label}排名落后，限期整改",
                    {"deadline": deadline.isoformat(), "deadline_days": RECTIFY_DAYS}, deadline),
        ]
        # By the seed, every period ranks and talks to the bottom (按一定时间段进行排名次…约谈整改, above); the tiers
        # are cashed (兑现按档次) at the grading on a fixed cycle — the year — and watched for relapses in between.
        if period.months == 12:
            # A branch still barred from the selection (an earlier year's bar, ``results["barred"]``) gets the tilt
            # but not the priority in 评先选优.
            barred = results["barred"] if "barred" in results else pd.Series(False, index=results.index)
            first = results["tier"] == FIRST
            parts += [
                _awards(results.loc[first & ~barred, "org_id"], "reward", "first_tier",
                        f"{context.year}年度第一档次：奖金分配倾斜、评先选优优先",
                        {BONUS_WEIGHT: FIRST_TIER_BONUS_WEIGHT, "selection_priority": True, "level": FIRST}, None),
                _awards(results.loc[first & barred, "org_id"], "reward", "first_tier",
                        f"{context.year}年度第一档次：奖金分配倾斜（取消评先资格期内，不予评先选优优先）",
                        {BONUS_WEIGHT: FIRST_TIER_BONUS_WEIGHT, "selection_priority": False, "level": FIRST}, None),
                _awards(bottom, "sanction", "barred_from_advanced", "一年内取消参加先进党支部评选资格",
                        {BARRED_FROM: "先进党支部评选", "reason": f"{context.year}年度考核落后", "level": BOTTOM},
                        context.after_publication(years=1)),
            ]
        parts.append(self._relapses(context))
        return pd.concat(parts, ignore_index=True)[AWARD_COLUMNS]

    @staticmethod
    def _relapses(context: PolicyContext) -> pd.DataFrame:
        """A sanction for each relapse the period flagged (``context.standings``, decided by the scheme's standing
        rules), until the year's end (the next grading)."""
        steps = context.standings
        relapsed = steps[(steps["kind"] == "relapse") & steps["flagged"].astype(bool)]
        return pd.DataFrame({
            "org_id": relapsed["org_id"].to_numpy(), "kind": "sanction", "code": "level_revoked",
            "title": [f"{context.period.label}出现反弹，{p}降为{s}" for p, s in zip(relapsed["previous"], relapsed["standing"])],
            "effect": [{"revoked_level": p, "standing": s} for p, s in zip(relapsed["previous"], relapsed["standing"])],
            "effective_until": date(context.year, 12, 31)})


@hookimpl
def bastion_schemes() -> list[Scheme]:
    return [Scheme.model_validate(SCHEME)]


@hookimpl
def bastion_ledger_types() -> list[LedgerType]:
    return list(LEDGER_TYPES)


@hookimpl
def bastion_incentive_policies() -> list[IncentivePolicy]:
    return [ResponsibilityTiers()]
