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

STAGE: dict[str, Pair] = {
    "open_cycle": ("开启考核年度", "open the cycle"),
    "spot_check": ("随机抽查", "spot check"),
    "monthly": ("月评价", "monthly evaluation"),
    "quarterly": ("季通报", "quarterly bulletin"),
    "half_year": ("半年检查", "half-year check"),
    "annual": ("年终考核", "year-end assessment"),
    "rectification": ("整改跟踪", "rectification follow-up"),
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
    "year_end": ("年终考核", "year-end assessment"),
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
    from .engine import Period  # the engine defines periods; words only names them

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
