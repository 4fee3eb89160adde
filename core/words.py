"""Stored codes in words: the one place a status, a role, a source or an audit action gets its name.

Tables keep short English codes (``issued``, ``awaiting_review``, ``secretary``); people read words in
their language (待整改 / issued). The CLI, the pages, the bulletins and the exports all name a code
through :func:`word`, so the same status never reads two ways.
"""

from __future__ import annotations

from .errors import BastionError
from .i18n import locale, tr

Pair = tuple[str, str]

ROLE: dict[str, Pair] = {
    "admin": ("管理员", "Administrator"),
    "leader": ("领导", "Leader"),
    "inspector": ("督查人员", "Inspector"),
    "secretary": ("支部书记", "Branch secretary"),
    "auditor": ("审计管理员", "Auditor"),
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
    "withdrawn": ("已撤销", "withdrawn"),
    "overdue": ("逾期", "overdue"),
}

STAGE_STATUS: dict[str, Pair] = {
    "running": ("运行中", "running"),
    "awaiting_review": ("待领导审核", "awaiting review"),
    "succeeded": ("已完成", "done"),
    "failed": ("失败", "failed"),
}

STAGE: dict[str, Pair] = {
    "open_cycle": ("开启考核年度", "open the cycle"),
    "spot_check": ("随机抽查", "spot check"),
    "monthly": ("月评价", "monthly evaluation"),
    "quarterly": ("季通报", "quarterly bulletin"),
    "half_year": ("半年检查", "half-year check"),
    "annual": ("年终考核", "year-end assessment"),
    "rectification": ("整改跟踪", "rectification follow-up"),
    "notify": ("通知发送", "notifications"),
}

AWARD_KIND: dict[str, Pair] = {
    "reward": ("奖励", "reward"),
    "sanction": ("惩戒", "sanction"),
    "talk": ("约谈", "talk"),
    "rectification": ("整改", "rectification"),
    "multiplier": ("乘数", "multiplier"),
}

EVIDENCE_KIND: dict[str, Pair] = {
    "ledger": ("台账", "ledger"),
    "finding": ("检查发现", "finding"),
    "rating": ("测评票", "ballot"),
    "ballots": ("测评汇总", "ballots in aggregate"),  # a secret source's, never a single ballot
    "duty": ("履职记录", "duty fulfilled"),
    "tick": ("清单落实", "list item done"),
}

CONTRIBUTION: dict[str, Pair] = {  # core.registry.Registry.contributions_of
    "schemes": ("考核方案", "schemes"),
    "rule types": ("计分规则", "rule types"),
    "ledger types": ("台账类型", "ledger types"),
    "policies": ("激励政策", "incentive policies"),
    "events": ("事件处理", "event handlers"),
}

BULLETIN_STATUS: dict[str, Pair] = {  # bulletins.queries.IN_FORCE / SUPERSEDED
    "in_force": ("现行", "in force"),
    "superseded": ("已作废", "superseded"),
}

RESULT_STATUS: dict[str, Pair] = {
    "draft": ("草稿", "draft"),
    "reviewed": ("已审核", "reviewed"),
    "published": ("已发布", "published"),
}

VERIFIED_FIELD: dict[str, Pair] = {  # what a difference of a verified period names (core.verify)
    "result": ("考核结果", "result"),
    "line": ("考核行", "line"),
    "points": ("得分", "points"),
    "points_before_correction": ("更正前得分", "points before the correction"),
    "veto": ("否决", "veto"),
    "assessed": ("本期考核", "assessed"),
    "base_points": ("基本分", "base points"),
    "bonus_points": ("加分", "bonus points"),
    "total": ("总分", "total"),
    "assessed_points": ("本期考核分值", "points assessed"),
    "rate": ("得分率", "rate"),
    "grade": ("等次", "grade"),
    "advanced_eligible": ("可评先进", "advanced eligible"),
    "rank": ("名次", "rank"),
    "tier": ("档次", "tier"),
    "vetoed": ("一票否决", "vetoed"),
    "veto_reasons": ("否决理由", "veto reasons"),
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
    "year_end": ("年终考核", "year-end assessment"),
}

CHECK_STATUS: dict[str, Pair] = {
    "planned": ("待检查", "planned"),
    "done": ("已检查", "done"),
}

LATE: dict[str, Pair] = {  # core.periods.Late: where a late ledger entry or finding goes, the user's choice
    "next": ("计入下一考核期", "book it in the next period"),
    "correction": ("走更正", "the correction route"),
}

IMPORT_KIND: dict[str, Pair] = {  # core.importing.KINDS
    "organizations": ("组织机构", "organisations"),
    "ledger": ("台账", "ledger"),
    "findings": ("检查发现", "findings"),
    "ratings": ("测评", "ratings"),
    "members": ("党员名册", "members' register"),
    "restructure": ("机构调整", "restructuring"),
}

RESTRUCTURING: dict[str, Pair] = {  # core.models.RestructuringKind
    "merge": ("合并", "merge"),
    "split": ("分设", "split"),
    "move": ("调整隶属", "move"),
    "rename": ("更名", "rename"),
    "dissolve": ("撤销", "dissolve"),
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
    "read_audit": ("查看审计日志", "read the audit trail"),
    "view_members": ("查看党员名册", "view the members' register"),
    "appeal": ("申诉", "appeal"),
}

APPEAL_STATUS: dict[str, Pair] = {  # models.AppealStatus (申诉)
    "lodged": ("待办理", "lodged"),
    "accepted": ("申诉成立", "accepted"),
    "rejected": ("不予支持", "rejected"),
}

NOTIFICATION_STATE: dict[str, Pair] = {  # models.NotificationState (通知)
    "pending": ("待发送", "pending"),
    "sending": ("发送中", "sending"),
    "sent": ("已发送", "sent"),
    "failed": ("失败待重试", "failed, to be retried"),
    "dead": ("发送失败", "given up"),
    "unknown": ("结果不明", "fate unknown"),
}

DUTY_KIND: dict[str, Pair] = {  # models.DutyKind (党员岗位职责)
    "post": ("以岗定责", "duty of the post"),
    "set": ("设岗定责", "party post set up"),
    "claimed": ("认岗定责", "duty taken on"),
}

ROUND_KIND: dict[str, Pair] = {  # models.RoundKind
    "branches": ("民主测评", "ballot round"),
    "members": ("民主评议党员", "review of members"),
}

ROUND_STATUS: dict[str, Pair] = {  # models.RoundStatus
    "open": ("投票中", "open"),
    "closed": ("已计票", "closed and counted"),
}

MEMBER_STATUS: dict[str, Pair] = {  # models.MemberStatus (党员名册)
    "full": ("正式党员", "full member"),
    "probationary": ("预备党员", "probationary member"),
}

GENDER: dict[str, Pair] = {"male": ("男", "male"), "female": ("女", "female")}  # models.Gender

STANDING_KIND: dict[str, Pair] = {  # models.StandingKind: what moved a branch's standing (core.standings)
    "initial": ("起始定级", "initial"),
    "graded": ("定级", "graded"),
    "relapse": ("反弹", "relapse"),
    "manual": ("上级定级", "set by hand"),
}

STANDING_MOVE: dict[str, Pair] = {  # what a standing step did (core.standings)
    "up": ("提档", "up"),
    "down": ("降档", "down"),
    "hold": ("保持", "held"),
    "set": ("定级", "set"),
    "drop": ("反弹降档", "dropped"),
    "lowest": ("反弹降至最低", "dropped to the lowest"),
    "flag": ("反弹预警", "flagged"),
    "void": ("更正后撤销", "void"),
}

AUDIT_ACTION: dict[str, Pair] = {
    "activate": ("启用", "activated"),
    "adopt": ("采用方案", "adopted"),
    "adjust": ("调整", "adjusted"),
    "assign": ("分配", "assigned"),
    "cast": ("投票", "cast"),
    "close": ("结束计票", "closed and counted"),
    "complete": ("完成", "completed"),
    "confirm": ("确认", "confirmed"),
    "correct": ("更正", "corrected"),
    "decide": ("定级", "decided"),
    "create": ("新建", "created"),
    "deactivate": ("停用", "deactivated"),
    "disable": ("停用插件", "disabled"),
    "draw": ("抽取", "drawn"),
    "enable": ("启用插件", "enabled"),
    "exclude": ("作废", "excluded"),
    "grant": ("授权", "granted"),
    "import": ("导入", "imported"),
    "issue": ("下发", "issued"),
    "lockout": ("锁定账号", "locked out"),
    "login": ("登录", "logged in"),
    "login_failed": ("登录失败", "login failed"),
    "logout": ("退出登录", "logged out"),
    "move": ("调整隶属", "moved"),
    "open": ("开启", "opened"),
    "overdue": ("标记逾期", "marked overdue"),
    "publish": ("发布", "published"),
    "put_to_review": ("提交领导审核", "put to the leaders' review"),
    "record": ("记录", "recorded"),
    "restructure": ("机构调整", "restructured"),
    "redecide": ("更正后重新定级", "decided again"),
    "reissue": ("重新印发", "re-issued"),
    "respond": ("反馈", "answered"),
    "review": ("点评", "reviewed"),
    "lodge": ("提出申诉", "lodged"),
    "accept": ("申诉成立", "accepted"),
    "reject": ("不予支持", "rejected"),
    "revoke": ("撤销授权", "revoked"),
    "score": ("评分", "scored"),
    "set": ("设定", "set"),
    "set_password": ("修改密码", "password set"),
    "transfer": ("组织关系转接", "transferred"),
    "submit": ("提交", "submitted"),
    "unlock": ("解除锁定", "unlocked"),
    "update": ("修改", "updated"),
    "upload": ("上传", "uploaded"),
    "verify": ("复验", "re-verified"),
    "withdraw": ("撤销", "withdrawn"),
}

AUDIT_ENTITY: dict[str, Pair] = {
    "ballot": ("测评票", "ballot"),
    "ballot_round": ("民主测评轮次", "ballot round"),
    "scheme": ("考核方案", "scheme"),
    "member_duty": ("党员岗位职责", "member's duty"),
    "duty_record": ("履职记录", "duty fulfilled"),
    "responsibility_item": ("责任清单事项", "responsibility list item"),
    "responsibility_tick": ("责任清单落实", "responsibility list item done"),
    "cast_ballot": ("投票箱中的测评票", "ballot in the box"),
    "bulletin": ("通报", "bulletin"),
    "check": ("督查", "check"),
    "cycle": ("考核年度", "cycle"),
    "evaluation": ("考核结果", "result"),
    "evidence": ("佐证材料", "evidence"),
    "appeal": ("申诉", "appeal"),
    "channel": ("通知渠道", "notification channel"),
    "finding": ("督查发现", "finding"),
    "incentive": ("奖惩", "incentive"),
    "member": ("党员", "member"),
    "ledger_entry": ("台账", "ledger entry"),
    "organization": ("组织", "organisation"),
    "rectification": ("整改通知书", "rectification notice"),
    "restructuring": ("机构调整", "restructuring"),
    "self_assessment": ("自评", "self-assessment"),
    "session": ("会话", "session"),
    "spot_check": ("抽查", "spot check"),
    "standing": ("档次", "standing"),
    "standings": ("分类定级", "standings"),
    "target": ("目标值", "target"),
    "tenant": ("单位", "tenant"),
    "user": ("用户", "user"),
    # an import is audited under its kind
    **{kind: (f"{zh}导入", f"{en} import") for kind, (zh, en) in IMPORT_KIND.items()},
}

AUDIT_DETAIL: dict[str, Pair] = {  # the keys of an audit event's old and new values
    "active": ("启用", "active"),
    "awards": ("奖惩", "awards"),
    "category": ("类别", "category"),
    "children_moved": ("随之调整的下属组织", "organisations moved with it"),
    "check": ("督查", "check"),
    "checks": ("督查", "checks"),
    "checks_created": ("新建检查", "checks created"),
    "code": ("编码", "code"),
    "cycle": ("考核年度", "cycle"),
    "date": ("日期", "date"),
    "deadline": ("整改期限", "deadline"),
    "deduction": ("扣分", "deduction"),
    "effective_on": ("生效日期", "effective on"),
    "description": ("问题描述", "description"),
    "display_name": ("姓名", "display name"),
    "drawn": ("抽取", "drawn"),
    "failures": ("登录失败次数", "failed logins"),
    "file": ("文件", "file"),
    "filename": ("文件名", "file name"),
    "finding_id": ("督查发现", "finding"),
    "heir": ("承继历史", "carries the history"),
    "indicator": ("指标", "indicator"),
    "indicator_code": ("指标", "indicator"),
    "inserted": ("新增", "inserted"),
    "kind": ("类型", "kind"),
    "ledger_entry_id": ("台账", "ledger entry"),
    "level": ("等次", "level"),
    "locked_until": ("锁定至", "locked until"),
    "name": ("名称", "name"),
    "note": ("备注", "note"),
    "notice_no": ("通知书编号", "notice number"),
    "notices": ("整改通知书", "notices"),
    "old_name": ("原名称", "former name"),
    "old_parent_code": ("原上级组织", "former parent"),
    "of": ("总数", "of"),
    "on": ("日期", "on"),
    "org": ("组织", "organisation"),
    "org_id": ("组织", "organisation"),
    "organizations": ("组织数", "organisations"),
    "orgs": ("组织", "organisations"),
    "parent_code": ("上级组织", "parent"),
    "period": ("考核期", "period"),
    "plugin": ("插件", "plugin"),
    "plugins": ("插件", "plugins"),
    "points": ("分值", "points"),
    "predecessors": ("原组织", "predecessors"),
    "problem": ("存在问题", "problem"),
    "quantity": ("数量", "quantity"),
    "rater": ("测评人", "rater"),
    "rating_id": ("测评记录", "rating"),
    "reason": ("理由", "reason"),
    "response": ("整改情况", "response"),
    "results_changed": ("变动的考核结果", "results changed"),
    "review_id": ("点评", "review"),
    "reviewer": ("点评人", "reviewer"),
    "role": ("角色", "role"),
    "rows": ("行数", "rows"),
    "sample": ("抽中", "sample"),
    "scheme": ("方案", "scheme"),
    "score": ("分数", "score"),
    "scores": ("评分", "scores"),
    "seed": ("随机种子", "seed"),
    "sha256": ("SHA-256", "SHA-256"),
    "skipped": ("跳过", "skipped"),
    "source": ("测评来源", "source"),
    "status": ("状态", "status"),
    "successors": ("新组织", "successors"),
    "standing": ("档次", "standing"),
    "steps": ("定级记录", "steps"),
    "moves": ("升降", "moves"),
    "changes": ("变动", "changes"),
    "title": ("标题", "title"),
    "type": ("台账类型", "type"),
    "updated": ("更新", "updated"),
    "username": ("用户名", "username"),
    "value": ("目标值", "value"),
    "version": ("版本", "version"),
    "year": ("年度", "year"),
    # a corrected result's columns (core.corrections.CONCLUDED), before and after
    "advanced_eligible": ("可评先进", "advanced eligible"),
    "base_points": ("基本分", "base points"),
    "bonus_points": ("加分", "bonus points"),
    "grade": ("等次", "grade"),
    "rank": ("名次", "rank"),
    "tier": ("档次", "tier"),
    "total": ("总分", "total"),
}


def word(table: dict[str, Pair], code: str | None) -> str:
    """``code`` in words in the current language; an unknown code as it is, an empty one as ""."""
    if code is None or code != code:  # None or NaN
        return ""
    pair = table.get(str(code))
    return tr(*pair) if pair else str(code)

_WEEKDAYS = (("日", "Sunday"), ("一", "Monday"), ("二", "Tuesday"), ("三", "Wednesday"), ("四", "Thursday"),
             ("五", "Friday"), ("六", "Saturday"))
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")


def _numbers(field: str, low: int, high: int) -> list[int] | None:
    """``1,4,7,10`` or ``3`` as numbers; None for anything else (ranges, steps, names)."""
    try:
        values = [int(v) for v in field.split(",")]
    except ValueError:
        return None
    return values if all(low <= v <= high for v in values) else None


def _listed(items: list[str], *, zh: bool) -> str:
    if zh:
        return "、".join(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def cron_text(cron: str) -> str:
    """A calendar's cron expression in words (``0 9 5 1,4,7,10 *`` → 每年1、4、7、10月5日 09:00).

    The forms schemes use — daily, weekly, monthly, in some months — are named; any other expression
    is shown as it is.
    """
    parts = cron.split()
    if len(parts) != 5:
        return cron
    minute, hour, dom, month, dow = parts
    m, h = _numbers(minute, 0, 59), _numbers(hour, 0, 23)
    if not m or not h or len(m) != 1 or len(h) != 1:
        return cron
    at = f"{h[0]:02d}:{m[0]:02d}"
    zh = locale() == "zh"
    if dom == "*" and month == "*" and dow == "*":
        return f"每天 {at}" if zh else f"daily at {at}"
    if dom == "*" and month == "*" and (days := _numbers(dow.replace("7", "0"), 0, 6)):
        if zh:
            return "每周" + "、".join(_WEEKDAYS[d][0] for d in days) + f" {at}"
        return "every " + _listed([_WEEKDAYS[d][1] for d in days], zh=False) + f" at {at}"
    if dow == "*" and (dates := _numbers(dom, 1, 31)):
        day_zh = "、".join(str(d) for d in dates) + "日"
        day_en = _listed([str(d) for d in dates], zh=False)
        if month == "*":
            return f"每月{day_zh} {at}" if zh else f"on day {day_en} of every month at {at}"
        if months := _numbers(month, 1, 12):
            if zh:
                return "每年" + "、".join(str(x) for x in months) + f"月{day_zh} {at}"
            return f"on {_listed([_MONTHS_EN[x - 1] for x in months], zh=False)} {day_en} at {at}"
    return cron


def period_name(key: str) -> str:
    """A period in words: 2025年度 / 2025 (year), 2025年上半年 / 2025 H1, 2025年第3季度 / 2025 Q3, 2025年7月 / July 2025."""
    from .periods import Period

    try:
        period = Period.parse(key)
    except (ValueError, BastionError):
        return key
    if locale() == "zh":
        return period.label
    if period.months == 12:
        return str(period.year)
    if period.months == 6:
        return f"{period.year} H{1 if period.first_month == 1 else 2}"
    if period.months == 3:
        return f"{period.year} Q{(period.first_month + 2) // 3}"
    return f"{_MONTHS_EN[period.first_month - 1]} {period.year}"
