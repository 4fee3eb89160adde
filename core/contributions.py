"""What plugins contribute besides schemes and rule types: ledger types, incentive policies, channels, events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, ClassVar

import pandas as pd

from .periods import Period
from .i18n import tr
from .scheme import Scheme


@dataclass(frozen=True)
class LedgerType:
    """A kind of ledger record (台账类型): 三会一课 meetings, study sessions, volunteer hours …

    ``unit`` names what ``quantity`` counts when ``quantity_required`` (e.g. 小时 for volunteer
    hours); entries of other types count one each.
    """

    code: str
    name: str
    name_en: str = ""
    unit: str = "次"
    quantity_required: bool = False
    description: str = ""

    @property
    def label(self) -> str:
        """The type's name in the current language (its Chinese name where it has no English one)."""
        return tr(self.name, self.name_en or self.name)


AWARD_COLUMNS = ["org_id", "kind", "code", "title", "effect", "effective_until"]
AWARD_KINDS = ("reward", "sanction", "talk", "rectification", "multiplier")


HISTORY_COLUMNS = ["org_id", "year", "period", "total", "grade", "rank", "tier", "vetoed"]
STANDING_COLUMNS = ["org_id", "kind", "previous", "standing", "move", "flagged", "reason"]
"""The standing steps a period took (``core.standings.MOVE_COLUMNS``): ``kind`` initial, graded, relapse or manual;
``move`` up, down, hold, set, drop, lowest or flag; ``flagged`` a relapse flagged (反弹)."""


@dataclass(frozen=True)
class PolicyCycle:
    """The cycle (考核年度) a policy is applied in, as plain values: a policy reads it, it cannot write through it.
    ``scheme_plugin`` is the plugin whose scheme the cycle froze when it opened."""

    id: int
    year: int
    name: str = ""
    scheme_plugin: str = ""


@dataclass(frozen=True, eq=False)
class PolicyContext:
    """Where a policy is applied: the tenant, the cycle, the period, the cycle's frozen scheme, and the day
    the period's results were first published (``published_on``, in the tenant's time zone,
    ``periods.TIME_ZONE``) — what deadlines and bars are counted from (:meth:`after_publication`); a
    correction applies the policies again with the same day, so it gives the same awards.

    ``history`` holds the tenant's earlier published results (this year's earlier periods and last
    year's: ``org_id, year, period, total, grade, rank, tier, vetoed``), for policies that look back,
    e.g. a tier held three times in a row.

    ``standings`` holds the standing steps this period took (:data:`STANDING_COLUMNS`; empty unless the scheme grades
    standings and the period is a grading or a watched one): ``core.standings`` decides them from the scheme's rules
    (``Scheme.standings``) before the policies run, so a policy cashes a move or a relapse (提档升级) without
    deciding it again."""

    tenant_code: str
    cycle: PolicyCycle
    period: Period
    scheme: Scheme
    published_on: date
    history: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({c: [] for c in HISTORY_COLUMNS}))
    standings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({c: [] for c in STANDING_COLUMNS}))

    @property
    def year(self) -> int:
        """The year assessed (the cycle's)."""
        return self.cycle.year

    @property
    def scheme_id(self) -> str:
        return self.scheme.id

    @property
    def scheme_version(self) -> str:
        return self.scheme.version

    def after_publication(self, *, days: int = 0, years: int = 0) -> date:
        """The day ``years`` and ``days`` after publication: a rectification due 30 days after it
        (``days=30``, 整改通知书限期 30 天), a bar for a year from it (``years=1``, 一年内取消评先资格; a
        29 February gives 28 February). The one way policies count a deadline or a bar."""
        day = self.published_on
        if years:
            try:
                day = day.replace(year=day.year + years)
            except ValueError:  # 29 February, in a year without one
                day = day.replace(year=day.year + years, day=28)
        return day + timedelta(days=days)


BARRED_FROM = "barred_from"
"""An award's effect key that bars the organisation from the advanced selection (取消评先资格): a text naming the
selection (``"先进党支部评选"``), with the bar's last day in ``effective_until``. See ``core.incentives``."""
BONUS_WEIGHT = "bonus_weight"
"""An award's effect key giving the branch's coefficient in the period's bonus pool (奖金分配系数, e.g. 1.2 for the
first tier's tilt; 1.0 without one). See ``core.incentives``."""
MULTIPLIER = "multiplier"
"""A ``multiplier`` award's effect key: the factor applied to the unit's annual assessment (e.g. 1.05)."""
EFFECT_KEYS = (BARRED_FROM, BONUS_WEIGHT, MULTIPLIER)
"""The effect keys that bind: Bastion acts on them (``core.incentives``); any other key is a label it keeps."""


class IncentivePolicy:
    """Turns a period's ranked, graded results into rewards and sanctions (奖惩).

    ``apply`` receives the published results, one row per organisation with ``org_id``, ``code``,
    ``name``, ``category``, ``parent_id``, ``parent_code``, ``parent_name`` (the general branch or
    committee above), ``total``, ``grade``, ``advanced_eligible``, ``barred`` (barred from
    the advanced selection in this period by an earlier award, :data:`BARRED_FROM`), ``rank``, ``tier``,
    ``vetoed`` and ``veto_reasons``, and returns a frame with :data:`AWARD_COLUMNS`: ``kind`` one
    of :data:`AWARD_KINDS`, ``code`` a short stable identifier, ``title`` in Chinese, ``effect`` a
    JSON-able dict, ``effective_until`` a date or None (for a bar, its last day; for a ``rectification``, the
    day its notice is due), counted from publication (:meth:`PolicyContext.after_publication`), not from
    the period's end. It must be a pure function of its inputs and ``context``: applying it again (a
    correction) gives the same awards.

    Three effect keys bind (:data:`EFFECT_KEYS`, ``core.incentives``): ``barred_from`` (with ``effective_until``)
    makes the organisation not advanced-eligible in every later period ending by that day, and its explanation
    says why (the award's ``title``, and the effect's ``reason`` where given); ``bonus_weight`` is the branch's
    coefficient when the period's bonus pool is shared out (``bastion incentives --pool``); ``multiplier`` (kind
    ``multiplier``) is listed per unit as the factor on its annual assessment. Other keys are kept as labels.

    ``bonus_per_member``: whether the bonus pool is shared by coefficient × member count (a branch of 30 members
    gets three times the share of one of 10 at the same coefficient) instead of by coefficient alone.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    bonus_per_member: ClassVar[bool] = False

    def apply(self, results: pd.DataFrame, context: PolicyContext) -> pd.DataFrame:  # pragma: no cover
        raise NotImplementedError


@dataclass(frozen=True)
class CycleEvent:
    """Something that happened to a cycle: ``opened``, ``scored``, ``published`` …"""

    name: str
    tenant_code: str
    year: int
    period: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    at: date | None = None


@dataclass(frozen=True)
class Dispatch:
    """What a channel sends at once: one recipient's due messages on it (several make a digest, 汇总提醒).

    ``to`` is the recipient's name and e-mail address for a channel that writes to people (``None`` for a
    group channel); ``settings`` the tenant's settings of the channel, checked by its ``Settings`` model;
    ``secret`` the tenant's secret for it (a password, a signing key), never logged by Bastion."""

    title: str
    body: str
    messages: tuple[tuple[str, str], ...]  # (title, body) of each message in it
    to: tuple[str, str | None] | None
    settings: Any
    secret: str | None


class Channel:
    """A way notifications reach people (通知渠道): e-mail, a group robot of 企业微信 or 钉钉, SMS …

    ``name`` (stable, lower case) and ``label`` (Chinese) name it; ``addressed`` says whom it writes to:
    ``"user"`` — one message per person, to an address Bastion keeps for them (``address`` reads it: the e-mail
    channel's is ``User.email``), or ``"group"`` — one message per occurrence to the group the tenant's settings
    name (a robot's webhook). ``Settings`` is a pydantic model of the tenant's settings (host, URL …; the secret is
    apart, ``secret_label`` says what it is); a field's ``title`` labels it on the administrators' page, its
    ``description`` explains it. ``send`` delivers one :class:`Dispatch` or raises: Bastion records the failure (without the secret)
    and tries again later, with backoff. It must not write to Bastion's database: what was sent is Bastion's to
    record. The in-app inbox is Bastion's own channel, always on, and needs no plugin.
    """

    name: ClassVar[str]
    label: ClassVar[str]
    addressed: ClassVar[str] = "user"
    Settings: ClassVar[type]
    secret_label: ClassVar[str] = "密钥"  # what the secret is on this channel (its label on the page)

    def address(self, email: str | None) -> str | None:
        """The recipient's address on this channel, from what Bastion keeps of them (None: they cannot be
        reached on it)."""
        return email

    def send(self, dispatch: Dispatch) -> None:  # pragma: no cover
        raise NotImplementedError
