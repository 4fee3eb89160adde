"""Terminal tables shared by the CLI commands and the demo: what each listing shows (its
:class:`~bastion.listings.Field` s) and how its rows are read from core's frames."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
from rich.table import Table
from rich.text import Text

from bastion.core.ballots import secrecy
from bastion.core import words
from bastion.core.i18n import tr
from bastion.core.results import Explanation, grade_label, score_statement
from bastion.core.words import word
from bastion.listings import Field, table

RANKING = (
    Field("rank", "排名", "Rank", "number"),
    Field("org_code", "编码", "Code", "code"),
    Field("org_name", "党支部", "Branch"),
    Field("category", "类别", "Category", optional=True),
    Field("total", "总分", "Total", "number", show=lambda v: f"{v:.2f}"),
    Field("rate", "得分率", "Rate", "number", show=lambda v: f"{v:.2f}%", optional=True),
    Field("grade", "等次", "Grade", show=grade_label),
    Field("tier", "档次", "Tier"),
    Field("vetoes", "一票否决", "Veto", "prose", show=lambda v: "；".join(r.split("：")[0] for r in v)),
)


STANDING = Field("standing", "定级", "Standing")  # beside the tier where the scheme grades standings (core.standings)


def ranking_fields(records: list[dict[str, Any]]) -> tuple[Field, ...]:
    """The ranking's columns: with the standing after the tier when the records carry one."""
    if not records or "standing" not in records[0]:
        return RANKING
    at = [f.key for f in RANKING].index("tier") + 1
    return (*RANKING[:at], STANDING, *RANKING[at:])


def ranking_style(record: dict[str, Any]) -> str | None:
    """Advanced-eligible branches in green, vetoed ones in red."""
    return "red" if record["vetoed"] else ("green" if record["advanced_eligible"] else None)


def ranking_table(records: list[dict[str, Any]], *, title: str, width: int) -> Table:
    """A period's ranking (the records of ``core.results.results_records``)."""
    return table(ranking_fields(records), records, width=width, title=title, style=ranking_style)


INCENTIVES = (
    Field("rank", "排名", "Rank", "number"),
    Field("org_code", "编码", "Code", "code"),
    Field("org_name", "党支部", "Branch"),
    Field("tier", "档次", "Tier", optional=True),
    Field("kind", "类别", "Kind", words=words.AWARD_KIND),
    Field("title", "内容", "What", "prose"),
    Field("effective_until", "有效期至", "Until", "code"),
)


BRANCH_INCENTIVES = (
    Field("rank", "排名", "Rank", "number"),
    Field("org_code", "编码", "Code", "code"),
    Field("org_name", "党支部", "Branch"),
    Field("grade", "等次", "Grade", show=grade_label, optional=True),
    Field("tier", "档次", "Tier", optional=True),
    Field("member_count", "党员人数", "Members", "number"),
    Field("bonus_weight", "分配系数", "Coefficient", "number", show=lambda v: f"{v:g}"),
    Field("weight", "分配权数", "Weight", "number", show=lambda v: f"{v:g}", optional=True),
    Field("share", "占比", "Share", "number", show=lambda v: f"{v:.2f}%", optional=True),
    Field("amount", "金额（元）", "Amount (yuan)", "number", show=lambda v: f"{v:,.2f}"),
    Field("multiplier", "年度考核乘数", "Multiplier", "number", show=lambda v: f"×{v:.2f}"),
    Field("barred_until", "取消评先资格至", "Barred until", "code"),
)
"""What each branch's awards of a period bind (``core.results.read_branch_incentives``): its bonus coefficient and,
given a pool, its amount; the multiplier on its unit's annual assessment; the bar its results brought."""


def branch_incentive_fields(records: list[dict[str, Any]], *, pool: bool, by_members: bool) -> tuple[Field, ...]:
    """The columns of :data:`BRANCH_INCENTIVES` a table shows: the amounts only given a pool (and then whatever the
    terminal's width), the members only when the pool is shared by them, a multiplier or a bar only where a branch
    has one."""
    wanted = {"amount": pool, "share": pool, "weight": pool, "member_count": by_members,
              "multiplier": any(r["multiplier"] is not None for r in records),
              "barred_until": any(r["barred_until"] is not None for r in records)}
    return tuple(f for f in BRANCH_INCENTIVES if wanted.get(f.key, True))


def _figure(value: Any) -> str:
    """A stored or recomputed figure of a verified period: — where there is none, a list joined, a number as it is."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return tr("是", "yes") if value else tr("否", "no")
    if isinstance(value, (list, tuple)):
        return "；".join(str(v) for v in value) or "—"
    return f"{value:g}" if isinstance(value, float) else str(value)


DIFFERENCES = (
    Field("org_code", "编码", "Code", "code"),
    Field("org_name", "组织", "Organisation"),
    Field("indicator_code", "指标", "Indicator", "code"),
    Field("field", "项目", "Field", words=words.VERIFIED_FIELD),
    Field("stored", "已存", "Stored", "prose", show=_figure),
    Field("recomputed", "重算", "Recomputed", "prose", show=_figure),
)


def incentive_style(record: dict[str, Any]) -> str | None:
    return {"reward": "green", "sanction": "red", "talk": "yellow"}.get(record["kind"])


def incentives_table(records: list[dict[str, Any]], *, title: str, width: int) -> Table:
    """The incentives of a period (the records of ``core.results.incentive_records``), one row each."""
    return table(INCENTIVES, records, width=width, title=title, style=incentive_style)


def _ids(kind: str, ids: list[int], limit: int = 8) -> str:
    shown = " ".join(f"#{i}" for i in ids[:limit])
    more = tr(f" …（共 {len(ids)} 条）", f" … ({len(ids)} in all)") if len(ids) > limit else ""
    return f"{word(words.EVIDENCE_KIND, kind)} {shown}{more}"


def explanation_text(ex: Explanation, period: str) -> Text:
    """Why a branch got its score, block by block, each indicator with its rule, reason and evidence."""
    ev = ex.evaluation
    text = Text()
    text.append(f"{ex.org['name']} ({ex.org['code']}) · {period} · {tr('方案', 'scheme')} "
                f"{ev['scheme_id']} {ev['scheme_version']}\n", style="bold")
    status = word(words.RESULT_STATUS, ev["status"])
    grade = grade_label(ev["grade"])
    text.append(score_statement(ev) + tr(f"；等次 {grade}；排名 {ev['rank']}；档次 {ev['tier']}；状态 {status}\n",
                                         f"; grade {grade}; rank {ev['rank']}; tier {ev['tier']}; "
                                         f"status {status}\n"))
    for reason in ev["veto_reasons"]:
        text.append(tr(f"一票否决：{reason}\n", f"veto: {reason}\n"), style="bold red")
    for bar in ev.get("bars", []):
        text.append(tr(f"不可评先进：{bar}\n", f"not eligible for advanced (先进): {bar}\n"), style="bold yellow")
    block = None
    for line in ex.lines:
        if line["block_code"] != block:
            block = line["block_code"]
            lines = [x for x in ex.lines if x["block_code"] == block]
            got = sum(x["points"] for x in lines)
            top = sum(x["max_points"] for x in lines)
            text.append(f"\n{line['block_name']}  {got:g}/{top:g}\n", style="bold")
        style = "red" if line["veto"] else None
        text.append(f"  {line['indicator_code']} {line['name']}  {line['points']:g}/{line['max_points']:g}"
                    f"  [{line['rule']}]\n", style=style)
        text.append(f"      {line['reason']}\n")
        for kind, ids in line["evidence"].items():
            if ids:
                text.append(f"      {tr('依据', 'evidence')} {_ids(kind, ids)}\n", style="dim")
        for ballots in line.get("ballots", ()):
            text.append(f"      {tr('测评', 'ballots')} {secrecy.aggregate_text(ballots)}\n", style="dim")
    return text


def award_counts(awards: pd.DataFrame) -> str:
    """A published period's incentives in one sentence: how many of each, with an example."""
    counts = awards.groupby(["kind", "award"], sort=False).agg(title=("title", "first"), n=("id", "size"))
    return tr("；", "; ").join(tr(f"{word(words.AWARD_KIND, k)} {r.n} 项（如：{r.title}）",
                                 f"{word(words.AWARD_KIND, k)}: {r.n} (e.g. {r.title})")
                              for (k, _), r in counts.iterrows())


def stage_summary(detail: dict[str, Any]) -> str:
    """What a stage run did, in a sentence (its ``detail``, or a flow's summary of it)."""
    if detail.get("status") == "already succeeded":
        return tr("已完成（不重复执行）", "already done (not run again)")
    if "drawn" in detail:
        sample = tr("、", ", ").join(detail["sample"])
        return tr(f"抽取 {detail['drawn']}/{detail['of']} 个党支部：{sample}（种子 {detail['seed']}）",
                  f"drew {detail['drawn']} of {detail['of']} branches: {sample} (seed {detail['seed']})")
    if "issued" in detail:
        issued, overdue = len(detail["issued"]), len(detail.get("overdue", []))
        return tr(f"下发整改通知书 {issued} 份，逾期 {overdue} 份", f"{issued} notice(s) issued, {overdue} overdue")
    if "scheme" in detail:
        scheme = f"{detail['scheme']} {detail.get('version', '')}".strip()
        return tr(f"方案 {scheme}" + ("（年度此前已开启）" if detail.get("already_open") else ""),
                  f"scheme {scheme}" + (" (opened before)" if detail.get("already_open") else ""))
    if "awaiting" in detail:
        return tr("待领导审核", "awaiting the leaders' review")
    if "organizations" in detail:
        bulletin = Path(detail["bulletin"]).name if detail.get("bulletin") else ""
        return tr(f"{detail['organizations']} 个党支部，奖惩 {detail.get('awards', 0)} 项，通报 {bulletin}",
                  f"{detail['organizations']} branches, {detail.get('awards', 0)} incentive(s), bulletin {bulletin}") \
            + verified_summary(detail.get("verify"))
    return ""


def verified_summary(verified: dict[str, Any] | None) -> str:
    """How the annual stage's verification of its published results came out (``core.verify.summary``), as a
    clause of :func:`stage_summary`: empty when there was none."""
    if not verified:
        return ""
    if verified.get("error"):
        return tr(f"；核验未完成：{verified['error']}", f"; not verified: {verified['error']}")
    if verified["identical"]:
        return tr("；核验一致", "; verified: identical")
    return tr(f"；核验不一致：{verified['differences']} 处差异（bastion verify 列出）",
              f"; verified: {verified['differences']} difference(s) (bastion verify lists them)")
