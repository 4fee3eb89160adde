"""Example third-party plugin ``example-port``: the branch assessment of a made-up port group (某港务集团).

What it shows a plugin author (docs/plugins.md explains each part):

- its own **rule type** ``monthly_streak`` (连续达标): the longest run of consecutive months in which
  a branch's ledger entries of one type reached the monthly target, scored against the run that
  earns full points — vectorised over branches, with a reason in Chinese and the ledger ids as
  evidence;
- its own **ledger type** ``safety_patrol`` (党员安全责任区巡查), which the scheme counts with it;
- its own **scheme** ``port-group``, mixing that rule type with the built-in rule types of
  ``standard-rules`` and the ledger types of ``standard-ledgers`` (a tenant enables all three);
- its own **incentive policy** ``port-red-flag``: the mobile red flag (流动红旗) of each operating
  area, passed on every period to the area's best branch, counting from the tenant's earlier
  results how often the branch has held it this year.

The package is installed like any plugin: its ``pyproject.toml`` declares the module in the
entry-point group ``bastion``. Its version is the distribution's (0.1.0).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from bastion import hookimpl
from bastion.core.contributions import AWARD_COLUMNS, IncentivePolicy, LedgerType, PolicyContext
from bastion.core.engine import Period, RuleBatch, RuleType, fmt, per_row, points_text
from bastion.core.scheme import Scheme, indicator

FLAG_MIN_SCORE = 80  # a branch below this total does not get the flag, even if it is its area's best

LEDGER_TYPES = [
    LedgerType("safety_patrol", "党员安全责任区巡查", "safety-zone patrol by party members",
               description="码头、堆场党员安全生产责任区巡查，每次巡查记一条台账"),
]


class MonthlyStreak(RuleType):
    """Points for the longest run of consecutive months meeting a monthly ledger target."""

    name = "monthly_streak"
    description = ("连续达标：台账按月对照月度目标（指标目标值，未设为 1），取最长连续达标月数，"
                   "连续 full_at 个月得满分，不足按比例得分")
    inputs = ("ledger",)

    class Params(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)
        ledger_type: str  # named ``ledger_type`` so that Registry.check_scheme checks it exists
        aggregate: Literal["count", "sum"] = "count"
        full_at: int = Field(default=6, ge=1, le=12, description="Consecutive months that earn full points "
                             "(at most the period's months).")

    def evaluate(self, batch: RuleBatch) -> pd.DataFrame:
        period, parts = batch.period, []
        for _code, params, sub in batch.by_indicator():  # indicators, never rows
            entries = batch.facts.ledger_of_type(params.ledger_type)
            amount = (entries["quantity"].fillna(0.0) if params.aggregate == "sum"
                      else pd.Series(1.0, index=entries.index))
            month = entries["date"].dt.month - period.first_month  # 0 … months-1 within the period
            per_month = amount.groupby([entries["org_id"], month]).sum()
            matrix = np.zeros((len(sub), period.months))
            if len(per_month):
                table = per_month.unstack(fill_value=0.0)
                matrix = table.reindex(index=sub["org_id"].to_numpy(), columns=range(period.months),
                                       fill_value=0.0).fillna(0.0).to_numpy()
            monthly = sub["target"].astype(float).fillna(1.0)
            met = matrix >= monthly.to_numpy()[:, None] - 1e-9
            run = best = np.zeros(len(sub))
            for m in range(period.months):  # at most 12 steps, each over every branch at once
                run = np.where(met[:, m], run + 1, 0)
                best = np.maximum(best, run)
            full_at = min(params.full_at, period.months)
            streak = pd.Series(best, index=sub.index)
            points = sub["max_points"] * np.minimum(streak, full_at) / full_at
            unit = " 次" if params.aggregate == "count" else ""
            parts.append(pd.DataFrame({
                "points": points,
                "value": streak,
                "reason": ("每月目标 " + fmt(monthly) + unit + "，" + str(period.months) + " 个月中 "
                           + fmt(pd.Series(met.sum(axis=1), index=sub.index)) + " 个月达标，最长连续 " + fmt(streak)
                           + f" 个月（连续 {full_at} 个月得满分）" + points_text(points, sub["max_points"])),
                "evidence": per_row(batch.facts.ledger_evidence(params.ledger_type), sub["org_id"], ""),
            }, index=sub.index))
        return pd.concat(parts)


SCHEME = {
    "id": "port-group",
    "version": "2026.1",
    "name": "某港务集团党支部“红旗港”目标责任考核",
    "description": "安全生产、组织生活、群众评价三大块百分制，为群众办实事加分；重大安全生产责任事故一票否决；"
                   "每个考核期各作业区评出一面流动红旗。",
    "total_points": 100,
    "bonus_cap": 3,
    "blocks": [
        {"code": "S", "name": "安全生产", "indicators": [
            indicator("S-V", "重大安全生产责任事故", "veto", 0, "veto_on_finding",
                      description="发生重大安全生产责任事故的，一票否决"),
            indicator("S1", "党员安全责任区巡查连续达标", "controllable", 25, "monthly_streak",
                      {"ledger_type": "safety_patrol", "full_at": 6}, {"*": 2, "机关": 1},
                      description="每月巡查达到目标次数；连续 6 个月达标得满分"),
        ]},
        {"code": "O", "name": "组织生活", "indicators": [
            indicator("O1", "支委会每月召开", "controllable", 15, "ledger_target",
                      {"ledger_type": "committee_meeting", "per": "month"}, {"*": 1}),
            indicator("O2", "党课每季度一次", "controllable", 10, "ledger_target",
                      {"ledger_type": "party_lecture", "per": "quarter"}, {"*": 1}),
            indicator("O3", "作风建设督查", "controllable", 20, "finding_deduction", {"per_finding": 3},
                      description="每发现一个问题扣 3 分，扣完为止"),
        ]},
        {"code": "E", "name": "群众评价", "indicators": [
            indicator("E1", "党员群众和上级评价", "controllable", 30, "ballot_score", {"sources": ["members", "superior"]}),
        ]},
        {"code": "X", "name": "加分项", "indicators": [
            indicator("X1", "为群众办实事", "bonus", 3, "ledger_per_item", {"ledger_type": "practical_deed", "per_item": 1}),
        ]},
    ],
    "grades": [
        {"name": "红旗党支部", "min_score": 90, "advanced": True},
        {"name": "合格", "min_score": 70},
        {"name": "基本合格", "min_score": 60},
        {"name": "不合格", "min_score": 0},
    ],
    "veto_grade": "不合格",
    "tiers": {"method": "score", "bands": [
        {"name": "第一档", "min_score": 90}, {"name": "第二档", "min_score": 60}, {"name": "第三档"},
    ]},
    "source_weights": {"members": 0.6, "superior": 0.4},
    "policies": ["port-red-flag"],
    "calendar": [
        {"stage": "monthly", "cron": "0 9 5 * *", "description": "月度安全巡查通报"},
        {"stage": "half_year", "cron": "0 9 10 7 *", "description": "半年考核，评比流动红旗"},
        {"stage": "annual", "cron": "0 9 15 1 *", "description": "年终考核，评比流动红旗"},
    ],
}


def flag_holders(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The best-ranked branch per group of ``keys`` that is not vetoed and reaches FLAG_MIN_SCORE."""
    eligible = frame[~frame["vetoed"].astype(bool) & (frame["total"] >= FLAG_MIN_SCORE)]
    return eligible.sort_values("rank", kind="stable").drop_duplicates(keys)


def _held_until(period: Period) -> date:
    """The last day of the next period of the same length: the flag moves on at its assessment."""
    months = period.first_month - 1 + 2 * period.months
    return date(period.year + months // 12, months % 12 + 1, 1) - timedelta(days=1)


class MobileRedFlag(IncentivePolicy):
    """流动红旗: each operating area's best branch holds the flag until the next period's assessment."""

    name = "port-red-flag"
    description = (f"流动红旗：每个考核期各作业区（支部类别）排名最前、未被否决且不低于 {FLAG_MIN_SCORE} 分的支部"
                   "授予流动红旗，持有至下一考核期评比；记录本年度第几次获得")

    def apply(self, results: pd.DataFrame, context: PolicyContext) -> pd.DataFrame:
        area = results[["org_id", "category"]]
        holders = flag_holders(results, ["category"])
        # Earlier holders this year, from periods of the same length (the months before a month …).
        history = context.history
        same = history[(history["year"] == context.year)
                       & (history["period"].map(lambda key: Period.parse(key).months) == context.period.months)]
        before = flag_holders(same.merge(area, on="org_id"), ["period", "category"])
        times = holders["org_id"].map(before["org_id"].value_counts()).fillna(0).astype(int) + 1
        names = holders["category"].fillna("").replace("", "未分类")
        return pd.DataFrame({
            "org_id": holders["org_id"],
            "kind": "reward",
            "code": "mobile_red_flag",
            "title": context.period.label + "流动红旗（" + names + "）",
            "effect": [{"flag": "流动红旗", "area": a, "times_this_year": int(t)} for a, t in zip(names, times)],
            "effective_until": _held_until(context.period),
        })[AWARD_COLUMNS].reset_index(drop=True)


@hookimpl
def bastion_schemes() -> list[Scheme]:
    return [Scheme.model_validate(SCHEME)]


@hookimpl
def bastion_rule_types() -> list[RuleType]:
    return [MonthlyStreak()]


@hookimpl
def bastion_ledger_types() -> list[LedgerType]:
    return list(LEDGER_TYPES)


@hookimpl
def bastion_incentive_policies() -> list[IncentivePolicy]:
    return [MobileRedFlag()]
