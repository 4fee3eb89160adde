"""Built-in plugin ``standard-ledgers``: the ledger types (台账类型) every branch keeps.

三会一课 (branch assembly, committee meeting, group meeting, party lecture), 主题党日, study,
organisational life, volunteer service, practical deeds, model selection and the other records
the seed practices count. Scheme plugins refer to them by code; an enterprise plugin may add its
own types.
"""

from __future__ import annotations

from bastion import hookimpl
from bastion.core.contributions import LedgerType

LEDGER_TYPES = [
    LedgerType("branch_assembly", "支部党员大会", "branch assembly", description="三会一课：每季度至少一次"),
    LedgerType("committee_meeting", "支委会", "branch committee meeting", description="三会一课：每月至少一次"),
    LedgerType("group_meeting", "党小组会", "party group meeting", description="三会一课：每月一次"),
    LedgerType("party_lecture", "党课", "party lecture", description="三会一课：每季度至少一次"),
    LedgerType("theme_party_day", "主题党日", "theme party day"),
    LedgerType("study_session", "集中学习", "study session", description="学习台账"),
    LedgerType("organizational_life", "组织生活会/民主评议", "organisational life meeting"),
    LedgerType("integrity_education", "廉政教育", "integrity education"),
    LedgerType("volunteer_service", "志愿服务", "volunteer service", unit="小时", quantity_required=True),
    LedgerType("practical_deed", "为群众办实事", "practical deed", description="办实事台账"),
    LedgerType("model_selected", "选树典型", "model selected", description="典型选树台账"),
    LedgerType("commendation", "上级表彰", "commendation by a superior"),
    LedgerType("new_member", "发展党员", "new member admitted", unit="人", quantity_required=True),
    LedgerType("activist_training", "入党积极分子培养", "activist training"),
    LedgerType("ideology_analysis", "职工思想动态分析", "staff ideology analysis"),
    LedgerType("dues_collection", "党费收缴", "party dues collected"),
]


@hookimpl
def bastion_ledger_types() -> list[LedgerType]:
    return list(LEDGER_TYPES)
