"""Terminal tables shared by the CLI commands and the demo."""

from __future__ import annotations

import pandas as pd
from rich import box
from rich.table import Table
from rich.text import Text

from bastion.core.results import Explanation


def ranking_table(frame: pd.DataFrame, *, title: str) -> Table:
    """A period's ranking: advanced-eligible branches in green, vetoed ones in red."""
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("排名", justify="right", no_wrap=True)
    table.add_column("编码", no_wrap=True)
    table.add_column("党支部", min_width=10)
    table.add_column("类别", no_wrap=True)
    table.add_column("总分", justify="right", no_wrap=True)
    table.add_column("等次", no_wrap=True)
    table.add_column("档次", no_wrap=True)
    table.add_column("一票否决")
    for r in frame.itertuples():
        style = "red" if r.vetoed else ("green" if r.advanced_eligible else None)
        vetoes = "；".join(v.split("：")[0] for v in r.veto_reasons)
        table.add_row(str(r.rank), r.code, r.name, r.category, f"{r.total:.2f}", r.grade, r.tier, vetoes, style=style)
    return table


AWARD_KIND_LABELS = {"reward": "奖励", "sanction": "惩戒", "talk": "约谈", "rectification": "整改",
                     "multiplier": "乘数"}


def incentives_table(frame: pd.DataFrame, *, title: str) -> Table:
    """The incentives of a period, one row each: whom, what kind, what, until when."""
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for name, justify in (("排名", "right"), ("编码", "left"), ("党支部", "left"), ("档次", "left"), ("类别", "left"),
                          ("内容", "left"), ("有效期至", "left")):
        wraps = name in ("党支部", "内容")
        table.add_column(name, justify=justify, no_wrap=not wraps, overflow="fold" if wraps else "ellipsis")
    for r in frame.itertuples():
        style = {"reward": "green", "sanction": "red", "talk": "yellow"}.get(r.kind)
        until = "" if r.effective_until is None or pd.isna(r.effective_until) else str(r.effective_until)[:10]
        rank = "" if pd.isna(r.rank) else str(int(r.rank))
        table.add_row(rank, r.code, r.name, r.tier or "", AWARD_KIND_LABELS.get(r.kind, r.kind), r.title, until,
                      style=style)
    return table


def _ids(kind: str, ids: list[int], limit: int = 8) -> str:
    shown = " ".join(f"#{i}" for i in ids[:limit])
    more = f" …（共 {len(ids)} 条）" if len(ids) > limit else ""
    return f"{KIND_LABELS.get(kind, kind)} {shown}{more}"


KIND_LABELS = {"ledger": "台账", "finding": "检查发现", "rating": "测评票"}


def explanation_text(ex: Explanation, period: str) -> Text:
    """Why a branch got its score, block by block, each indicator with its rule, reason and evidence."""
    ev = ex.evaluation
    text = Text()
    text.append(f"{ex.org['name']} ({ex.org['code']}) · {period} · 方案 {ev['scheme_id']} {ev['scheme_version']}\n",
                style="bold")
    text.append(f"总分 {ev['total']:.2f} = 基本分 {ev['base_points']:.2f} + 加分 {ev['bonus_points']:.2f}；"
                f"等次 {ev['grade']}；排名 {ev['rank']}；档次 {ev['tier']}；状态 {ev['status']}\n")
    for reason in ev["veto_reasons"]:
        text.append(f"一票否决：{reason}\n", style="bold red")
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
            text.append(f"      依据 {_ids(kind, ids)}\n", style="dim")
    return text
