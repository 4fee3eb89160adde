"""The dashboard's charts from plain frames: what each mark draws."""

from __future__ import annotations

import pandas as pd

from bastion.ui.charts import heatmap_chart, trend_chart


def cells() -> pd.DataFrame:
    return pd.DataFrame({
        "org_id": [1, 1, 2, 2], "code": ["ZZ1", "ZZ1", "ZZ2", "ZZ2"], "name": ["机关党总支"] * 2 + ["新建党总支"] * 2,
        "block_code": ["B1", "B7", "B1", "B7"], "block_name": ["班子建设", "加分项"] * 2,
        "evaluations": [4, 4, 0, 0], "average": [9.5, 0.4, None, None], "max_points": [10.0, 5.0, 10.0, 5.0],
        "share": [0.95, 0.08, None, None]})


def test_the_heatmap_shows_bonus_apart_and_nothing_for_an_organisation_without_results():
    chart = heatmap_chart(cells(), bonus={"B7"})
    data = chart.data
    assert data["figure"].tolist() == ["95%", "+0.4", "", ""]  # never "null", never a red 8 % for a bonus
    assert data["dark"].tolist() == [True, False, False, False]  # white figures on the dark green
    spec = chart.to_dict()
    filters = [layer.get("transform", [{}])[0].get("filter") for layer in spec["layer"]]
    assert filters[:3] == ["datum.scored && !datum.bonus", "datum.scored && datum.bonus", "!datum.scored"]
    assert "null" not in str(data.to_dict())


def test_the_trend_joins_periods_of_different_lengths_in_time_order():
    frame = pd.DataFrame({"period": ["2025-H1", "2025", "2026-Q1"], "kind": ["half", "year", "quarter"],
                          "average": [80.0, 84.5, 70.0], "branches": [12, 12, 12]})
    spec = trend_chart(frame).to_dict()
    line, points = spec["layer"]
    assert line["mark"]["type"] == "line" and "color" not in line["encoding"]  # one line through every period
    assert line["encoding"]["x"]["sort"] == ["2025年上半年", "2025年度", "2026年第1季度"]
    assert points["encoding"]["color"]["field"] == "kind"
