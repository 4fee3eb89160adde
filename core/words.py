"""Stored codes in words: the one place a status, a role, a source or an audit action gets its name.

Tables keep short English codes (``issued``, ``awaiting_review``, ``secretary``); people read words in
their language (待整改 / issued). The CLI, the pages, the bulletins and the exports all name a code
through :func:`word`, so the same status never reads two ways.
"""

from __future__ import annotations

from bastion.core.i18n import tr

Pair = tuple[str, str]

ROLE: dict[str, Pair] = {
    "admin": ("管理员", "Administrator"),
    "leader": ("领导", "Leader"),
    "inspector": ("督查人员", "Inspector"),
    "secretary": ("支部书记", "Branch secretary"),
    "rater": ("测评人", "Rater"),
}

SOURCE: dict[str, Pair] = {
    "self": ("自评", "self-assessment"),
    "members": ("党员群众测评", "members and staff"),
    "peers": ("其他支部书记互评", "peer secretaries"),
    "superior": ("上级机关考评", "superior organ"),
    "work_report": ("述职评议", "work report"),
    "questionnaire": ("问卷调查", "questionnaire"),
    "forum": ("座谈会", "forum"),
}

NOTICE_STATUS: dict[str, Pair] = {
    "issued": ("待整改", "awaiting rectification"),
    "responded": ("已反馈，待复验", "answered, to re-verify"),
    "verified": ("复验通过", "verified"),
    "reopened": ("复验未通过", "reopened"),
    "overdue": ("逾期", "overdue"),
}

STAGE_STATUS: dict[str, Pair] = {
    "running": ("运行中", "running"),
    "awaiting_review": ("待领导审核", "awaiting review"),
    "succeeded": ("已完成", "done"),
    "failed": ("失败", "failed"),
}

RESULT_STATUS: dict[str, Pair] = {
    "draft": ("草稿", "draft"),
    "reviewed": ("已审核", "reviewed"),
    "published": ("已发布", "published"),
}

CYCLE_STATUS: dict[str, Pair] = {
    "open": ("进行中", "open"),
    "awaiting_review": ("待领导审核", "awaiting review"),
    "published": ("已发布", "published"),
}

LEVEL: dict[str, Pair] = {
    "committee": ("党委", "committee"),
    "general_branch": ("党总支", "general branch"),
    "branch": ("党支部", "branch"),
    "group": ("党小组", "party group"),
}

INDICATOR_KIND: dict[str, Pair] = {
    "veto": ("否定指标", "veto"),
    "controllable": ("可控指标", "controllable"),
    "flexible": ("弹性指标", "flexible"),
    "bonus": ("加分项", "bonus"),
}

CHECK_KIND: dict[str, Pair] = {
    "daily": ("日常督查", "daily supervision"),
    "spot": ("不定期抽查", "spot check"),
    "open": ("明察", "open inspection"),
    "covert": ("暗访", "covert inspection"),
    "half_year": ("半年检查", "half-year check"),
    "self": ("自查", "self-check"),
    "mutual": ("互查", "mutual check"),
    "patrol": ("巡查", "patrol check"),
}

ACCESS_ACTION: dict[str, Pair] = {  # core.access.Action: what a role may do, as a refusal names it
    "view_results": ("查看考核结果", "view results"),
    "view_drafts": ("查看未发布的考核结果", "view drafts"),
    "review": ("点评和审核", "review"),
    "record_ledger": ("记录台账", "record ledger"),
    "self_assess": ("自评", "self assess"),
    "answer_notice": ("反馈整改", "answer notice"),
    "inspect": ("督查", "inspect"),
    "administer": ("管理", "administer"),
}

AUDIT_ACTION: dict[str, Pair] = {
    "activate": ("启用", "activated"),
    "adjust": ("调整", "adjusted"),
    "assign": ("分配", "assigned"),
    "complete": ("完成", "completed"),
    "confirm": ("确认", "confirmed"),
    "correct": ("更正", "corrected"),
    "create": ("新建", "created"),
    "deactivate": ("停用", "deactivated"),
    "disable": ("停用插件", "disabled"),
    "draw": ("抽取", "drawn"),
    "enable": ("启用插件", "enabled"),
    "grant": ("授权", "granted"),
    "import": ("导入", "imported"),
    "issue": ("下发", "issued"),
    "login": ("登录", "logged in"),
    "login_failed": ("登录失败", "login failed"),
    "logout": ("退出登录", "logged out"),
    "move": ("调整隶属", "moved"),
    "open": ("开启", "opened"),
    "overdue": ("标记逾期", "marked overdue"),
    "publish": ("发布", "published"),
    "record": ("记录", "recorded"),
    "respond": ("反馈", "answered"),
    "review": ("点评", "reviewed"),
    "revoke": ("撤销授权", "revoked"),
    "score": ("评分", "scored"),
    "set_password": ("修改密码", "password set"),
    "submit": ("提交", "submitted"),
    "update": ("修改", "updated"),
    "upload": ("上传", "uploaded"),
    "verify": ("复验", "re-verified"),
}

AUDIT_ENTITY: dict[str, Pair] = {
    "ballot": ("测评票", "ballot"),
    "check": ("督查", "check"),
    "cycle": ("考核年度", "cycle"),
    "evaluation": ("考核结果", "result"),
    "evidence": ("佐证材料", "evidence"),
    "finding": ("督查发现", "finding"),
    "ledger_entry": ("台账", "ledger entry"),
    "organization": ("组织", "organisation"),
    "rectification": ("整改通知书", "rectification notice"),
    "self_assessment": ("自评", "self-assessment"),
    "session": ("会话", "session"),
    "spot_check": ("抽查", "spot check"),
    "target": ("目标值", "target"),
    "tenant": ("单位", "tenant"),
    "user": ("用户", "user"),
}


def word(table: dict[str, Pair], code: str | None) -> str:
    """``code`` in words in the current language; an unknown code as it is, an empty one as ""."""
    if code is None or code != code:  # None or NaN
        return ""
    pair = table.get(str(code))
    return tr(*pair) if pair else str(code)
