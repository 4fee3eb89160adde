"""Built-in plugin ``organisational-life``: 三会一课, 主题党日 and feedback from below (seed 001).

What the seed says, and this plugin keeps:
- organisational life is the backbone of member education: 三会一课 (branch committee meeting,
  branch assembly, group meeting, party lecture) held in new forms, within a learning organisation
  whose study systems are reflection, feedback and sharing (反思、反馈、共享);
- activities as platforms: the advanced-committee drive (创建先进党委) and member pioneer posts
  (党员先锋岗);
- supervision both top-down and bottom-up: questionnaires and forums collect members' and staff's
  views (问卷调查、座谈会), reception and complaint procedures bring problems up (接访、情况反映).

What this plugin invented: the counts each 三会一课 item and the monthly 主题党日 must reach and
their points, pioneer posts and study as counted ledgers, the weights of questionnaire (0.6) and
forum (0.4), the deduction per problem reported from below, the grade bands and tiers, and that grades
are given at the year-end assessment only: a quarter's check (季度组织生活检查) assesses a few counts,
each held or missed — one assembly missed is 12 points of the quarter's rate (8 of 69) — so a quarter
is ranked and tiered, and the year grades. It applies no incentive policy of its own: an enterprise
combining it with a policy plugin names one.
"""

from __future__ import annotations

from bastion import hookimpl
from bastion.core.contributions import LedgerType
from bastion.core.scheme import Scheme, indicator

__version__ = "1.0.0"

LEDGER_TYPES = [
    LedgerType("pioneer_post", "党员先锋岗", "member pioneer post", description="设立并挂牌的党员先锋岗"),
]


SCHEME = {
    "id": "organisational-life",
    "version": "2024.1",
    "name": "组织生活与活动创建考核",
    "description": "三会一课、主题党日的次数计入量化指标；创建活动有载体；问卷调查和座谈会征求党员群众意见，自下而上监督。",
    "total_points": 100,
    "blocks": [
        {"code": "O", "name": "三会一课", "indicators": [
            indicator("O1", "支委会每月召开", "controllable", 10, "ledger_target",
                      {"ledger_type": "committee_meeting", "per": "month"}, {"*": 1}),
            indicator("O2", "支部党员大会每季度召开", "controllable", 8, "ledger_target",
                      {"ledger_type": "branch_assembly", "per": "quarter"}, {"*": 1}),
            indicator("O3", "党小组会每月召开", "controllable", 8, "ledger_target",
                      {"ledger_type": "group_meeting", "per": "month"}, {"*": 1}),
            indicator("O4", "党课每季度一次", "controllable", 8, "ledger_target",
                      {"ledger_type": "party_lecture", "per": "quarter"}, {"*": 1}),
        ]},
        {"code": "T", "name": "主题党日", "indicators": [
            indicator("T1", "主题党日每月开展", "controllable", 12, "ledger_target",
                      {"ledger_type": "theme_party_day", "per": "month"}, {"*": 1}),
        ]},
        {"code": "A", "name": "创建活动", "indicators": [
            indicator("A1", "设立党员先锋岗", "controllable", 6, "ledger_target",
                      {"ledger_type": "pioneer_post"}, {"*": 1, "离退休": 0}),
            indicator("A2", "学习型组织：反思、反馈、共享学习", "controllable", 8, "ledger_target",
                      {"ledger_type": "study_session", "per": "quarter"}, {"*": 2}),
        ]},
        {"code": "F", "name": "反馈与监督", "indicators": [
            indicator("F1", "问卷调查满意度", "controllable", 15, "ballot_score", {"sources": ["questionnaire"]},
                      description="问卷调查征求党员群众意见"),
            indicator("F2", "座谈会评价", "controllable", 10, "ballot_score", {"sources": ["forum"]},
                      description="座谈会征求党员群众意见"),
            indicator("F3", "自下而上监督反映的问题", "controllable", 15, "finding_deduction", {"per_finding": 3},
                      description="接访、情况反映、民意调查发现的问题，每个扣 3 分"),
        ]},
    ],
    "grades": [
        {"name": "优秀", "min_score": 90, "advanced": True},
        {"name": "良好", "min_score": 80},
        {"name": "合格", "min_score": 60},
        {"name": "不合格", "min_score": 0},
    ],
    "graded": "year",  # quarters rank and tier (see above)
    "tiers": {"method": "rank_share", "bands": [
        {"name": "第一档", "share": 0.3}, {"name": "第二档", "share": 0.5}, {"name": "第三档", "share": 0.2},
    ]},
    "source_weights": {"questionnaire": 0.6, "forum": 0.4},
    "calendar": [
        {"stage": "quarterly", "cron": "0 9 5 1,4,7,10 *", "description": "季度组织生活检查"},
        {"stage": "annual", "cron": "0 9 15 1 *", "description": "年终考核"},
    ],
}


@hookimpl
def bastion_schemes() -> list[Scheme]:
    return [Scheme.model_validate(SCHEME)]


@hookimpl
def bastion_ledger_types() -> list[LedgerType]:
    return list(LEDGER_TYPES)
