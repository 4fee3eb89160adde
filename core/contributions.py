"""What plugins contribute besides schemes and rule types: ledger types, incentive policies, events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

import pandas as pd

from .periods import Period
from .i18n import tr


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


@dataclass(frozen=True, eq=False)
class PolicyContext:
    """Where a policy is applied. ``history`` holds the tenant's earlier published results (this
    year's earlier periods and last year's: ``org_id, year, period, total, grade, rank, tier,
    vetoed``), for policies that look back, e.g. a level graded last year and lost on relapse."""

    tenant_code: str
    year: int
    period: Period
    scheme_id: str
    scheme_version: str
    history: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({c: [] for c in HISTORY_COLUMNS}))


class IncentivePolicy:
    """Turns a period's ranked, graded results into rewards and sanctions (奖惩).

    ``apply`` receives the published results, one row per organisation with ``org_id``, ``code``,
    ``name``, ``category``, ``parent_id``, ``parent_code``, ``parent_name`` (the general branch or
    committee above), ``total``, ``grade``, ``advanced_eligible``, ``rank``, ``tier``, ``vetoed``
    and ``veto_reasons``, and returns a frame with :data:`AWARD_COLUMNS`: ``kind`` one
    of :data:`AWARD_KINDS`, ``code`` a short stable identifier, ``title`` in Chinese, ``effect`` a
    JSON-able dict (e.g. ``{"bonus_weight": 1.2}``; a ``multiplier`` award carries
    ``{"multiplier": 1.05}``, the factor applied to the unit's annual assessment),
    ``effective_until`` a date or None (e.g. barred from 评先选优 until then). It must be a pure
    function of its inputs and ``context.history``: publishing twice gives the same awards.
    """

    name: ClassVar[str]
    description: ClassVar[str]

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
