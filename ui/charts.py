"""The dashboard's charts (Altair), as plain functions of the frames core returns: testable without a page."""

from __future__ import annotations

import altair as alt
import pandas as pd

from bastion.core.words import period_name
from bastion.ui.i18n import tr


def bar(frame: pd.DataFrame, field: str, title: str) -> alt.Chart:
    return (alt.Chart(frame).mark_bar()
            .encode(x=alt.X(f"{field}:N", sort=list(frame[field]), title=title, axis=alt.Axis(labelAngle=0)),
                    y=alt.Y("branches:Q", title=tr("党支部数", "Branches")),
                    tooltip=[alt.Tooltip(f"{field}:N", title=title), alt.Tooltip("branches:Q", title=tr("个数", "Count"))])
            .properties(title=tr(f"{title}分布", f"By {title.lower()}")))


PERIOD_KINDS = {"year": ("年度", "Year"), "half": ("半年", "Half-year"), "quarter": ("季度", "Quarter"),
                "month": ("月度", "Month")}


def trend_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Periods in time order, evenly spaced and named by their keys, joined by one line; each point coloured
    by its length of period (a year and a half-year are two dots of one line, not two lines of one dot)."""
    frame = frame.assign(kind=frame["kind"].map(lambda k: tr(*PERIOD_KINDS[k])),
                         label=frame["period"].map(period_name))
    order = list(frame["label"])
    x = alt.X("label:O", sort=order, title=tr("考核期", "Period"), axis=alt.Axis(labelAngle=0))
    y = alt.Y("average:Q", title=tr("平均分", "Average"), scale=alt.Scale(zero=False))
    line = alt.Chart(frame).mark_line(color="#9e9e9e").encode(x=x, y=y, order=alt.Order("position:Q"))
    points = alt.Chart(frame).mark_point(size=80, filled=True).encode(
        x=x, y=y, color=alt.Color("kind:N", title=tr("周期", "Length")),
        tooltip=[alt.Tooltip("label:N", title=tr("考核期", "Period")),
                 alt.Tooltip("average:Q", title=tr("平均分", "Average"), format=".2f"),
                 alt.Tooltip("branches:Q", title=tr("党支部数", "Branches"))])
    return alt.layer(line, points, data=frame.assign(position=range(len(frame))))


def heatmap_chart(cells: pd.DataFrame, bonus: set[str]) -> alt.LayerChart:
    """Organisations × blocks. Scored blocks on red → green by share; bonus blocks in a neutral blue with
    their average points; an organisation without results in grey with no figure; figures white on the
    dark ends of the scale, black elsewhere."""
    cells = cells.assign(label=cells["name"] + "（" + cells["code"] + "）",
                         bonus=cells["block_code"].isin(bonus), scored=cells["share"].notna())
    cells = cells.assign(figure=[("" if not ok else f"+{avg:.1f}" if is_bonus else f"{share:.0%}")
                                 for ok, is_bonus, avg, share in zip(cells["scored"], cells["bonus"], cells["average"],
                                                                     cells["share"], strict=True)],
                         dark=cells["scored"] & ~cells["bonus"] & ((cells["share"] < 0.25) | (cells["share"] > 0.8)))
    base = alt.Chart(cells).encode(
        x=alt.X("block_name:N", sort=list(dict.fromkeys(cells["block_name"])), title=tr("指标板块", "Block"),
                axis=alt.Axis(labelAngle=0, orient="top", labelLimit=160)),
        y=alt.Y("label:N", sort=list(dict.fromkeys(cells["label"])), title=None, axis=alt.Axis(labelLimit=260)),
        tooltip=[alt.Tooltip("label:N", title=tr("党组织", "Organisation")),
                 alt.Tooltip("block_name:N", title=tr("板块", "Block")),
                 alt.Tooltip("average:Q", title=tr("平均得分", "Average points"), format=".2f"),
                 alt.Tooltip("max_points:Q", title=tr("满分", "Maximum")),
                 alt.Tooltip("share:Q", title=tr("得分率", "Share"), format=".0%"),
                 alt.Tooltip("evaluations:Q", title=tr("党支部数", "Branches"))])
    scored = base.transform_filter("datum.scored && !datum.bonus").mark_rect().encode(
        color=alt.Color("share:Q", title=tr("得分率", "Share"), scale=alt.Scale(domain=[0, 1], scheme="redyellowgreen"),
                        legend=alt.Legend(gradientLength=80, format=".0%")))
    extra = base.transform_filter("datum.scored && datum.bonus").mark_rect(color="#cfe2f3")
    empty = base.transform_filter("!datum.scored").mark_rect(color="#eeeeee")
    figures = base.mark_text(fontSize=11).encode(
        text="figure:N", color=alt.condition("datum.dark", alt.value("white"), alt.value("black")))
    return alt.layer(scored, extra, empty, figures).properties(height=alt.Step(30))
