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
from .models import IndicatorKind, OrgLevel, RatingSource
from .rounding import ROUND

__all__ = [
    "POINTS_EPSILON",
    "ROUND",
    "Assessed",
    "BlockSpec",
    "CalendarEntry",
    "GradeBand",
    "Graded",
    "IndicatorSpec",
    "LevelRule",
    "Scheme",
    "StandingCondition",
    "StandingRule",
    "TierBand",
    "TierRule",
    "indicator",
]

POINTS_EPSILON = 1e-6
_SAMPLE_PERIODS = [f"2000-{m:02d}" for m in range(1, 13)] + [f"2000-Q{q}" for q in range(1, 5)] + ["2000-H1", "2000-H2",
                                                                                                     "2000"]

Assessed = Literal["every", "quarter", "half", "year", "rated"] | list[int]
"""In which periods an indicator is assessed (考核周期):

- ``every``: every period — months, quarters, halves and the year;
- ``quarter`` / ``half``: periods of at least a quarter / a half-year, and the year;
- ``year``: the year only (年终考核);
- ``rated``: where it is rated — a period in which the tenant's branches were rated on it (ballots
  and levels are cast in some months only: 民主测评 in June and December, say);
- a list of months (e.g. ``[6, 12]``): the periods that contain one of them (June: 2026-06, Q2, H1
  and the year).

An indicator that does not say takes its rule type's default (``RuleType.assessed``): counts per
month every period, a target set for a quarter from the quarter up, ballots and levels where rated.
"""

Graded = Literal["every", "quarter", "half", "year"] | list[int]
"""In which periods a scheme gives grades (评定等次), in the words of :data:`Assessed`: ``every`` period,
periods of at least a ``quarter`` or a ``half``-year, the ``year`` only, or the periods containing one of
the months listed. Other periods are ranked and tiered by the same score and carry no grade."""


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
    assessed: Assessed | None = Field(
        default=None, description="In which periods the indicator is assessed (see Assessed); None: the rule "
        "type's default.",
    )
    levels: list[OrgLevel] = Field(
        default_factory=lambda: [OrgLevel.branch], min_length=1,
        description="The levels of organisation it assesses (党支部 by default; 党总支 … where the scheme assesses "
        "them by their own indicators, see Scheme.levels).",
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
        _check_months(self.assessed, "assessed", "考核月份")
        return self


def _check_months(value: Any, field: str, label: str) -> None:
    """A list of months (``Assessed``, ``Graded``) names months 1 to 12, at least one."""
    if isinstance(value, list) and (not value or any(not 1 <= m <= 12 for m in value)):
        raise ValueError(tr(f"{label}（{field}）须为 1 至 12 月，不能是 {value}",
                            f"{field} months must be 1 to 12, not {value}"))


def indicator(code: str, name: str, kind: str, points: float, rule: str, params: dict[str, Any] | None = None,
              targets: dict[str, float] | None = None, *, tolerance: float | None = None,
              assessed: str | list[int] | None = None, levels: list[str] | None = None,
              description: str = "") -> dict[str, Any]:
    """One indicator of a scheme document, as plain data: a shorthand for plugins writing their table."""
    spec = {"code": code, "name": name, "kind": kind, "points": points, "rule": rule, "params": params or {},
            "targets": targets or {}, "description": description}
    if tolerance is not None:
        spec["tolerance"] = tolerance
    if assessed is not None:
        spec["assessed"] = assessed
    if levels is not None:
        spec["levels"] = levels
    return spec


class BlockSpec(_Strict):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1)
    indicators: list[IndicatorSpec] = Field(min_length=1)

    @property
    def points(self) -> float:
        """The block's points for branches (党支部): its scored indicators that assess them."""
        return self.points_of(OrgLevel.branch)

    def points_of(self, level: OrgLevel | str) -> float:
        return sum(i.points for i in self.indicators
                   if i.kind not in (IndicatorKind.veto, IndicatorKind.bonus) and level in i.levels)


class GradeBand(_Strict):
    name: str
    min_score: float
    advanced: bool = Field(default=False, description="Branches in this band may be named advanced (先进).")


class TierBand(_Strict):
    name: str
    share: float | None = Field(default=None, gt=0, le=1, description="For method rank_share.")
    min_score: float | None = Field(default=None, description="For method score.")
    count: int | None = Field(default=None, ge=1, description="For method rank_count: how many ranks the band holds.")


class TierRule(_Strict):
    """How results fall into tiers (档次): by share of the ranking, by fixed rank counts or by score bands.

    ``rank_share``: bands in order from the first tier; a branch at rank r of n is in the first band
    whose cumulative share × n reaches r (rounded up), so the first tier is never empty.
    ``rank_count``: bands in order from the first tier, each holding ``count`` ranks (ranks 1–2, 3–6,
    7–8: counts 2, 4, 2); the last band also holds every rank after them, and may leave out its count.
    ``score``: bands in descending ``min_score`` order; a branch is in the first band it reaches.
    Either way a vetoed branch is always in the last tier.
    """

    method: Literal["rank_share", "rank_count", "score"]
    bands: list[TierBand] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> TierRule:
        if self.method == "rank_count":
            if any(b.count is None for b in self.bands[:-1]):
                raise ValueError(tr("按名次数（rank_count）划分档次时，除最后一档外每一档都须有名次数（count）",
                                    "tiers by rank_count need a count on every band but the last"))
        elif self.method == "rank_share":
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


class MeetingsReminder(_Strict):
    """三会一课提醒: from ``by_day`` of each month, a branch with none of a ``ledger_types`` entry recorded in the
    month is reminded (its secretary), once a month for all it lacks. The types are the ledger types' codes (台账类型,
    ``bastion ledger types``); the defaults are the monthly 支委会 and 主题党日. Only the types the tenant's plugins
    provide are asked for; types a scheme names that no enabled plugin provides are a fault of the scheme."""

    by_day: int = Field(default=25, ge=1, le=28, description="The day of the month the reminder goes out (1–28).")
    ledger_types: list[str] = Field(default_factory=lambda: ["committee_meeting", "theme_party_day"], min_length=1,
                                    description="The ledger types a branch records every month.")


class LevelRule(_Strict):
    """How the organisations of a level above the branch (党总支、直属党组织、党委) are assessed (一级考一级).

    ``by``: ``own`` — by the scheme's indicators that name the level (``IndicatorSpec.levels``), as a
    branch is; ``rollup`` — by the results of the branches directly under it, their mean rate
    (``rollup: mean``) or weighted by member count (``weighted``); ``both`` — ``rollup_share`` of the
    result from the roll-up, the rest from its own indicators. The result is out of 100 points: a
    roll-up's total is the branches' mean rate (its ``assessed_points`` 100), a combined one
    ``(1 − s) × own rate + s × roll-up rate``. The branches of an organisation are those below it in
    the tree (a 党委's through its 党总支 too). Party groups (党小组) have no branches: only ``own``.
    Results rank within each level.
    """

    level: Literal["general_branch", "committee", "group"]
    by: Literal["own", "rollup", "both"] = "rollup"
    rollup: Literal["mean", "weighted"] = "mean"
    rollup_share: float = Field(default=0.5, gt=0, lt=1, description="For by: both.")


class StandingCondition(_Strict):
    """What a period's result must show for a standing rule to apply: every condition given holds (and).

    ``grade``: the grade is one of these (the scheme's grades or its veto grade); ``tier``: the tier is one of these
    (the scheme's tier bands); ``vetoed``: vetoed (一票否决) or not; ``rate_below`` / ``rate_at_least``: the rate
    (得分率, %) below / at least this. A rule lists several: any of them (or)."""

    grade: list[str] | None = Field(default=None, min_length=1)
    tier: list[str] | None = Field(default=None, min_length=1)
    vetoed: bool | None = None
    rate_below: float | None = Field(default=None, ge=0)
    rate_at_least: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _something(self) -> StandingCondition:
        if all(value is None for value in (self.grade, self.tier, self.vetoed, self.rate_below, self.rate_at_least)):
            raise ValueError(tr("条件须至少写明 grade、tier、vetoed、rate_below、rate_at_least 之一",
                                "a condition names at least one of grade, tier, vetoed, rate_below, rate_at_least"))
        return self


class StandingRule(_Strict):
    """A standing (档次/星级, 分类定级、提档升级) each branch holds across cycles, and how results move it.

    ``ladder``: the standings, best first (五星 … 一星, or 先进/达标/后进); ``start``: the standing of a branch that
    has none at its first grading. At each grading period (``graded``; the scheme's own graded periods by default,
    e.g. the year) every branch moves one step up when its result meets one of ``up``, one step down when it meets
    one of ``down`` (down wins over up), and holds otherwise. Between gradings the ``watched`` periods (quarters by
    default; the grading periods themselves are not watched) are checked for a relapse (反弹): a result meeting one
    of ``relapse``, at most once per branch between two gradings; ``watch`` says whose — ``all`` branches holding a
    standing, or only those ``promoted``, whose last grading met ``up``; ``take_on_relapse``: ``drop_one`` step,
    down to the ``lowest``, or ``flag`` only (the standing kept). ``name``: what the scheme calls it (星级, 档次).
    ``core.standings`` is the one place these rules are applied."""

    name: str = Field(default="档次", min_length=1, max_length=16)
    ladder: list[str] = Field(min_length=2)
    start: str
    graded: Graded | None = None
    up: list[StandingCondition] = Field(default_factory=list)
    down: list[StandingCondition] = Field(default_factory=list)
    watched: Graded = "quarter"
    relapse: list[StandingCondition] = Field(default_factory=list)
    watch: Literal["all", "promoted"] = "all"
    take_on_relapse: Literal["drop_one", "lowest", "flag"] = "flag"

    @model_validator(mode="after")
    def _consistent(self) -> StandingRule:
        if len(set(self.ladder)) != len(self.ladder) or any(not s.strip() for s in self.ladder):
            raise ValueError(tr(f"档次序列（standings.ladder）须为互不相同的名称：{self.ladder}",
                                f"standings.ladder must name distinct standings: {self.ladder}"))
        if self.start not in self.ladder:
            raise ValueError(tr(f"起始档次（standings.start）{self.start!r} 不在档次序列（ladder）中：{'、'.join(self.ladder)}",
                                f"standings.start {self.start!r} is not in the ladder: {', '.join(self.ladder)}"))
        if not self.up and not self.down:
            raise ValueError(tr("提档升级规则（standings）须至少有一条提档（up）或降档（down）条件",
                                "standings need at least one up or down condition"))
        _check_months(self.graded, "standings.graded", "定级月份")
        _check_months(self.watched, "standings.watched", "观察月份")
        return self


class MemberReview(_Strict):
    """民主评议党员: the members of a branch rate each member, and grades follow from the ballots.

    A member's proposed grade is the best level that more than half of their ballots give (or better); a level
    with a quota (优秀 at most a third of the members graded) keeps it for the members with the most ballots at it
    (then at it or better; then by member number), the others taking the next level. 预备党员 are rated but, unless
    ``grade_probationary``, not graded."""

    levels: list[str] = Field(default_factory=lambda: ["优秀", "合格", "基本合格", "不合格"], min_length=2,
                              description="The levels, best first.")
    quotas: dict[str, float] = Field(default_factory=lambda: {"优秀": 1 / 3},
                                     description="At most this share of the branch's graded members hold the level.")
    grade_probationary: bool = Field(default=False, description="Whether 预备党员 are graded too.")

    @model_validator(mode="after")
    def _known_levels(self) -> MemberReview:
        if len(set(self.levels)) != len(self.levels):
            raise ValueError(tr(f"member_review.levels 有重复：{self.levels}", f"member_review.levels repeat: {self.levels}"))
        unknown = [k for k in self.quotas if k not in self.levels]
        if unknown:
            raise ValueError(tr(f"member_review.quotas 的等次 {'、'.join(unknown)} 不在 levels 中",
                                f"member_review.quotas names levels not in levels: {', '.join(unknown)}"))
        bad = [k for k, v in self.quotas.items() if not 0 < v <= 1]
        if bad:
            raise ValueError(tr(f"member_review.quotas 的比例须在 0 与 1 之间：{'、'.join(bad)}",
                                f"member_review.quotas must be shares between 0 and 1: {', '.join(bad)}"))
        if self.quotas and self.levels[-1] in self.quotas:
            raise ValueError(tr("member_review：最低等次不能设名额（超出名额者降入下一等次）",
                                "member_review: the lowest level takes no quota (those over a quota go one level down)"))
        return self


class Scheme(_Strict):
    id: str = Field(min_length=1, max_length=128, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    version: str = Field(min_length=1, max_length=64)
    name: str
    description: str = ""
    total_points: float = 100
    bonus_cap: float = Field(default=0, ge=0)
    max_total: float | None = Field(
        default=None, gt=0,
        description="A cap on the total after bonus (总分封顶), e.g. 100: total = min(max_total, base + bonus); "
        "stated in the explanation of a capped result.",
    )
    rank_by: Literal["rate", "total"] | None = Field(
        default=None,
        description="What grades, tiers, ranks and policies go by: the rate (得分率, total ÷ the points assessed "
        "in the period × 100, rescaled to the whole table: × total_points / 100) or the total. None: the rate "
        "for periods shorter than the year, the total for the year — a month's or a quarter's grades then mean "
        "what the year's do. Levels above the branch always go by the rate.",
    )
    graded: Graded = Field(
        default="every",
        description="In which periods grades (等次) are given (see Graded): a scheme that grades on a fixed "
        "cycle (分类定级…按一定的时间周期进行评定; 在半年检查和年终考核的基础上评先定等) says \"half\" or \"year\"; its "
        "other periods are ranked and tiered and carry no grade (nor advanced eligibility).",
    )
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
    levels: list[LevelRule] = Field(
        default_factory=list,
        description="The levels above the branch the scheme assesses, and how (一级抓一级、一级考一级); branches "
        "are always assessed.",
    )
    standings: StandingRule | None = Field(
        default=None,
        description="The standing each branch holds across cycles (分类定级、提档升级) and the rules that move it "
        "(see StandingRule); None: the scheme grades no standing.",
    )
    appeal_days: int = Field(
        default=7, ge=0, le=90,
        description="How many days after a period's results are published a branch may appeal (申诉) a line of "
        "them: until the end of that day (the tenant's time). 0: no appeals.",
    )
    meetings_reminder: MeetingsReminder | None = Field(
        default_factory=MeetingsReminder,
        description="When and for what a branch is reminded of the month's meetings (三会一课提醒, see "
        "MeetingsReminder); None: no such reminder.",
    )
    member_review: MemberReview | None = Field(
        default=None,
        description="How the members' review of each member (民主评议党员) grades them (see MemberReview); None: the "
        "usual rules — 优秀/合格/基本合格/不合格, 优秀 at most a third, 预备党员 not graded.",
    )

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
        self._levels_consistent()
        self._standings_consistent()
        _check_months(self.graded, "graded", "评定等次的月份")
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

    def _levels_consistent(self) -> None:
        named = [rule.level for rule in self.levels]
        if len(set(named)) != len(named):
            raise ValueError(tr("考核层级（levels）重复", "a level is listed twice in levels"))
        for rule in self.levels:
            own = [i.code for i in self.indicators() if rule.level in i.levels]
            if rule.by in ("own", "both") and not own:
                raise ValueError(tr(f"层级 {rule.level} 按自身指标考核，但没有指标的 levels 含 {rule.level}",
                                    f"level {rule.level} is assessed by its own indicators, but no indicator "
                                    f"lists {rule.level} in its levels"))
            if rule.level == OrgLevel.group and rule.by != "own":
                raise ValueError(tr("党小组下没有党支部，只能按自身指标（own）考核",
                                    "a party group has no branches under it: it is assessed by its own indicators only"))
        assessed = {OrgLevel.branch.value} | {r.level for r in self.levels if r.by in ("own", "both")}
        for spec in self.indicators():
            stray = [str(level) for level in spec.levels if level not in assessed]
            if stray:
                raise ValueError(tr(f"指标 {spec.code} 考核层级 {'、'.join(stray)}，但方案的 levels 未规定按自身指标考核该层级",
                                    f"indicator {spec.code} assesses {', '.join(stray)}, which the scheme's levels "
                                    f"do not assess by their own indicators"))

    def _standings_consistent(self) -> None:
        """The grades and tiers a standing rule names are the scheme's; a relapse is not judged by a grade in
        periods the scheme does not grade."""
        rule = self.standings
        if rule is None:
            return
        grades = [g.name for g in self.grades] + [self.veto_grade]
        tiers = [b.name for b in self.tiers.bands]
        for field in ("up", "down", "relapse"):
            for n, condition in enumerate(getattr(rule, field)):
                where = f"standings.{field}[{n}]"
                for name in condition.grade or ():
                    if name not in grades:
                        raise ValueError(tr(f"{where}.grade：等次 {name!r} 不是方案的等次（可用：{'、'.join(dict.fromkeys(grades))}）",
                                            f"{where}.grade: {name!r} is not one of the scheme's grades "
                                            f"({', '.join(dict.fromkeys(grades))})"))
                for name in condition.tier or ():
                    if name not in tiers:
                        raise ValueError(tr(f"{where}.tier：档次 {name!r} 不是方案的档次（可用：{'、'.join(tiers)}）",
                                            f"{where}.tier: {name!r} is not one of the scheme's tiers ({', '.join(tiers)})"))
                if field == "relapse" and condition.grade and not self.grades_watched_periods():
                    raise ValueError(tr(f"{where}.grade：观察期（standings.watched）不评定等次（graded），不能按等次认定反弹",
                                        f"{where}.grade: the watched periods (standings.watched) carry no grade "
                                        f"(graded): a relapse cannot be judged by one"))

    def grades_watched_periods(self) -> bool:
        """Whether every period of the standings' watch gives grades (``graded``)."""
        # the one rule of which periods an Assessed or Graded names (engine imports this module: imported here)
        from .engine import assessed_in
        from .periods import Period

        rule = self.standings
        watched = [p for p in (Period.parse(k) for k in _SAMPLE_PERIODS)
                   if rule is not None and assessed_in(rule.watched, p) and not assessed_in(self.standing_graded, p)]
        return all(assessed_in(self.graded, p) for p in watched)

    @property
    def standing_graded(self) -> Graded:
        """The periods a standing is graded in: the standings' own ``graded``, else the scheme's."""
        return self.graded if self.standings is None or self.standings.graded is None else self.standings.graded

    def indicators(self) -> Iterator[IndicatorSpec]:
        for block in self.blocks:
            yield from block.indicators

    def block_of(self) -> dict[str, BlockSpec]:
        return {i.code: b for b in self.blocks for i in b.indicators}

    def ranks_by_rate(self, months: int) -> bool:
        """Whether a period of ``months`` months grades, tiers and ranks by the rate (see ``rank_by``)."""
        return self.rank_by == "rate" if self.rank_by is not None else months < 12

    def assesses(self, level: OrgLevel | str) -> LevelRule | None:
        """How the scheme assesses ``level`` (None for a level it does not assess above the branch)."""
        return next((rule for rule in self.levels if rule.level == level), None)
