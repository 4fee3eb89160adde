"""Built-in plugin ``standard-rules``: the measures most schemes are made of (通用计分规则).

- ``ledger_target``   ledger entries of a type (count, or sum of quantity) against the target,
                      optionally per month/quarter/half-year unit (三会一课 每季度一次 …) and per member
                      (人均志愿服务 8 小时); assessed from its unit up, or every period pro rata
- ``ledger_per_item`` points per ledger entry up to the indicator's points (bonus items)
- ``finding_deduction`` full points less the deductions of the findings against the indicator
- ``veto_on_finding`` a veto indicator: any finding against it vetoes the branch (一票否决)
- ``veto_on_ledger``  a veto indicator: any ledger entry of the given types (a discipline case, 违纪案件)
                      recorded for the branch in the period vetoes it
- ``veto_on_rating``  a veto indicator: a rating on it of a given level (较差, D) or below a score vetoes
- ``ballot_score``    ballot scores of several rater sources, weighted and scaled to points
- ``level_score``     qualitative levels (优秀/良好/一般/较差, A–D) mapped to shares of the points
- ``secretary_term``  the secretary's term has not expired unrenewed (届任制, 按期换届)
- ``ledger_coverage`` the share of members (or staff) a ledger type covers, e.g. members whose post
                      duties are set (以岗定责、设岗定责、认岗定责), against a target share
- ``staff_ratio``     a structural check: party-affairs staff within a band of all staff (党务干部 1%–2%)
- ``duty_coverage``   the share of members with a duty fulfilled in the period (以岗/设岗/认岗定责) against a target
- ``responsibility_list`` the share of the unit's responsibility list (责任清单) done in the period against a target

Every rule is vectorised over branches: it loops over the indicators that use it, never over rows.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bastion import hookimpl
from bastion.core.engine import (
    SOURCE_LABELS,
    UNIT_MONTHS,
    RuleBatch,
    RuleType,
    achievement,
    choose,
    combine_sources,
    concat,
    evidence_ids,
    fmt,
    formatted,
    join_text,
    per_row,
    points_text,
)
from bastion.core.ballots.secrecy import SECRET_SOURCES, shown_each
from bastion.core.i18n import tr

UNIT_LABELS = {"month": "月", "quarter": "季度", "half": "半年", "year": "年"}


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _result(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(index=rows.index, columns=["points", "value", "reason", "evidence"]).astype(
        {"points": float, "value": float, "reason": object, "evidence": object}
    )


def _part(sub: pd.DataFrame, *, points: pd.Series, value: pd.Series, reason: pd.Series,
          evidence: pd.Series, target: pd.Series | None = None) -> pd.DataFrame:
    """One indicator's rows of a rule's result: points, value, reason (with the points) and evidence;
    ``target``: the period's target, when it is not the row's own."""
    part = pd.DataFrame({
        "points": points,
        "value": value,
        "reason": concat(reason, points_text(points, sub["max_points"])),
        "evidence": per_row(evidence, sub["org_id"], ""),
    }, index=sub.index)
    if target is not None:
        part["target"] = target.astype(float)
    return part


def _combined(parts: list[pd.DataFrame], rows: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(parts) if parts else _result(rows)


class LedgerTarget(RuleType):
    name = "ledger_target"
    description = "台账完成量对照目标：按类型计次数（或累计数量），可按月/季/半年分段考核，弹性指标适用容差"
    inputs = ("ledger",)

    class Params(_Params):
        ledger_type: str
        aggregate: Literal["count", "sum"] = "count"
        per: Literal["month", "quarter", "half", "year"] = Field(
            default="year",
            description="The unit the target is set for. Periods longer than the unit are scored "
            "unit by unit (each unit's share of its target, averaged). By default the indicator is "
            "assessed in periods at least as long as its unit (a yearly target at year end only).",
        )
        prorate: bool = Field(
            default=False,
            description="Assess the indicator in every period, shorter ones against the target pro rata "
            "(a yearly 12 is 1 in a month).",
        )
        per_member: bool = Field(
            default=False,
            description="The target is per member (人均): × the branch's member count (党员人数).",
        )

    def default_assessed(self, params: Params) -> str:
        if params.prorate:
            return "every"
        return {"month": "every", "quarter": "quarter", "half": "half", "year": "year"}[params.per]

    def evaluate(self, batch: RuleBatch) -> pd.DataFrame:
        parts = []
        facts = batch.facts
        period = batch.period
        sums: dict[tuple, pd.Series | pd.DataFrame] = {}  # indicators counting the same ledger type share its sums

        def summed(ledger_type: str, aggregate: str, unit: int | None) -> pd.Series | pd.DataFrame:
            key = (ledger_type, aggregate, unit)
            if key not in sums:
                entries = facts.ledger_of_type(ledger_type)
                amount = (entries["quantity"].fillna(0.0).astype(float) if aggregate == "sum"
                          else pd.Series(1.0, index=entries.index))
                if unit is None:
                    sums[key] = amount.groupby(entries["org_id"]).sum()
                else:
                    slot = (entries["date"].dt.month - period.first_month) // unit
                    sums[key] = amount.groupby([entries["org_id"], slot]).sum().unstack(fill_value=0.0)
            return sums[key]

        for _code, params, sub in batch.by_indicator():
            unit = UNIT_MONTHS[params.per]
            target = sub["target"].astype(float)
            per_member = ""
            if params.per_member:
                members = _org_column(batch, "member_count", sub)
                per_member = concat("（每名党员 ", fmt(target), "，党员 ", fmt(members), " 人）")
                target = target * members
            total = per_row(summed(params.ledger_type, params.aggregate, None), sub["org_id"], 0.0).astype(float)
            if unit >= period.months:
                share = period.months / unit
                period_target = target * share
                ach = achievement(total, period_target, sub["tolerance"])
                detail = ""
            else:
                units = period.months // unit
                per_unit = summed(params.ledger_type, params.aggregate, unit)
                matrix = per_unit.reindex(index=sub["org_id"].to_numpy(), columns=range(units), fill_value=0.0).to_numpy()
                t = target.to_numpy()[:, None]
                tol = sub["tolerance"].astype(float).fillna(0.0).to_numpy()[:, None]
                with np.errstate(divide="ignore", invalid="ignore"):
                    shares = np.where(t > 0, np.clip(matrix / t, 0.0, 1.0), 1.0)
                met = (matrix >= t * (1 - tol) - 1e-9) | ~(t > 0)
                shares = np.where(met, 1.0, shares)
                ach = pd.Series(shares.mean(axis=1), index=sub.index)
                period_target = target * units
                label = UNIT_LABELS[params.per]
                detail = concat("，按", label, "考核 ", fmt(pd.Series(met.sum(axis=1), index=sub.index)),
                                f"/{units} 个{label}达标")
            points = sub["max_points"] * ach
            has_target = target.notna() & (target > 0)
            done = fmt(total)
            tol_note = choose(sub["tolerance"].notna() & has_target,
                              concat("（容差 ", fmt((sub["tolerance"].astype(float) * 100).round(0)), "%）"), "")
            reason = choose(
                has_target,
                concat("完成 ", done, "，目标 ", fmt(period_target), per_member, tol_note, detail, "，完成率 ",
                       fmt((ach * 100).round(0)), "%"),
                concat("完成 ", done, "，未设目标"),
            )
            parts.append(_part(sub, points=points, value=total, reason=reason, target=period_target,
                               evidence=facts.ledger_evidence(params.ledger_type)))
        return _combined(parts, batch.rows)


class LedgerPerItem(RuleType):
    name = "ledger_per_item"
    description = "按台账条目计分：每条得固定分值，不超过指标分值（常用于加分项）"
    inputs = ("ledger",)

    class Params(_Params):
        ledger_type: str
        per_item: float = Field(gt=0)

    def evaluate(self, batch: RuleBatch) -> pd.DataFrame:
        parts = []
        facts = batch.facts
        for _code, params, sub in batch.by_indicator():
            entries = facts.ledger_of_type(params.ledger_type)
            count = per_row(entries.groupby("org_id").size(), sub["org_id"], 0).astype(float)
            points = np.minimum(count * params.per_item, sub["max_points"])
            reason = concat(fmt(count), f" 项 × {params.per_item:g} 分，上限 ", fmt(sub["max_points"]), " 分")
            parts.append(_part(sub, points=points, value=count, reason=reason,
                               evidence=facts.ledger_evidence(params.ledger_type)))
        return _combined(parts, batch.rows)


class FindingDeduction(RuleType):
    name = "finding_deduction"
    description = "检查扣分：指标满分减去针对该指标的检查发现扣分，扣完为止"
    inputs = ("findings",)

    class Params(_Params):
        per_finding: float | None = Field(
            default=None, gt=0,
            description="Points deducted per finding; when omitted, each finding's own deduction.",
        )

    def evaluate(self, batch: RuleBatch) -> pd.DataFrame:
        parts = []
        findings = batch.facts.findings
        for code, params, sub in batch.by_indicator():
            mine = findings[findings["indicator_code"] == code]
            each = (pd.Series(params.per_finding, index=mine.index) if params.per_finding is not None
                    else mine["deduction"].astype(float).fillna(0.0))
            count = per_row(mine.groupby("org_id").size(), sub["org_id"], 0).astype(float)
            deducted = per_row(each.groupby(mine["org_id"]).sum(), sub["org_id"], 0.0).astype(float)
            points = (sub["max_points"] - deducted).clip(lower=0.0)
            reason = choose(count > 0, concat("检查发现问题 ", fmt(count), " 项，扣 ", fmt(deducted), " 分"), "检查未发现问题")
            parts.append(_part(sub, points=points, value=count, reason=reason,
                               evidence=evidence_ids(mine, ["org_id"], "finding")))
        return _combined(parts, batch.rows)


class VetoOnFinding(RuleType):
    name = "veto_on_finding"
    description = "一票否决：有针对该否定指标的检查发现即否决"
    inputs = ("findings",)

    def evaluate(self, batch: RuleBatch) -> pd.DataFrame:
        parts = []
        findings = batch.facts.findings
        for code, _, sub in batch.by_indicator():
            mine = findings[findings["indicator_code"] == code].sort_values("id")
            count = per_row(mine.groupby("org_id").size(), sub["org_id"], 0).astype(float)
            what = per_row(join_text(mine, ["org_id"], mine["description"], "；", order=["id"]), sub["org_id"], "")
            name = batch.indicators[code].name
            vetoed = count > 0
            parts.append(pd.DataFrame({
                "points": 0.0,
                "value": count,
                "veto": vetoed,
                "veto_reason": choose(vetoed, concat(name, "：", what), None),
                "reason": choose(vetoed, concat("一票否决（", what, "）"), "未触及否决事项"),
                "evidence": per_row(evidence_ids(mine, ["org_id"], "finding"), sub["org_id"], ""),
            }, index=sub.index))
        return _combined(parts, batch.rows)


class BallotScore(RuleType):
    name = "ballot_score"
    description = "民主测评：各评价主体票均分（百分制）按方案权重加权，折算为指标分值"
    inputs = ("ratings",)
    at_period_end = True  # ballots are cast at the period's end
    assessed = "rated"  # in the periods a ballot was held (民主测评 in June and December, say)

    class Params(_Params):
        sources: list[str] | None = Field(
            default=None,
            description="Rating sources counted (self, members, peers, superior, work_report); "
            "default every source the scheme weights. Weights come from the scheme's "
            "source_weights, or are equal when the scheme weights none of these sources.",
        )
        per_indicator: bool = Field(
            default=False, description="Count only ballots on this indicator; otherwise overall ballots."
        )
        quorum: int = Field(default=1, ge=1, description="Ballots a source needs to count.")
        quorum_share: float | None = Field(
            default=None, gt=0, lt=1,
            description="Where the number entitled to vote is known (members: the branch's members, from the "
            "register), more than this share of them must have voted for the source to count (法定人数: 0.5 is "
            "more than half); a source below it is named 未达法定人数 on the line.")
        below_quorum: Literal["reweight", "zero"] = Field(
            default="reweight",
            description="A source below its quorum: reweight (it does not count; the others share its weight) or "
            "zero (it counts as 0 with its weight).")

    def rated(self, code: str, params: Params, ratings: pd.DataFrame) -> bool:
        """Ballots on this indicator (``per_indicator``) or overall ballots, of a source it counts."""
        on = (ratings["indicator_code"] == code) if params.per_indicator else ratings["indicator_code"].isna()
        return bool((on & ratings["score"].notna()).any())

    def evaluate(self, batch: RuleBatch) -> pd.DataFrame:
        parts = []
        ratings = batch.facts.ratings
        combined_by: dict[tuple, tuple[pd.DataFrame, pd.Series]] = {}  # indicators counting the same ballots share them
        for code, params, sub in batch.by_indicator():
            sources = params.sources or list(batch.source_weights)
            weights = {s: batch.source_weights.get(s, 0.0) for s in sources}
            if not any(weights.values()):
                weights = {s: 1.0 for s in sources}
            key = (code if params.per_indicator else None, tuple(sorted(weights.items())), params.quorum,
                   params.quorum_share, params.below_quorum)
            if key not in combined_by:
                mine = ratings[(ratings["indicator_code"] == code) if params.per_indicator
                               else ratings["indicator_code"].isna()]
                mine = mine[mine["source"].isin([s for s, w in weights.items() if w > 0]) & mine["score"].notna()]
                combined = combine_sources(mine, weights, quorum=params.quorum, entitled=_entitled(batch),
                                           quorum_share=params.quorum_share, below_quorum=params.below_quorum)
                counted = mine[mine["org_id"].isin(combined.index[combined["combined"].notna()])]
                combined_by[key] = combined, evidence_ids(counted, ["org_id"], "rating")
            combined, evidence = combined_by[key]
            value = per_row(combined["combined"], sub["org_id"], None).astype(float)
            points = (sub["max_points"] * value / 100.0).fillna(0.0)
            detail = per_row(combined["detail"], sub["org_id"], "")
            # no source counting is still told why (each below its quorum is named), never a bare "no ballots"
            reason = choose(value.notna(), concat("测评：", detail, " → 综合 ", fmt(value.fillna(0))),
                            choose(detail.astype(str) != "", concat("测评：", detail, " → 无有效测评票"), "无有效测评票"))
            parts.append(_part(sub, points=points, value=value, reason=reason, evidence=evidence))
        return _combined(parts, batch.rows)


DEFAULT_LEVELS = {"优秀": 1.0, "良好": 0.85, "一般": 0.7, "较差": 0.5, "A": 1.0, "B": 0.85, "C": 0.7, "D": 0.5}


def scale(levels: dict[str, float]) -> tuple[str, ...]:
    """A level scale's names up to the first that repeats an earlier one's share: its aliases left out."""
    seen: set[float] = set()
    names = []
    for name, share in levels.items():
        if share in seen:
            break
        seen.add(share)
        names.append(name)
    return tuple(names)


class LevelScore(RuleType):
    name = "level_score"
    description = "定性评定：优秀/良好/一般/较差（或 A–D）折算为指标分值的比例，多份评定取平均"
    inputs = ("ratings",)
    at_period_end = True
    assessed = "rated"  # in the periods the superiors rated it

    class Params(_Params):
        levels: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_LEVELS))
        sources: list[str] = Field(default_factory=lambda: ["superior"])

        @property
        def offered_levels(self) -> tuple[str, ...]:
            """What a ballot offers (``core.ballots``): the scale's first names — A–D beside 优秀–较差 are aliases
            an import may still use, not more levels to choose from."""
            return scale(self.levels)

    def evaluate(self, batch: RuleBatch) -> pd.DataFrame:
        parts = []
        ratings = batch.facts.ratings
        for code, params, sub in batch.by_indicator():
            mine = ratings[(ratings["indicator_code"] == code) & ratings["source"].isin(params.sources)]
            mine = mine.assign(share=mine["level"].map(params.levels).astype(float)).dropna(subset=["share"])
            share = per_row(mine.groupby("org_id")["share"].mean(), sub["org_id"], None).astype(float)
            levels = per_row(_level_tally(mine, list(params.levels)), sub["org_id"], "")
            points = (sub["max_points"] * share).fillna(0.0)
            reason = choose(share.notna(), concat("评定为 ", levels, "，折合 ", fmt((share.fillna(0) * 100).round(0)), "%"),
                            "未评定")
            parts.append(_part(sub, points=points, value=share * 100, reason=reason,
                               evidence=evidence_ids(mine, ["org_id"], "rating")))
        return _combined(parts, batch.rows)


def _level_tally(ratings: pd.DataFrame, order: list[str]) -> pd.Series:
    """Per organisation, how many gave each level (``优秀 3、良好 1``; one level alone by itself), in the scale's
    order — never one rating after another; a secret source's levels told only from enough ratings
    (``secrecy.shown_each``: ``3 份评定``)."""
    if ratings.empty:
        return pd.Series(dtype=object)
    tally = ratings.groupby(["org_id", "level"], sort=False).size().rename("n").reset_index()
    tally["rank"] = tally["level"].map({level: k for k, level in enumerate(order)})
    text = tally["level"].astype(str).where(tally.groupby("org_id")["n"].transform("size").eq(1) & tally["n"].eq(1),
                                            tally["level"].astype(str) + " " + tally["n"].astype(str))
    told = join_text(tally, ["org_id"], text, "、", order=["rank"])
    count = ratings.groupby("org_id").size().reindex(told.index)
    secret = ratings["source"].isin(SECRET_SOURCES).groupby(ratings["org_id"]).any().reindex(told.index)
    return told.where(shown_each(secret, count), count.astype(str) + " 份评定")


class SecretaryTerm(RuleType):
    name = "secretary_term"
    description = "届任制：支部书记任期在考核期末未届满（或已按期换届）得满分，届满未换届或未登记任期不得分"
    inputs = ("orgs",)
    at_period_end = True  # the term is measured on the period's last day

    def evaluate(self, batch: RuleBatch) -> pd.DataFrame:
        rows, out = batch.rows, _result(batch.rows)
        if "secretary_term_end" in batch.orgs:
            ends = pd.to_datetime(batch.orgs.set_index("org_id")["secretary_term_end"])
        else:
            ends = pd.Series(pd.NaT, index=batch.orgs["org_id"], dtype="datetime64[ns]")
        last_day = pd.Timestamp(batch.period.end) - pd.Timedelta(days=1)
        end = rows["org_id"].map(ends)
        ok = end.notna() & (end >= last_day)
        out["points"] = np.where(ok, rows["max_points"], 0.0)
        out["value"] = ok.astype(float)
        text = end.dt.strftime("%Y-%m-%d").fillna("")
        reason = choose(end.isna(), "未登记支部书记任期",
                        choose(ok, concat("书记任期至 ", text, "，在任期内"), concat("书记任期已于 ", text, " 届满，未按期换届")))
        out["reason"] = concat(reason, points_text(out["points"], rows["max_points"]))
        out["evidence"] = ""
        return out


def _entitled(batch: RuleBatch) -> dict[str, pd.Series]:
    """How many may vote in each source whose voters are known, by organisation: those the period's ballot round
    drew (``entitled_<source>``, ``core.ballots``); else, for the members, the branch's members (``member_count``,
    the register's where it keeps one)."""
    orgs = batch.orgs.set_index("org_id")
    found = {s: orgs[f"entitled_{s}"] for s in SECRET_SOURCES if f"entitled_{s}" in orgs}
    if "member_count" in orgs:
        found["members"] = found["members"].fillna(orgs["member_count"]) if "members" in found else orgs["member_count"]
    return found


def _org_column(batch: RuleBatch, column: str, rows: pd.DataFrame) -> pd.Series:
    """An organisation head count (member_count, staff_count …) on ``rows``; 0 where unknown."""
    if column not in batch.orgs:
        return pd.Series(0.0, index=rows.index)
    return per_row(batch.orgs.set_index("org_id")[column], rows["org_id"], 0.0).astype(float)


def _share_points(sub: pd.DataFrame, got: pd.Series, whole: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """A share of a whole against the row's target share (1 where none is set), within its tolerance: the share
    (NaN where there is no whole), the target, and the points (none where there is no whole)."""
    share = (got / whole.where(whole > 0)).clip(upper=1.0)
    target = sub["target"].astype(float).fillna(1.0)
    ach = achievement(share.fillna(0.0), target, sub["tolerance"]).where(whole > 0, 0.0)
    return share, target, sub["max_points"] * ach


COUNT_LABELS = {"member_count": "党员", "staff_count": "职工"}


class LedgerCoverage(RuleType):
    name = "ledger_coverage"
    description = "覆盖率：台账累计人数占党员（或职工）总数的比例对照目标比例，如党员岗位职责覆盖（以岗定责、设岗定责、认岗定责）"
    inputs = ("ledger", "orgs")
    assessed = "year"  # a coverage accumulates over the year: a month's entries cover a month's share of the members

    class Params(_Params):
        ledger_type: str
        of: Literal["member_count", "staff_count"] = Field(
            default="member_count", description="Whom the share is of: the branch's members or its staff."
        )

    def evaluate(self, batch: RuleBatch) -> pd.DataFrame:
        parts = []
        facts = batch.facts
        for _code, params, sub in batch.by_indicator():
            entries = facts.ledger_of_type(params.ledger_type)
            covered = per_row(entries["quantity"].fillna(0.0).astype(float).groupby(entries["org_id"]).sum(),
                              sub["org_id"], 0.0).astype(float)
            whole = _org_column(batch, params.of, sub)
            share, target, points = _share_points(sub, covered, whole)
            label = COUNT_LABELS[params.of]
            reason = choose(
                whole > 0,
                concat(label, " ", fmt(whole), " 人，已覆盖 ", fmt(covered), " 人（", fmt((share.fillna(0) * 100).round(0)),
                       "%），目标 ", fmt((target * 100).round(0)), "%"),
                f"未登记{label}人数",
            )
            parts.append(_part(sub, points=points, value=share * 100, reason=reason,
                               evidence=facts.ledger_evidence(params.ledger_type)))
        return _combined(parts, batch.rows)


class DutyCoverage(RuleType):
    name = "duty_coverage"
    description = "党员履职覆盖率：期内有履职记录的党员（以岗定责、设岗定责、认岗定责）占党员总数的比例对照目标比例"
    inputs = ("duties", "orgs")
    assessed = "year"  # members fulfil their duties through the year: a month's records cover a month's share

    def evaluate(self, batch: RuleBatch) -> pd.DataFrame:
        parts = []
        duties = batch.facts.duties
        covered_by_org = duties.groupby("org_id")["member_id"].nunique()
        for _code, _params, sub in batch.by_indicator():
            covered = per_row(covered_by_org, sub["org_id"], 0).astype(float)
            whole = _org_column(batch, "member_count", sub)
            share, target, points = _share_points(sub, covered, whole)
            reason = choose(whole > 0,
                            concat("党员 ", fmt(whole), " 名，期内履职 ", fmt(covered), " 名（",
                                   fmt((share.fillna(0) * 100).round(0)), "%），目标 ", fmt((target * 100).round(0)),
                                   "%"),
                            "未登记党员人数")
            parts.append(_part(sub, points=points, value=share * 100, reason=reason,
                               evidence=evidence_ids(duties, ["org_id"], "duty")))
        return _combined(parts, batch.rows)


class ResponsibilityList(RuleType):
    name = "responsibility_list"
    description = "书记责任清单落实：期内已落实（有佐证）的清单事项占本单位清单事项的比例对照目标比例"
    inputs = ("ticks", "orgs")
    assessed = "year"

    def evaluate(self, batch: RuleBatch) -> pd.DataFrame:
        parts = []
        ticks = batch.facts.ticks
        done_by_org = ticks.groupby("org_id")["item_id"].nunique()
        for _code, _params, sub in batch.by_indicator():
            done = per_row(done_by_org, sub["org_id"], 0).astype(float)
            items = _org_column(batch, "list_items", sub)
            share, target, points = _share_points(sub, done, items)
            reason = choose(items > 0,
                            concat("责任清单 ", fmt(items), " 项，期内落实 ", fmt(done), " 项（",
                                   fmt((share.fillna(0) * 100).round(0)), "%），目标 ", fmt((target * 100).round(0)),
                                   "%"),
                            "本年度未建立责任清单")
            parts.append(_part(sub, points=points, value=share * 100, reason=reason,
                               evidence=evidence_ids(ticks, ["org_id"], "tick")))
        return _combined(parts, batch.rows)


class StaffRatio(RuleType):
    name = "staff_ratio"
    description = "结构性指标：党务工作人员占职工总数的比例在规定区间内（如 1%–2%）得满分，否则不得分"
    inputs = ("orgs",)

    class Params(_Params):
        low: float = Field(default=0.01, ge=0, le=1)
        high: float = Field(default=0.02, ge=0, le=1)

    def evaluate(self, batch: RuleBatch) -> pd.DataFrame:
        parts = []
        for _code, params, sub in batch.by_indicator():
            staff = _org_column(batch, "staff_count", sub)
            party = _org_column(batch, "party_staff_count", sub)
            ratio = party / staff.where(staff > 0)
            ok = (ratio >= params.low - 1e-9) & (ratio <= params.high + 1e-9)
            points = sub["max_points"].where(ok, 0.0)
            band = f"（要求 {params.low * 100:g}%–{params.high * 100:g}%）"
            reason = choose(
                staff > 0,
                concat("党务工作人员 ", fmt(party), " 人，占职工 ", fmt(staff), " 人的 ", fmt((ratio.fillna(0) * 100).round(2)),
                       "%", band, choose(ok, "，符合", "，不符合")),
                "未登记职工人数" + band,
            )
            parts.append(_part(sub, points=points, value=ratio * 100, reason=reason, evidence=pd.Series(dtype=object)))
        return _combined(parts, batch.rows)


def _veto(sub: pd.DataFrame, *, name: str, count: pd.Series, what: pd.Series, evidence: pd.Series,
          clear: str) -> pd.DataFrame:
    """One veto indicator's rows: vetoed where ``count`` > 0, ``what`` in the reason and veto reason, 0 points."""
    vetoed = count > 0
    return pd.DataFrame({
        "points": 0.0,
        "value": count,
        "veto": vetoed,
        "veto_reason": choose(vetoed, concat(name, "：", what), None),
        "reason": choose(vetoed, concat("一票否决（", what, "）"), clear),
        "evidence": per_row(evidence, sub["org_id"], ""),
    }, index=sub.index)


class VetoOnLedger(RuleType):
    name = "veto_on_ledger"
    description = "一票否决：考核期内登记了指定类型的台账（如违纪案件）即否决"
    inputs = ("ledger",)

    class Params(_Params):
        ledger_types: list[str] = Field(
            min_length=1, description="The ledger types whose entries veto (a discipline case, 违纪案件 …).")

    def evaluate(self, batch: RuleBatch) -> pd.DataFrame:
        parts = []
        facts = batch.facts
        for code, params, sub in batch.by_indicator():
            types = list(dict.fromkeys(params.ledger_types))
            entries = pd.concat([facts.ledger_of_type(t).assign(order=n) for n, t in enumerate(types)])
            count = per_row(entries.groupby("org_id").size(), sub["org_id"], 0).astype(float)
            what = pd.Series(dtype=object)
            if len(entries):
                # Per branch and type: "违纪案件 2 条（2026-03-05、2026-07-12）" (the type's code where no enabled
                # plugin names it), the types in the order the indicator lists them, joined by "；".
                days = join_text(entries, ["org_id", "order"], formatted(entries["date"], _day), "、",
                                 order=["date", "id"])
                kinds = entries.groupby(["org_id", "order"]).agg(type=("type", "first"), n=("id", "size"))
                kinds = kinds.reindex(days.index)
                names = kinds["type"].astype(str).map(lambda t: batch.ledger_names.get(t, t))
                kinds = kinds.assign(text=concat(names, " ", fmt(kinds["n"].astype(float)),
                                                 " 条（", days, "）")).reset_index()
                what = join_text(kinds, ["org_id"], kinds["text"], "；", order=["order"])
            what = per_row(what, sub["org_id"], "")
            parts.append(_veto(sub, name=batch.indicators[code].name, count=count, what=concat("登记 ", what),
                               evidence=evidence_ids(entries, ["org_id"], "ledger"),
                               clear=f"未登记 {'、'.join(batch.ledger_names.get(t, t) for t in types)}，未触及否决事项"))
        return _combined(parts, batch.rows)


def _day(value: pd.Timestamp) -> str:
    return value.strftime("%Y-%m-%d")


class VetoOnRating(RuleType):
    name = "veto_on_rating"
    description = "一票否决：该否定指标被评定为指定等次（如较差、D）或评分低于规定分数即否决"
    inputs = ("ratings",)
    at_period_end = True  # ratings are given at the period's end
    assessed = "rated"  # in the periods it was rated

    class Params(_Params):
        sources: list[str] = Field(default_factory=lambda: ["superior"], min_length=1,
                                   description="The rating sources whose ratings on the indicator count.")
        levels: list[str] | None = Field(
            default=None, min_length=1, description="A rating of one of these levels vetoes (较差, D …).")
        below: float | None = Field(default=None, gt=0, le=100, description="A rating scored below this vetoes.")

        @model_validator(mode="after")
        def _something_vetoes(self) -> VetoOnRating.Params:
            if self.levels is None and self.below is None:
                raise ValueError(tr("请给出 levels 或 below（或两者）：何种评定否决",
                                    "give levels, below or both: which ratings veto"))
            unknown = [level for level in self.levels or () if level not in DEFAULT_LEVELS]
            if unknown:
                raise ValueError(tr(f"未知的等次 {'、'.join(unknown)}（可用：{'、'.join(DEFAULT_LEVELS)}）",
                                    f"unknown level(s) {', '.join(unknown)} (known: {', '.join(DEFAULT_LEVELS)})"))
            return self

        @property
        def per_indicator(self) -> bool:
            """Ballots ask about the indicator itself (``core.ballots``), not the overall score."""
            return True

        @property
        def asked_levels(self) -> tuple[str, ...]:
            """What a ballot asks (``core.ballots``): a level on the usual scale when levels veto, else a score."""
            return tuple(DEFAULT_LEVELS) if self.levels else ()

        @property
        def offered_levels(self) -> tuple[str, ...]:
            return scale(DEFAULT_LEVELS) if self.levels else ()

    def rated(self, code: str, params: Params, ratings: pd.DataFrame) -> bool:
        return bool(((ratings["indicator_code"] == code) & ratings["source"].isin(params.sources)).any())

    def evaluate(self, batch: RuleBatch) -> pd.DataFrame:
        parts = []
        ratings = batch.facts.ratings
        for code, params, sub in batch.by_indicator():
            mine = ratings[(ratings["indicator_code"] == code) & ratings["source"].isin(params.sources)]
            by_level = mine["level"].isin(params.levels or ())
            by_score = (mine["score"] < params.below) if params.below is not None else pd.Series(False, index=mine.index)
            hits = mine[by_level | by_score]
            count = per_row(hits.groupby("org_id").size(), sub["org_id"], 0).astype(float)
            what = pd.Series(dtype=object)
            if len(hits):
                who = formatted(hits["source"], lambda s: SOURCE_LABELS.get(s, s))
                below = "" if params.below is None else f"{params.below:g}"
                said = choose(by_level[hits.index], concat(who, "评定为 ", hits["level"].astype(str)),
                              concat(who, "评分 ", fmt(hits["score"]), "，低于 ", below))
                what = join_text(hits, ["org_id"], said, "；", order=["id"])
            parts.append(_veto(sub, name=batch.indicators[code].name, count=count,
                               what=per_row(what, sub["org_id"], ""),
                               evidence=evidence_ids(hits, ["org_id"], "rating"), clear="未触及否决事项"))
        return _combined(parts, batch.rows)


@hookimpl
def bastion_rule_types() -> list[RuleType]:
    return [LedgerTarget(), LedgerPerItem(), FindingDeduction(), VetoOnFinding(), BallotScore(), LevelScore(),
            SecretaryTerm(), LedgerCoverage(), StaffRatio(), DutyCoverage(), ResponsibilityList(),
            VetoOnLedger(), VetoOnRating()]
