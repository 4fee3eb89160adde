"""The indicator scheme (考核指标体系): the declarative document a plugin contributes.

A scheme is a points table: blocks (考核板块) of indicators (考核指标), each with its points, its
kind (veto / controllable / flexible / bonus), the rule type that scores it and that rule's
parameters, a tolerance band for flexible indicators and default targets per branch category.
Around the table: grade bands, tiers, the weights of the rating sources and the check calendar.

The document is plain data (it is stored as JSON in the cycle it opens), validated here for what
can be checked without knowing the other plugins; :func:`bastion.core.registry.Registry.check_scheme`
adds the checks that need them (rule types and ledger types exist, rule parameters are valid).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .i18n import tr
from .models import IndicatorKind, RatingSource

POINTS_EPSILON = 1e-6
ROUND = 2
"""Points are kept to this many decimals (0.01): the engine rounds each line's points to them, and reasons
show numbers the same way."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IndicatorSpec(_Strict):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1)
    kind: IndicatorKind
    points: float = Field(ge=0, description="Maximum points; 0 for veto indicators.")
    rule: str = Field(description="Name of a rule type contributed by a plugin.")
    params: dict[str, Any] = Field(default_factory=dict)
    tolerance: float | None = Field(
        default=None, ge=0, lt=1,
        description="Flexible indicators only: the shortfall against target, as a fraction of "
        "the target, that still earns full points (弹性指标的容差).",
    )
    targets: dict[str, float] = Field(
        default_factory=dict,
        description="Default target by branch category; the key '*' applies to every category.",
    )
    description: str = ""

    @model_validator(mode="after")
    def _kind_rules(self) -> IndicatorSpec:
        if self.kind == IndicatorKind.veto and self.points != 0:
            raise ValueError(tr(f"否定指标的分值为 0，不能是 {self.points:g}",
                                f"a veto indicator carries 0 points, not {self.points:g}"))
        if self.kind != IndicatorKind.veto and self.points <= 0:
            raise ValueError(tr("否定指标以外的指标分值须大于 0", "an indicator that is not a veto must carry more than 0 points"))
        if self.tolerance is not None and self.kind != IndicatorKind.flexible:
            raise ValueError(tr("只有弹性指标才有允许波动范围（tolerance）", "only flexible indicators have a tolerance"))
        return self


def indicator(code: str, name: str, kind: str, points: float, rule: str, params: dict[str, Any] | None = None,
              targets: dict[str, float] | None = None, *, tolerance: float | None = None,
              description: str = "") -> dict[str, Any]:
    """One indicator of a scheme document, as plain data: a shorthand for plugins writing their table."""
    spec = {"code": code, "name": name, "kind": kind, "points": points, "rule": rule, "params": params or {},
            "targets": targets or {}, "description": description}
    if tolerance is not None:
        spec["tolerance"] = tolerance
    return spec


class BlockSpec(_Strict):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1)
    indicators: list[IndicatorSpec] = Field(min_length=1)

    @property
    def points(self) -> float:
        return sum(i.points for i in self.indicators if i.kind not in (IndicatorKind.veto, IndicatorKind.bonus))


class GradeBand(_Strict):
    name: str
    min_score: float
    advanced: bool = Field(default=False, description="Branches in this band may be named advanced (先进).")


class TierBand(_Strict):
    name: str
    share: float | None = Field(default=None, gt=0, le=1, description="For method rank_share.")
    min_score: float | None = Field(default=None, description="For method score.")


class TierRule(_Strict):
    """How results fall into tiers (档次): by share of the ranking or by score bands.

    ``rank_share``: bands in order from the first tier; a branch at rank r of n is in the first band
    whose cumulative share × n reaches r (rounded up), so the first tier is never empty.
    ``score``: bands in descending ``min_score`` order; a branch is in the first band it reaches.
    Either way a vetoed branch is always in the last tier.
    """

    method: Literal["rank_share", "score"]
    bands: list[TierBand] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> TierRule:
        if self.method == "rank_share":
            if any(b.share is None for b in self.bands):
                raise ValueError(tr("按排名比例（rank_share）划分档次时，每一档都须有比例（share）",
                                    "tiers by rank_share need a share on every band"))
            if abs(sum(b.share or 0 for b in self.bands) - 1) > POINTS_EPSILON:
                raise ValueError(tr("各档次的比例之和须为 1", "tier shares must add up to 1"))
        else:
            mins = [b.min_score for b in self.bands]
            if any(m is None for m in mins[:-1]):
                raise ValueError(tr("按分数（score）划分档次时，除最后一档外每一档都须有最低分（min_score）",
                                    "tiers by score need a min_score on every band but the last"))
            given = [m for m in mins if m is not None]
            if given != sorted(given, reverse=True):
                raise ValueError(tr("各档次的最低分（min_score）须从高到低排列", "tier min_scores must descend"))
        return self


class CalendarEntry(_Strict):
    """A stage of the check calendar (日常督查、月评价、季通报、半年检查、年终考核 …)."""

    stage: str
    cron: str
    description: str = ""


class Scheme(_Strict):
    id: str = Field(min_length=1, max_length=128, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    version: str = Field(min_length=1, max_length=64)
    name: str
    description: str = ""
    total_points: float = 100
    bonus_cap: float = Field(default=0, ge=0)
    blocks: list[BlockSpec] = Field(min_length=1)
    grades: list[GradeBand] = Field(min_length=1)
    veto_grade: str = "不合格"
    tiers: TierRule
    source_weights: dict[str, float] = Field(
        default_factory=dict,
        description="Weight of each rating source (self, members, peers, superior, work_report, "
        "questionnaire, forum); they add up to 1. A rule combining sources renormalises over the "
        "sources that voted.",
    )
    policies: list[str] = Field(default_factory=list, description="Incentive policies applied on publication.")
    calendar: list[CalendarEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Scheme:
        codes = [i.code for i in self.indicators()]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(tr(f"指标编码重复：{'、'.join(dupes)}", f"indicator codes are not unique: {', '.join(dupes)}"))
        scored = sum(b.points for b in self.blocks)
        if abs(scored - self.total_points) > POINTS_EPSILON:
            raise ValueError(tr(
                f"各板块分值合计 {scored:g} 分，与方案总分（total_points）{self.total_points:g} 分不符",
                f"the blocks' points add up to {scored:g}, not the scheme's total_points {self.total_points:g}"
            ))
        mins = [g.min_score for g in self.grades]
        if mins != sorted(mins, reverse=True):
            raise ValueError(tr("等次须按最低分（min_score）从高到低排列",
                                "grade bands must be listed from the highest min_score down"))
        if self.source_weights and abs(sum(self.source_weights.values()) - 1) > POINTS_EPSILON:
            total = sum(self.source_weights.values())
            raise ValueError(tr(f"各测评来源权重（source_weights）之和为 {total:g}，不是 1",
                                f"source_weights add up to {total:g}, not 1"))
        unknown = sorted(set(self.source_weights) - {s.value for s in RatingSource})
        if unknown:
            known = [s.value for s in RatingSource]
            raise ValueError(tr(f"测评来源权重（source_weights）中有未知的测评来源 {'、'.join(unknown)}（可用：{'、'.join(known)}）",
                                f"source_weights name unknown rating sources {', '.join(unknown)} "
                                f"(known: {', '.join(known)})"))
        if any(w < 0 for w in self.source_weights.values()):
            raise ValueError(tr("测评来源权重（source_weights）不能为负数", "source_weights must not be negative"))
        return self

    def indicators(self) -> Iterator[IndicatorSpec]:
        for block in self.blocks:
            yield from block.indicators

    def block_of(self) -> dict[str, BlockSpec]:
        return {i.code: b for b in self.blocks for i in b.indicators}

    @property
    def max_total(self) -> float:
        return self.total_points + self.bonus_cap
