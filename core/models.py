"""The whole schema of Bastion, in one sitting.

Every row belongs to exactly one tenant (an enterprise, 企业). Enumerated columns are stored as
short strings and validated where data enters (importers, services), so that a plugin or a later
release can add a category or a check kind without a database migration; the known values are the
``StrEnum`` classes below.

The scheme an enterprise scores with is *frozen into the cycle* when the cycle opens
(``Cycle.scheme`` holds the whole document, ``Indicator`` rows its indicators): a plugin may
publish a new scheme version next year without changing how this year was scored.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint, func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A timestamp read back from the database, zone-aware: SQLite returns them naive (they were written in UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _when(**kwargs: Any) -> Any:
    """A timezone-aware timestamp column (naive timestamps are a bug factory across SQLite/PG)."""
    return Field(sa_type=DateTime(timezone=True), **kwargs)


def _json(*, nullable: bool, **field: Any) -> Any:
    return Field(sa_column=Column(JSON, nullable=nullable), **field)


class OrgLevel(StrEnum):
    committee = "committee"  # 党委
    general_branch = "general_branch"  # 党总支 / 直属党组织
    branch = "branch"  # 党支部
    group = "group"  # 党小组


class IndicatorKind(StrEnum):
    veto = "veto"  # 否定指标（一票否决）
    controllable = "controllable"  # 可控指标
    flexible = "flexible"  # 弹性指标（允许在容差范围内波动）
    bonus = "bonus"  # 加分项


class CheckKind(StrEnum):
    daily = "daily"  # 日常督查
    spot = "spot"  # 不定期抽查
    open = "open"  # 明察
    covert = "covert"  # 暗访
    half_year = "half_year"  # 半年检查
    self_check = "self"  # 自查
    mutual = "mutual"  # 互查
    patrol = "patrol"  # 巡查
    year_end = "year_end"  # 年终考核


class RatingSource(StrEnum):
    self_ = "self"  # 自评
    members = "members"  # 党员群众测评
    peers = "peers"  # 其他支部书记互评
    superior = "superior"  # 上级机关考评
    work_report = "work_report"  # 述职评议
    questionnaire = "questionnaire"  # 问卷调查
    forum = "forum"  # 座谈会


class EvaluationStatus(StrEnum):
    draft = "draft"
    reviewed = "reviewed"
    published = "published"


class RectificationStatus(StrEnum):
    issued = "issued"  # 已下发整改通知书
    responded = "responded"  # 已反馈整改情况
    verified = "verified"  # 复验通过
    reopened = "reopened"  # 复验未通过
    overdue = "overdue"  # 逾期
    withdrawn = "withdrawn"  # 已撤销：its award was withdrawn by a correction


# --- tenants and organisations -------------------------------------------------------------


class Tenant(SQLModel, table=True):
    """An enterprise or public organ (企业/单位) running its own assessment."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    # The annual results wait as ``reviewed`` until a leader confirms them, unless this is set.
    auto_confirm_review: bool = False
    # A fact dated in a closed period (迟到的台账、检查发现) is refused unless this is set; then the user books it
    # in the next period or keeps it for a correction (``core.periods.place``).
    late_facts: bool = False
    # Quiet hours (免打扰时段), "22:00-07:00" (tenant time): notifications due in them wait for their end; "" none.
    quiet_hours: str = Field(default="", max_length=11)
    created_at: datetime = _when(default_factory=utcnow)


class TenantPlugin(SQLModel, table=True):
    """A plugin a tenant has enabled (its own scheme and incentive policy)."""

    tenant_id: int = Field(foreign_key="tenant.id", primary_key=True)
    plugin: str = Field(max_length=128, primary_key=True)
    enabled_at: datetime = _when(default_factory=utcnow)


class Organization(SQLModel, table=True):
    """A party organisation: 党委 → 党总支 → 党支部 → 党小组."""

    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    code: str = Field(max_length=64)
    name: str = Field(max_length=200)
    parent_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    level: str = Field(max_length=32)  # OrgLevel
    category: str = Field(default="", max_length=64)  # 机关 / 生产单位 / 企业 / 离退休 … open-ended
    secretary: str | None = Field(default=None, max_length=100)
    secretary_term_start: date | None = None
    secretary_term_end: date | None = None  # 届任制: a term that has ended needs an election
    first_secretary: str | None = Field(default=None, max_length=100)  # 第一书记
    member_count: int = 0
    staff_count: int = 0
    party_staff_count: int = 0  # 党务工作人员 (structural check: 1–2% of staff)
    active: bool = True


def org_code_key(code: str) -> str:
    """The one rule by which an organisation code is looked up: surrounding blanks and the case of its ASCII
    letters don't count (``zb00006`` names ``ZB00006``). Codes are stored as typed; lookups compare keys."""
    return "".join(c.upper() if c.isascii() else c for c in code.strip())


def code_is(column: Any, code: str) -> ColumnElement[bool]:
    """SQL: ``column`` (an organisation's code) names ``code`` by the rule of :func:`org_code_key`."""
    return func.upper(column) == func.upper(code.strip())


class RestructuringKind(StrEnum):
    merge = "merge"  # 合并：A + B → C (C new, or one of them, or another organisation that absorbs them)
    split = "split"  # 分设（拆分）：A → A1 + A2
    move = "move"  # 调整隶属关系
    rename = "rename"  # 更名
    dissolve = "dissolve"  # 撤销


class Restructuring(SQLModel, table=True):
    """A change of the organisation tree (机构调整), dated and audited: a merge, a split, a move, a rename or a
    dissolution (``core.restructuring``).

    ``effective_on`` is the day it took effect, as the office dates it; ``recorded_at`` (UTC) when it was
    recorded: drafts scored before that are outdated (``scoring.refuse_outdated``), and a closed period, whose
    frozen inputs are those recorded up to its scoring, reads the lineage as it stood then. ``detail`` keeps what
    the organisations were and became, by code and name as they then were, for the history list. The
    organisations merged away, split or dissolved are kept, inactive: the results of the past point at them.
    """

    __table_args__ = (Index("ix_restructuring_tenant_recorded", "tenant_id", "recorded_at"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id")
    kind: str = Field(max_length=16)  # RestructuringKind
    # The organisation renamed, moved, dissolved or split; for a merge, the one the others merged into.
    org_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    effective_on: date
    actor: str = Field(max_length=100)
    note: str = ""
    detail: dict[str, Any] = _json(nullable=False, default_factory=dict)
    recorded_at: datetime = _when(default_factory=utcnow)


class OrgLineage(SQLModel, table=True):
    """A predecessor → successor link of a merge or a split (前身 → 后继), so a branch's trend and archive cross it.

    ``heir``: the successor that carries the predecessor's history and, in periods not yet closed, its facts — every
    successor of a merge; the one successor of a split the office names (the first by default).
    """

    restructuring_id: int = Field(foreign_key="restructuring.id", primary_key=True)
    predecessor_id: int = Field(foreign_key="organization.id", primary_key=True)
    successor_id: int = Field(foreign_key="organization.id", primary_key=True, index=True)
    heir: bool = False


# --- party members (党员名册) ----------------------------------------------------------------


class MemberStatus(StrEnum):
    full = "full"  # 正式党员
    probationary = "probationary"  # 预备党员


class Gender(StrEnum):
    male = "male"  # 男
    female = "female"  # 女


class Member(SQLModel, table=True):
    """A party member on the register (党员名册), of a branch or a party group under one.

    ``code`` is the tenant's number for the member (党员编号), the key the register's import updates by.
    ``org_id`` is where the member's organisational relationship (组织关系) is now; :class:`MemberTransfer` keeps
    where it was, dated. A member who left (转出本单位, 出党, 去世) stays on the register, inactive, with the day.
    Birth date and phone are personal data: who sees them in full is ``core.members.privacy``'s one rule.
    """

    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    code: str = Field(max_length=64)
    org_id: int = Field(foreign_key="organization.id", index=True)
    name: str = Field(max_length=100)
    gender: str | None = Field(default=None, max_length=16)  # Gender
    birth_date: date | None = None
    joined_on: date | None = None  # 入党日期 (预备党员: the day admitted as probationary)
    status: str = Field(default=MemberStatus.full.value, max_length=32)  # MemberStatus
    post: str = Field(default="", max_length=100)  # 岗位、职务
    phone: str | None = Field(default=None, max_length=32)
    active: bool = True
    left_on: date | None = None


class MemberTransfer(SQLModel, table=True):
    """A member's organisational relationship moved (组织关系转接), dated: the register's history.

    ``from_org_id`` None: the member came onto the register (转入本单位, 新入党); ``to_org_id`` None: left it."""

    __table_args__ = (Index("ix_membertransfer_member_moved", "member_id", "moved_on"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    from_org_id: int | None = Field(default=None, foreign_key="organization.id")
    to_org_id: int | None = Field(default=None, foreign_key="organization.id")
    moved_on: date
    note: str = Field(default="", max_length=300)
    actor: str = Field(max_length=100)
    recorded_at: datetime = _when(default_factory=utcnow)


# --- cycles, frozen schemes, targets --------------------------------------------------------


class Cycle(SQLModel, table=True):
    """An assessment year (考核年度) scored with one frozen scheme version."""

    __table_args__ = (UniqueConstraint("tenant_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    year: int
    name: str = Field(max_length=200)
    scheme_id: str = Field(max_length=128)
    scheme_version: str = Field(max_length=64)
    scheme_plugin: str = Field(max_length=128)
    scheme: dict[str, Any] = _json(nullable=False)  # the whole scheme document, as opened
    status: str = Field(default="open", max_length=16)
    opened_at: datetime = _when(default_factory=utcnow)
    opened_by: str = Field(default="", max_length=100)


class Indicator(SQLModel, table=True):
    """An indicator of the cycle's frozen scheme (考核指标)."""

    __table_args__ = (UniqueConstraint("cycle_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    code: str = Field(max_length=64)
    block_code: str = Field(max_length=64)
    block_name: str = Field(max_length=200)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=16)  # IndicatorKind
    points: float
    rule: str = Field(max_length=128)
    params: dict[str, Any] = _json(nullable=False)
    tolerance: float | None = None  # flexible indicators: allowed shortfall, as a fraction of target
    position: int = 0


class Target(SQLModel, table=True):
    """A target value (目标值) for an indicator: scheme default, per category, or per branch.

    Resolution for a branch: its own row (``org_id``) beats its category's row, which beats the
    scheme default (both ``org_id`` and ``category`` null). A per-branch row records why.
    """

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    indicator_id: int = Field(foreign_key="indicator.id", index=True)
    category: str | None = Field(default=None, max_length=64)
    org_id: int | None = Field(default=None, foreign_key="organization.id")
    value: float
    reason: str | None = None
    set_by: str = Field(default="", max_length=100)
    set_at: datetime = _when(default_factory=utcnow)


# --- facts: ledgers, evidence, checks, ratings ---------------------------------------------


class LedgerEntry(SQLModel, table=True):
    """A ledger record (台账): a meeting, study session, volunteer hours, a deed, a model …

    Like every fact (findings, ratings), it carries when it was recorded (``recorded_at``, UTC, set by the
    service that writes it, never by the user): a closed period is scored from the facts recorded up to its
    scoring (``scoring.frozen_inputs``)."""

    __table_args__ = (Index("ix_ledgerentry_tenant_date", "tenant_id", "date"),
                      Index("ix_ledgerentry_tenant_recorded", "tenant_id", "recorded_at"))

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id")
    org_id: int = Field(foreign_key="organization.id", index=True)
    type: str = Field(max_length=64)  # a ledger type contributed by a plugin
    date: date
    quantity: float | None = None  # hours, people … where the type has a unit
    title: str = Field(default="", max_length=300)
    note: str = ""
    recorded_by: str = Field(default="", max_length=100)
    recorded_at: datetime = _when(default_factory=utcnow)
    source: str | None = Field(default=None, max_length=300)  # import file, or the UI
    # The date it bore when it arrived late (a closed period's, ``core.periods.place``); its ``date`` is then the
    # first day of the period it was booked in (计入下一考核期), or the same (走更正). None: it came in time.
    late_date: date | None = None


class Evidence(SQLModel, table=True):
    """A file backing a ledger entry, a finding or an appeal (minutes, photos, sign-in sheets …)."""

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    ledger_entry_id: int | None = Field(default=None, foreign_key="ledgerentry.id", index=True)
    finding_id: int | None = Field(default=None, foreign_key="finding.id", index=True)
    appeal_id: int | None = Field(default=None, foreign_key="appeal.id", index=True)
    filename: str = Field(max_length=300)
    uri: str = Field(max_length=1000)
    sha256: str | None = Field(default=None, max_length=64)
    uploaded_by: str = Field(default="", max_length=100)
    uploaded_at: datetime = _when(default_factory=utcnow)


class Check(SQLModel, table=True):
    """An inspection of one organisation (督查/抽查/明察暗访/半年检查 …)."""

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    cycle_id: int | None = Field(default=None, foreign_key="cycle.id", index=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    kind: str = Field(max_length=16)  # CheckKind
    date: date
    inspector: str = Field(default="", max_length=100)
    status: str = Field(default="done", max_length=16)  # planned / done
    note: str = ""


class Finding(SQLModel, table=True):
    """A problem found by a check; it may deduct points from an indicator or trigger a veto."""

    __table_args__ = (Index("ix_finding_tenant_date", "tenant_id", "date"),
                      Index("ix_finding_tenant_recorded", "tenant_id", "recorded_at"))

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id")
    check_id: int = Field(foreign_key="check.id", index=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    date: date
    indicator_code: str | None = Field(default=None, max_length=64)
    deduction: float = 0.0
    description: str = ""
    recorded_at: datetime = _when(default_factory=utcnow)  # when it was recorded (UTC), as a ledger entry's
    late_date: date | None = None  # the date it bore when it arrived late, as a ledger entry's


class Rating(SQLModel, table=True):
    """A ballot or appraisal of a branch (民主测评/互评/考评/述职评议): a score or a level."""

    __table_args__ = (Index("ix_rating_tenant_date", "tenant_id", "date"),
                      Index("ix_rating_tenant_recorded", "tenant_id", "recorded_at"))

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id")
    org_id: int = Field(foreign_key="organization.id", index=True)
    source: str = Field(max_length=16)  # RatingSource
    rater: str = Field(default="", max_length=100)  # who (自评: the secretary); never for a secret source
    indicator_code: str | None = Field(default=None, max_length=64)  # None: overall
    score: float | None = None  # 0–100
    level: str | None = Field(default=None, max_length=16)  # e.g. 优秀/良好/一般/较差 or A–D
    date: date
    note: str = ""
    recorded_at: datetime = _when(default_factory=utcnow)  # when it was recorded (UTC), as a ledger entry's
    # The key of the ballot in the box it was counted from (``cast_ballot.id``); a plain column, added in place.
    ballot_id: str | None = Field(default=None, max_length=32)


# --- results -------------------------------------------------------------------------------


class Evaluation(SQLModel, table=True):
    """One organisation's result for one period of a cycle (月/季/半年/年度)."""

    __table_args__ = (UniqueConstraint("cycle_id", "period", "org_id"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    period: str = Field(max_length=16)  # 2026, 2026-H1, 2026-Q3, 2026-07
    scheme_id: str = Field(max_length=128)
    scheme_version: str = Field(max_length=64)
    base_points: float  # the scored indicators, before bonus
    bonus_points: float  # bonus after the scheme's cap
    total: float
    assessed_points: float = 100  # the points assessed in the period (本期考核分值): lines not assessed left out
    rate: float = 0  # total ÷ assessed_points × 100 (得分率): what short periods grade and rank by
    level: str = Field(default="branch", max_length=32)  # OrgLevel of the organisation assessed; ranks are per level
    vetoed: bool = False
    veto_reasons: list[str] = _json(nullable=False, default_factory=list)
    grade: str = Field(max_length=32)
    advanced_eligible: bool = False
    rank: int
    tier: str = Field(max_length=32)
    status: str = Field(default="draft", max_length=16)  # EvaluationStatus
    # When the run took its facts: it scored those recorded up to this moment (a closed period's frozen inputs).
    scored_at: datetime = _when(default_factory=utcnow)
    published_at: datetime | None = _when(default=None, nullable=True)  # first publication; kept when published again


class EvaluationLine(SQLModel, table=True):
    """Why an evaluation has its points: one line per indicator, with the facts behind it.

    ``evidence`` lists the rows the points came from, as ``kind:id,id;kind:id`` (kinds:
    ``ledger``, ``finding``, ``rating``) so that every point traces back to a record.
    """

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", index=True)
    indicator_code: str = Field(max_length=64)  # the cycle's Indicator: its points, rule and scheme version
    points: float
    value: float | None = None  # what was measured (a count, hours, a ballot average …)
    target: float | None = None
    veto: bool = False
    assessed: bool = True  # False: not assessed in this period (本期不考核), 0 of 0 points
    reason: str
    evidence: str = ""


class OrgSnapshot(SQLModel, table=True):
    """An organisation as it was when a period was scored (组织快照): the tree the period's results belong to.

    Written with the period's results, in the same transaction, for every active organisation of the
    tenant (the branches scored and the levels above them), and replaced only when the period is scored
    again — never once it is published, since a published period is not rescored. Every reader of a
    period's results (the ranking, explanations, the heatmap, bulletins, incentives) names organisations,
    parents and categories from here, so a rename, a move or a merge later does not rewrite the past.
    """

    __table_args__ = {"sqlite_with_rowid": False}

    cycle_id: int = Field(foreign_key="cycle.id", primary_key=True)
    period: str = Field(max_length=16, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", primary_key=True)
    code: str = Field(max_length=64)
    name: str = Field(max_length=200)
    level: str = Field(max_length=32)
    parent_id: int | None = Field(default=None)  # the parent as it was: its own row of the same snapshot
    category: str = Field(default="", max_length=64)
    member_count: int = 0
    secretary: str | None = Field(default=None, max_length=100)
    secretary_term_start: date | None = None
    secretary_term_end: date | None = None


class BlockSubtotal(SQLModel, table=True):
    """An evaluation's points in one block of its scheme: the sum of its lines there (``engine.block_subtotals``).

    Written with the lines, in the same transaction, and rewritten when a correction changes a
    line (``scoring.store_block_subtotals``); gone with its evaluation. The heatmap sums these
    (a few per evaluation) instead of the lines. On SQLite the table is clustered by its key.
    """

    __table_args__ = {"sqlite_with_rowid": False}

    evaluation_id: int = Field(foreign_key="evaluation.id", primary_key=True, ondelete="CASCADE")
    block_code: str = Field(max_length=64, primary_key=True)
    points: float


class ReviewComment(SQLModel, table=True):
    """Graded leader review (分级点评): achievements, problems and direction."""

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    period: str = Field(max_length=16)
    reviewer: str = Field(max_length=100)  # the reviewer's name as it was then (点评人)
    reviewer_id: int | None = Field(default=None, foreign_key="user.id")  # who wrote it; None before revision 0022
    achievements: str = ""
    problems: str = ""
    direction: str = ""
    created_at: datetime = _when(default_factory=utcnow)


class Rectification(SQLModel, table=True):
    """A rectification notice (整改通知书) with a deadline, the answer and re-verification (复验).

    A notice comes from a finding or from an incentive of kind ``rectification``; each source
    gives at most one notice, so issuing notices again never duplicates one. A notice number is
    unique in its tenant: two notices issued at the same moment cannot share one.
    """

    __table_args__ = (UniqueConstraint("tenant_id", "notice_no"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    cycle_id: int | None = Field(default=None, foreign_key="cycle.id", index=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    finding_id: int | None = Field(default=None, foreign_key="finding.id", unique=True)
    incentive_id: int | None = Field(default=None, foreign_key="incentive.id", unique=True)
    evaluation_id: int | None = Field(default=None, foreign_key="evaluation.id")
    notice_no: str = Field(max_length=64)
    problem: str
    requirement: str = ""
    issued_at: date
    deadline: date
    response: str | None = None
    responded_at: datetime | None = _when(default=None)
    verified_at: datetime | None = _when(default=None)
    verifier: str | None = Field(default=None, max_length=100)
    verification_note: str | None = None
    status: str = Field(default="issued", max_length=16)  # RectificationStatus


class Incentive(SQLModel, table=True):
    """A reward or sanction an incentive policy produced from published results."""

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    evaluation_id: int | None = Field(default=None, foreign_key="evaluation.id")
    period: str = Field(max_length=16)
    policy: str = Field(max_length=128)
    kind: str = Field(max_length=16)  # reward / sanction / talk / rectification
    code: str = Field(max_length=64)
    title: str = Field(max_length=200)
    effect: dict[str, Any] = _json(nullable=False, default_factory=dict)  # e.g. {"bonus_weight": 1.2}
    effective_until: date | None = None  # e.g. barred from 评先选优 until this date
    created_at: datetime = _when(default_factory=utcnow)


class StandingKind(StrEnum):
    initial = "initial"  # the scheme's starting standing, given at a branch's first grading
    graded = "graded"  # moved up, down or held at a grading period (定级)
    relapse = "relapse"  # a relapse (反弹) seen in a watched period between gradings: flagged, and taken where said
    manual = "manual"  # set by the superior (分类定级), with the reason


class Standing(SQLModel, table=True):
    """One step of a branch's standing history (档次/星级, 分类定级、提档升级): append-only, never updated or deleted
    (database triggers refuse it); the branch's current standing is its latest step (``core.standings``).

    A step taken by a period (``initial``, ``graded``, ``relapse``) names its cycle, period and evaluation and holds
    from the period's publication (``since``); a correction that changes its decision appends a step of the same
    kind and period with ``revision`` one more and ``revises`` the first row's id, which replaces it and stands in
    its place. A ``manual`` step holds from when it was set. Steps follow each other in the order they were first
    recorded: by ``revises`` or, for a first row, ``id``.
    ``previous`` is the standing before the step, ``move`` what the rule did (up, down, hold, set, drop, lowest,
    flag, void), ``flagged`` a relapse flagged (反弹预警)."""

    __table_args__ = (UniqueConstraint("tenant_id", "org_id", "cycle_id", "period", "kind", "revision"),
                      Index("ix_standing_tenant_since", "tenant_id", "since"))

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id")
    org_id: int = Field(foreign_key="organization.id", index=True)
    standing: str = Field(max_length=32)
    previous: str | None = Field(default=None, max_length=32)
    kind: str = Field(max_length=16)  # StandingKind
    move: str = Field(max_length=16)
    flagged: bool = False
    since: datetime = _when()  # the moment it holds from: the period's first publication, or the manual set
    cycle_id: int | None = Field(default=None, foreign_key="cycle.id")
    period: str | None = Field(default=None, max_length=16)
    evaluation_id: int | None = Field(default=None, foreign_key="evaluation.id")
    revision: int = 0
    revises: int | None = Field(default=None, foreign_key="standing.id", index=True)  # the event's first row
    reason: str
    actor: str = Field(max_length=100)
    recorded_at: datetime = _when(default_factory=utcnow)


class StageStatus(StrEnum):
    running = "running"
    awaiting_review = "awaiting_review"  # annual results scored, waiting for a leader to confirm them
    succeeded = "succeeded"
    failed = "failed"


class StageRun(SQLModel, table=True):
    """One run of a calendar stage (spot check, monthly evaluation … annual assessment) for a tenant.

    ``key`` names what the stage acts on — ``2026:quarterly:2026-Q2``, ``2026:spot_check:2026-03-02``
    — and is unique per tenant: a stage that succeeded is never acted out again. ``flow_run_id`` links
    the Prefect flow run that ran it (None when run directly).
    """

    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    cycle_id: int | None = Field(default=None, foreign_key="cycle.id", index=True)
    key: str = Field(max_length=128)
    stage: str = Field(max_length=32)
    period: str = Field(default="", max_length=16)
    status: str = Field(max_length=16)  # StageStatus
    attempts: int = 0
    flow_run_id: str | None = Field(default=None, max_length=64)
    started_at: datetime = _when(default_factory=utcnow)
    finished_at: datetime | None = _when(default=None)
    detail: dict[str, Any] = _json(nullable=False, default_factory=dict)
    error: str | None = None
    lease_token: str | None = Field(default=None, max_length=32)  # the runner's lease on it (``core.locks``)


class Lease(SQLModel, table=True):
    """A named lock that holds across processes and machines (``core.locks``): who holds it, and until when.

    A holder renews its lease while it works (a heartbeat) and deletes it when done; a lease whose
    holder died — past ``expires_at``, or its process gone on the same host — may be taken over.
    """

    name: str = Field(primary_key=True, max_length=200)
    token: str = Field(max_length=32)
    actor: str = Field(max_length=100)
    purpose: str = Field(default="", max_length=100)
    host: str = Field(max_length=100)
    pid: int
    acquired_at: datetime = _when(default_factory=utcnow)
    expires_at: datetime = _when()


class Bulletin(SQLModel, table=True):
    """A bulletin (通报) of a period's results, kept in the assessment archive (考核档案) as .docx and .xlsx."""

    __table_args__ = (UniqueConstraint("cycle_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    period: str = Field(max_length=16)
    title: str = Field(max_length=200)
    docx_path: str
    xlsx_path: str
    created_at: datetime = _when(default_factory=utcnow)
    # The issue in force: 1, then one more each time a correction re-issues it (更正后重新印发); the issues it
    # replaced are kept as SupersededBulletin rows, their files in the archive.
    version: int = 1
    reason: str = Field(default="", max_length=500)  # why this issue replaced the last (a correction's reason)


class SupersededBulletin(SQLModel, table=True):
    """An issue of a bulletin that a later one replaced (已作废): what it was, and its files, kept in the archive."""

    id: int | None = Field(default=None, primary_key=True)
    bulletin_id: int = Field(foreign_key="bulletin.id", index=True)
    version: int
    title: str = Field(max_length=200)
    reason: str = Field(default="", max_length=500)  # why this issue had replaced the one before it
    docx_path: str
    xlsx_path: str
    issued_at: datetime = _when()
    superseded_at: datetime = _when(default_factory=utcnow)


class Role(StrEnum):
    """What a user may do, always within the subtree of the organisation the role is granted on."""

    admin = "admin"  # 管理员: organisations, users, plugins, cycles, schedules
    leader = "leader"  # 领导: the dashboard, reviews and confirmation
    inspector = "inspector"  # 督查人员: checks, findings, notices, re-verification
    secretary = "secretary"  # 支部书记: the branch's ledgers, self-assessment, answers to notices
    auditor = "auditor"  # 审计管理员: reads the audit trail, nothing else (it cannot be edited by anyone)


class User(SQLModel, table=True):
    """A person who logs in to the UI; belongs to one tenant. Only an Argon2 hash of the password is kept."""

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(default="", max_length=100)
    email: str | None = Field(default=None, max_length=200)  # where the e-mail channel writes (personal data)
    locale: str = Field(default="zh", max_length=8)  # the language of what is sent to them: zh or en
    password_hash: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = _when(default_factory=utcnow)
    last_login_at: datetime | None = _when(default=None)
    locked_until: datetime | None = _when(default=None)  # after too many failed logins (core.users.authenticate)


class LoginFailure(SQLModel, table=True):
    """A failed login of an existing user, kept while it counts towards a lockout (core.users.authenticate);
    the audit trail keeps every failure for good."""

    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    at: datetime = _when(default_factory=utcnow)


class Grant(SQLModel, table=True):
    """A role granted to a user on an organisation and everything under it (its subtree)."""

    __table_args__ = (UniqueConstraint("user_id", "role", "org_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    role: str = Field(max_length=16)  # Role
    org_id: int = Field(foreign_key="organization.id")


class LoginSession(SQLModel, table=True):
    """A server-side login session (登录会话): the browser keeps only a signed cookie naming it.

    Only a hash of the session's token is stored; the rights are never in it: each page run looks the
    user and their grants up again, so a revoked grant or a deactivated user takes effect at once.
    """

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)  # sha256 of the token, hex
    user_id: int = Field(foreign_key="user.id", index=True)
    tenant_id: int = Field(foreign_key="tenant.id")
    locale: str = Field(default="zh", max_length=8)
    created_at: datetime = _when(default_factory=utcnow)
    last_seen_at: datetime = _when(default_factory=utcnow)
    ended_at: datetime | None = _when(default=None)
    end_reason: str = Field(default="", max_length=16)  # logout / deactivated / idle / expired


class AppealStatus(StrEnum):
    lodged = "lodged"  # 已提出，待办理
    accepted = "accepted"  # 申诉成立: the line corrected (core.corrections)
    rejected = "rejected"  # 不予支持, with the reason


class RoundStatus(StrEnum):
    open = "open"  # 投票中: codes may be cast (until the deadline)
    closed = "closed"  # 已计票: the box counted into ratings; nothing more is cast or excluded


class RoundKind(StrEnum):
    branches = "branches"  # 民主测评: members, peers and superiors rate the branches
    members = "members"  # 民主评议党员: a branch's members rate each member


class BallotRound(SQLModel, table=True):
    """A round of democratic evaluation for one period: raters drawn from the tree on ``day``, each given a one-time
    code; cast into an anonymous box; counted when it closes (``core.ballots``) — into ratings of the branches
    (民主测评), or into the members' grades (民主评议党员)."""

    __tablename__ = "ballot_round"
    __table_args__ = (UniqueConstraint("cycle_id", "period", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    cycle_id: int = Field(foreign_key="cycle.id")
    period: str = Field(max_length=16)
    kind: str = Field(default=RoundKind.branches.value, max_length=16)
    day: date  # who was entitled is read off the tree and the register on this day
    deadline: date  # the last day a code may be cast
    status: str = Field(default=RoundStatus.open.value, max_length=16)
    opened_by: str = Field(max_length=100)
    opened_at: datetime = _when(default_factory=utcnow)
    closed_by: str | None = Field(default=None, max_length=100)
    closed_at: datetime | None = _when(default=None)


class BallotEntitlement(SQLModel, table=True):
    """How many may vote on one branch in one source of a round (应参评人数) — a count, never who — and how many
    codes were issued for them (on the slips, once)."""

    __tablename__ = "ballot_entitlement"
    __table_args__ = (UniqueConstraint("round_id", "org_id", "source"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="ballot_round.id", index=True)
    org_id: int = Field(foreign_key="organization.id")
    source: str = Field(max_length=16)  # RatingSource
    entitled: int
    issued: int = 0


class BallotCode(SQLModel, table=True):
    """A one-time ballot code (测评码), kept only as its SHA-256 digest: for which branch and source it votes, and
    whether it was used. No person, no time, and nothing that leads from it to the ballot it cast."""

    __tablename__ = "ballot_code"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="ballot_round.id", index=True)
    org_id: int = Field(foreign_key="organization.id")
    source: str = Field(max_length=16)
    digest: str = Field(max_length=64, unique=True, index=True)
    used: bool = False


class CastBallot(SQLModel, table=True):
    """A ballot in the box (投票箱): its answers under a random key, with no time, code or person. Counted into
    ratings (each carrying the key) when the round closes; an excluded ballot (作废) is kept but not counted."""

    __tablename__ = "cast_ballot"

    id: str = Field(primary_key=True, max_length=32)  # random (secrets.token_hex): says nothing of when or whose
    round_id: int = Field(foreign_key="ballot_round.id", index=True)
    org_id: int = Field(foreign_key="organization.id")
    source: str = Field(max_length=16)
    answers: dict[str, Any] = _json(nullable=False)  # question key ("" for the overall score) → score or level
    note: str = ""
    excluded: str | None = Field(default=None, max_length=300)  # why the office excluded it; None: it counts
    counted: bool = False


class MemberGrade(SQLModel, table=True):
    """A member's result in a review of members (民主评议党员): how many ballots gave each level, and the grade
    that follows (None: not graded — a 预备党员, or no ballot)."""

    __tablename__ = "member_grade"
    __table_args__ = (UniqueConstraint("round_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="ballot_round.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    org_id: int = Field(foreign_key="organization.id")
    tallies: dict[str, Any] = _json(nullable=False)  # level → ballots
    grade: str | None = Field(default=None, max_length=16)
    reason: str = ""


class DutyKind(StrEnum):
    post = "post"  # 以岗定责: the duty of the member's post
    set = "set"  # 设岗定责: a party post the branch set up (党员责任岗、示范岗 …)
    claimed = "claimed"  # 认岗定责: a duty the member took on


class MemberDuty(SQLModel, table=True):
    """A member's duty for a year (党员岗位职责: 以岗定责、设岗定责、认岗定责), kept per person."""

    __tablename__ = "member_duty"

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    org_id: int = Field(foreign_key="organization.id")  # the member's branch when the duty was set
    year: int
    kind: str = Field(max_length=16)  # DutyKind
    text: str = Field(max_length=300)
    active: bool = True
    created_at: datetime = _when(default_factory=utcnow)


class DutyRecord(SQLModel, table=True):
    """A duty fulfilled (履职记录), dated: a fact scored like a ledger entry, frozen by ``recorded_at``."""

    __tablename__ = "duty_record"
    __table_args__ = (Index("ix_duty_record_tenant_date", "tenant_id", "date"),
                      Index("ix_duty_record_tenant_recorded", "tenant_id", "recorded_at"))

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id")
    duty_id: int = Field(foreign_key="member_duty.id", index=True)
    org_id: int = Field(foreign_key="organization.id", index=True)  # the branch it counts for
    member_id: int = Field(foreign_key="member.id")
    date: date
    note: str = Field(default="", max_length=300)
    recorded_by: str = Field(max_length=100)
    recorded_at: datetime = _when(default_factory=utcnow)


class ResponsibilityItem(SQLModel, table=True):
    """An item of a unit's responsibility list for its class of secretary (责任清单: 党委书记、党总支书记、党支部书记)."""

    __tablename__ = "responsibility_item"

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    year: int
    position: int = 0
    text: str = Field(max_length=300)
    active: bool = True
    created_at: datetime = _when(default_factory=utcnow)  # on the list from then (frozen inputs read it so)
    removed_at: datetime | None = _when(default=None)  # and off it from then


class ResponsibilityTick(SQLModel, table=True):
    """An item of the list done (落实), with its evidence, dated: a fact scored like a ledger entry."""

    __tablename__ = "responsibility_tick"
    __table_args__ = (Index("ix_responsibility_tick_tenant_date", "tenant_id", "date"),
                      Index("ix_responsibility_tick_tenant_recorded", "tenant_id", "recorded_at"))

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id")
    item_id: int = Field(foreign_key="responsibility_item.id", index=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    date: date
    evidence: str = Field(max_length=500)
    recorded_by: str = Field(max_length=100)
    recorded_at: datetime = _when(default_factory=utcnow)


class Appeal(SQLModel, table=True):
    """A branch's appeal (申诉) against one line of a published result, and the office's decision on it.

    One appeal per line: a decision is final (a rejected appeal is not lodged again; an accepted one was the
    audited correction, ``core.corrections``)."""

    __table_args__ = (UniqueConstraint("evaluation_id", "indicator_code"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    evaluation_id: int = Field(foreign_key="evaluation.id", index=True)
    period: str = Field(max_length=16)
    indicator_code: str = Field(max_length=64)
    points_then: float  # the line's points when the appeal was lodged
    reason: str  # 申诉理由
    lodged_by: str = Field(max_length=100)
    lodged_at: datetime = _when(default_factory=utcnow)
    status: str = Field(default="lodged", max_length=16)  # AppealStatus
    decided_by: str | None = Field(default=None, max_length=100)
    decided_at: datetime | None = _when(default=None, nullable=True)
    decision: str = ""  # 办理意见: why accepted or rejected
    points_after: float | None = None  # the corrected points, when accepted


class NotificationState(StrEnum):
    pending = "pending"  # 待发送: goes at due_at (later in quiet hours), or at next_try_at after a failure
    sending = "sending"  # claimed by a delivery run: a run killed here leaves it ``unknown``, never sent twice
    sent = "sent"  # 已发送 (the inbox's: delivered to it)
    failed = "failed"  # the last try failed: tried again at next_try_at, with backoff
    dead = "dead"  # 发送失败: given up after the last try
    unknown = "unknown"  # a run died while sending it: whether it went is not known, so it is not sent again


class Notification(SQLModel, table=True):
    """One notification (通知) in the outbox: an event's message to one recipient on one channel, once.

    Written in the transaction of what causes it (a result published, an appeal decided), or by the delivery
    stage's planning for what a day brings (a deadline in 3 days); ``occurrence`` names what happened, and the
    unique key makes each (occurrence, recipient, channel) one row however often it is planned. The inbox's
    notifications are the user's inbox: ``read_at`` marks them read."""

    __table_args__ = (UniqueConstraint("tenant_id", "occurrence", "recipient", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    event: str = Field(max_length=48)  # core.notify.events.EVENTS
    occurrence: str = Field(max_length=200)  # what happened: "notice:12:due:3", "published:2026:2026-H1"
    recipient: str = Field(max_length=64)  # "user:5", or "group" for a channel that posts to one group
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    org_id: int | None = Field(default=None, foreign_key="organization.id")  # the organisation it is about
    channel: str = Field(max_length=32)
    title: str = Field(max_length=200)
    body: str
    link: str = Field(default="", max_length=200)  # the page it concerns (/workspace …)
    due_at: datetime = _when()
    state: str = Field(default="pending", max_length=16, index=True)  # NotificationState
    attempts: int = 0
    next_try_at: datetime | None = _when(default=None, nullable=True)
    claimed_by: str | None = Field(default=None, max_length=64)  # the delivery run sending it
    last_error: str = ""
    sent_at: datetime | None = _when(default=None, nullable=True)
    read_at: datetime | None = _when(default=None, nullable=True)
    created_at: datetime = _when(default_factory=utcnow)


class ChannelSetting(SQLModel, table=True):
    """A tenant's settings of a channel (渠道): on or off, its settings, which events it carries, and its secret —
    kept here only, never in the audit trail nor shown on a page."""

    __tablename__ = "channel_setting"

    tenant_id: int = Field(foreign_key="tenant.id", primary_key=True)
    channel: str = Field(max_length=32, primary_key=True)
    enabled: bool = True
    settings: dict[str, Any] = _json(nullable=False, default_factory=dict)
    events: list[str] = _json(nullable=False, default_factory=list)  # none listed: every event
    secret: str | None = Field(default=None, max_length=500)
    updated_by: str = Field(default="", max_length=100)
    updated_at: datetime = _when(default_factory=utcnow)


class TenantScheme(SQLModel, table=True):
    """A scheme a tenant adopted from a file (方案文件): the document as adopted, a version of its own."""

    __tablename__ = "tenant_scheme"
    __table_args__ = (UniqueConstraint("tenant_id", "scheme_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    scheme_id: str = Field(max_length=128)
    version: str = Field(max_length=64)
    document: dict[str, Any] = _json(nullable=False)
    source: str = Field(default="", max_length=255)  # the file's name
    added_by: str = Field(max_length=100)
    added_at: datetime = _when(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    """Who changed what, when: old → new. Append-only (database triggers refuse UPDATE and DELETE), and each
    tenant's rows form a hash chain that ``bastion audit verify`` checks."""

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int | None = Field(default=None, foreign_key="tenant.id", index=True)
    at: datetime = _when(default_factory=utcnow)
    actor: str = Field(max_length=100)
    action: str = Field(max_length=64)
    entity: str = Field(max_length=64)
    entity_id: str | None = Field(default=None, max_length=64)
    old: dict[str, Any] | None = _json(nullable=True, default=None)
    new: dict[str, Any] | None = _json(nullable=True, default=None)
    note: str = ""
    prev_hash: str | None = Field(default=None, max_length=64)  # the hash of the tenant's row before (``core.audit``)
    hash: str | None = Field(default=None, max_length=64)  # of this row and ``prev_hash``: the chain


class ImportRecord(SQLModel, table=True):
    """A file imported (导入记录): by its content's SHA-256 per tenant and kind, so the same file is not taken twice."""

    __tablename__ = "import_record"

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: int = Field(foreign_key="tenant.id", index=True)
    kind: str = Field(max_length=32)
    sha256: str = Field(max_length=64, index=True)
    filename: str = Field(max_length=255)
    rows: int = 0
    actor: str = Field(max_length=100)
    again: bool = False  # imported although the same file had been before (asked for explicitly)
    at: datetime = _when(default_factory=utcnow)
