"""Verify a closed period (核验): score it again from its frozen inputs and compare, line by line, with what is stored.

A period under the leaders' review or published stands on its *frozen inputs* — the facts recorded up to the
moment its results took theirs (``scoring.facts_until``), scored with the scheme frozen into its cycle. Scoring
them again must give what is stored: every line's points, veto and whether it was assessed, and every result's
points, total, points assessed, rate, grade, advanced eligibility, rank, tier and vetoes. Corrections (更正) are
part of the record: each one made since the results were scored (its ``correct`` event in the audit trail) is
applied to the line it corrected, after checking that the line, scored again, still gives the points the
correction started from.

A difference names the organisation, the indicator (none for a result's own figures) and the field, stored →
recomputed: a fact changed or removed behind the application's back, a rule type whose code changed since, an
organisation's staff counts or first secretary edited since (the rest of it — code, name, parent, category,
member count, secretary and term — is read as the period's snapshot keeps it, ``core.snapshots``).

Verifying *with the late facts* (``late=True``, ``bastion verify --late``) scores the period from every fact dated in
it recorded up to now — the late ones too, kept for a correction (走更正, ``periods.place``) — its organisations and
targets as frozen, and compares with what stands: each difference is one the late facts would make, what an office
needs to decide a correction (``bastion correct``). A line corrected since stands as corrected unless the late facts
changed what it was scored from; then the difference shows the correction against what the facts now give (once
the office has corrected it to that, there is none).

Nothing is written and nothing is locked: verifying reads what is committed, in the same set-based steps as
scoring (``scoring.read_inputs``, ``engine.score_slices``, ``engine.conclude``, ``engine.roll_up``), comparing
each slice of lines with the stored lines of its organisations as it comes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, Integer, cast, select

from . import lifecycle, scoring
from .bulk_read import read_columns
from .engine import ROLLUP, conclude, roll_up, score_slices, subtotals
from .errors import BastionError
from .i18n import tr
from .models import AuditEvent, Cycle, Evaluation, EvaluationLine, as_utc
from .periods import Period, in_cycle
from .registry import Registry
from .results import read_results
from .scheme import POINTS_EPSILON

#: A result's figures compared, in the order a difference is told.
FIGURES = ("base_points", "bonus_points", "total", "assessed_points", "rate", "grade", "advanced_eligible", "rank",
           "tier", "vetoed", "veto_reasons")
#: A line's figures compared.
LINE_FIGURES = ("points", "veto", "assessed")
#: The field of a line that is missing on one side (``stored`` or ``recomputed`` is then None).
LINE = "line"
#: The field of a corrected line whose points, scored again, are not those its first correction started from.
CORRECTED_FROM = "points_before_correction"
#: The field of an organisation with a result on one side only.
RESULT = "result"

DIFFERENCE_COLUMNS = ["org_code", "org_name", "level", "indicator_code", "field", "stored", "recomputed"]

SLICE = 5_000
"""Organisations scored, and compared, at a time (the lines of one slice are in memory at once)."""


@dataclass(frozen=True)
class Verification:
    """What verifying a period found: ``differences`` (:data:`DIFFERENCE_COLUMNS`, ``indicator_code`` empty for
    a result's own figures), empty when the period reproduces."""

    year: int
    period: str
    status: str
    scheme_id: str
    scheme_version: str
    facts_until: datetime
    organizations: int
    lines: int
    corrections: int
    differences: pd.DataFrame
    #: Verified with the late facts (``late=True``); ``late_facts``: how many facts of each kind (ledger, finding,
    #: rating) dated in the period were recorded after ``facts_until``.
    late: bool = False
    late_facts: dict[str, int] = field(default_factory=dict)

    @property
    def identical(self) -> bool:
        return self.differences.empty

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON (``bastion verify --format json``, a stage run's detail)."""
        return {"year": self.year, "period": self.period, "status": self.status, "identical": self.identical,
                "scheme_id": self.scheme_id, "scheme_version": self.scheme_version,
                "facts_until": self.facts_until.isoformat(), "organizations": self.organizations,
                "lines": self.lines, "corrections": self.corrections,
                **({"late": True, "late_facts": dict(self.late_facts)} if self.late else {}),
                "differences": [{k: _plain(v) for k, v in row.items()}
                                for row in self.differences.to_dict("records")]}


def verify_period(engine: Engine, *, cycle: Cycle, period_key: str | None, registry: Registry,
                  late: bool = False) -> Verification:
    """Score the closed period ``period_key`` of ``cycle`` again from its frozen inputs — with the late facts too,
    when ``late`` — and compare it with its stored results (see the module's docstring). Reads only."""
    period = in_cycle(cycle, period_key)
    with engine.connect() as conn:
        status = lifecycle.state(conn, cycle.id, period.key)
        until = scoring.facts_until(conn, cycle, period)
        if until is None:
            raise BastionError(tr(
                f"考核期 {period.key} {_STATE[status][0]}：核验的是已发布（或正待领导审核）的考核结果",
                f"period {period.key} {_STATE[status][1]}: only published results (or results under the leaders' "
                "review) are verified"))
        stored = read_results(conn, cycle.id, period.key, level=None)
        corrections = _corrections(conn, cycle, period, stored, until)
        recorded_late = scoring.recorded_since(conn, cycle.tenant_id, period, until) if late else {}
    inputs = scoring.read_inputs(engine, cycle=cycle, period=period, registry=registry, late_facts=late)
    scheme = inputs.scheme
    found, sums, lines_compared = [], [], 0
    with engine.connect() as conn:
        for start, lines in zip(range(0, len(inputs.orgs), SLICE), score_slices(inputs, slice_size=SLICE)):
            part = inputs.orgs["org_id"].iloc[start:start + SLICE]
            lines, moved = _corrected(lines, corrections, late=late)
            found.append(moved)
            sums.append(subtotals(lines))
            kept = _stored_lines(conn, cycle, period, (int(part.iloc[0]), int(part.iloc[-1])))
            lines_compared += len(kept)
            found.append(_line_differences(kept, lines))
        evaluations, rolled = roll_up(scheme, conclude(scheme, inputs.orgs, pd.concat(sums), period), inputs.tree,
                                      period)
        kept = _stored_lines(conn, cycle, period)
        lines_compared += len(kept)
        found.append(_line_differences(kept, rolled.assign(veto=False, assessed=True) if not rolled.empty
                                       else kept.iloc[0:0]))
    found.append(_result_differences(stored, evaluations))
    differences = _named(pd.concat([f for f in found if not f.empty] or [_empty()], ignore_index=True), stored)
    return Verification(cycle.year, period.key, status, scheme.id, scheme.version, until, len(stored), lines_compared,
                        len(corrections), differences, late, recorded_late)


_STATE = {lifecycle.UNSCORED: ("尚未评分", "has not been scored"),
          lifecycle.DRAFT: ("的考核结果是草稿，可随时重新评分", "has draft results, scored again at will")}


# --- what is stored --------------------------------------------------------------------------------


def _stored_lines(conn: Connection, cycle: Cycle, period: Period, orgs: tuple[int, int] | None = None) -> pd.DataFrame:
    """The stored lines of the period (``org_id, indicator_code, points, veto, assessed``): the engine's own lines of
    the organisations ``orgs`` (the ids from … to, inclusive: a slice's), or, without ``orgs``, the roll-ups'."""
    line, e = EvaluationLine.__table__.c, Evaluation.__table__.c
    query = (select(e.org_id, line.indicator_code, line.points, cast(line.veto, Integer).label("veto"),
                    cast(line.assessed, Integer).label("assessed"))
             .join_from(Evaluation.__table__, EvaluationLine.__table__, e.id == line.evaluation_id)
             .where(e.cycle_id == cycle.id, e.period == period.key))
    if orgs is None:
        query = query.where(line.indicator_code == ROLLUP)
    else:
        query = query.where(e.org_id >= orgs[0], e.org_id <= orgs[1], line.indicator_code != ROLLUP)
    frame = read_columns(conn, query)
    return frame.assign(org_id=frame["org_id"].astype("int64"), veto=frame["veto"].astype(bool),
                        assessed=frame["assessed"].astype(bool))


def _corrections(conn: Connection, cycle: Cycle, period: Period, stored: pd.DataFrame,
                 since: datetime) -> pd.DataFrame:
    """The corrections of the period's stored results, from the audit trail: ``org_id, indicator_code, points``
    (the last correction of each line) and ``from_points`` (what its first correction started from).

    Only corrections of these results count — made since they were scored (a correction of earlier drafts was
    scored away with them), of one of their evaluations."""
    a = AuditEvent.__table__.c
    evaluations = dict(zip(stored["evaluation_id"].astype(int), stored["org_id"].astype(int)))
    rows = []
    for entity_id, at, old, new in conn.execute(
            select(a.entity_id, a.at, a.old, a.new).where(a.tenant_id == cycle.tenant_id, a.action == "correct",
                                                           a.entity == "evaluation").order_by(a.id)):
        new, old = _json(new), _json(old)
        org_id = evaluations.get(int(entity_id)) if entity_id and entity_id.isdigit() else None
        if org_id is None or new.get("period") != period.key or as_utc(at) < since:
            continue
        rows.append({"org_id": org_id, "indicator_code": new["indicator"], "points": float(new["points"]),
                     "from_points": float(old["points"])})
    frame = pd.DataFrame(rows, columns=["org_id", "indicator_code", "points", "from_points"])
    return frame.groupby(["org_id", "indicator_code"], as_index=False).agg(points=("points", "last"),
                                                                           from_points=("from_points", "first"))


def _corrected(lines: pd.DataFrame, corrections: pd.DataFrame, *,
               late: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``lines`` with the corrections of their organisations applied, and the corrected lines whose points, scored
    again, are not those the correction started from (as differences, :data:`CORRECTED_FROM`).

    ``late`` (lines scored with the late facts): a correction is applied only to a line the late facts left as it
    started from; a line they changed keeps what they give, to be compared with the correction stored."""
    if corrections.empty or lines.empty:
        return lines, _empty()
    mine = lines[["org_id", "indicator_code", "points"]].reset_index().merge(
        corrections, on=["org_id", "indicator_code"], suffixes=("", "_corrected"))
    if mine.empty:
        return lines, _empty()
    differs = (mine["points"] - mine["from_points"]).abs() > POINTS_EPSILON
    if late:
        mine, differs = mine[~differs], differs[~differs]
    lines = lines.copy()
    lines.loc[mine["index"].to_numpy(), "points"] = mine["points_corrected"].to_numpy()
    moved = mine[differs]
    return lines, pd.DataFrame({"org_id": moved["org_id"], "indicator_code": moved["indicator_code"],
                                "field": CORRECTED_FROM, "stored": moved["from_points"],
                                "recomputed": moved["points"]})


# --- the comparisons ----------------------------------------------------------------------------------


def _line_differences(stored: pd.DataFrame, recomputed: pd.DataFrame) -> pd.DataFrame:
    """The lines of one side only, and the figures of lines on both sides that differ."""
    return _differences(stored.astype({"org_id": "int64"}), recomputed.astype({"org_id": "int64"}),
                        key=["org_id", "indicator_code"], figures=LINE_FIGURES, alone=LINE, shown="points")


def _result_differences(stored: pd.DataFrame, recomputed: pd.DataFrame) -> pd.DataFrame:
    """The organisations with a result on one side only, and the figures of the others that differ."""
    return _differences(stored, recomputed, key=["org_id"], figures=FIGURES, alone=RESULT, shown="total")


def _differences(stored: pd.DataFrame, recomputed: pd.DataFrame, *, key: list[str], figures: Iterable[str],
                 alone: str, shown: str) -> pd.DataFrame:
    """Rows on one side only (as field ``alone``, telling their ``shown``), and the ``figures`` that differ of the rows
    on both sides (matched on ``key``)."""
    figures = list(figures)
    both = stored[[*key, *figures]].merge(recomputed[[*key, *figures]], on=key, how="outer",
                                          suffixes=("_stored", "_recomputed"), indicator=True)

    def told(rows: pd.DataFrame, field: str, old: Any, new: Any) -> pd.DataFrame:
        out = rows[key].assign(field=field, stored=old, recomputed=new)
        return out if "indicator_code" in out else out.assign(indicator_code="")

    out = []
    only = both[both["_merge"] != "both"]
    if not only.empty:
        out.append(told(only, alone, np.where(only["_merge"] == "left_only", only[f"{shown}_stored"], None),
                        np.where(only["_merge"] == "right_only", only[f"{shown}_recomputed"], None)))
    both = both[both["_merge"] == "both"]
    for name in figures:
        old, new = both[f"{name}_stored"], both[f"{name}_recomputed"]
        differs = _differs(old, new)
        if differs.any():
            out.append(told(both[differs], name, old[differs], new[differs]))
    return pd.concat(out, ignore_index=True) if out else _empty()


def _differs(old: pd.Series, new: pd.Series) -> pd.Series:
    """Row by row, whether two columns of figures differ (numbers by more than :data:`POINTS_EPSILON`)."""
    if pd.api.types.is_bool_dtype(old) or pd.api.types.is_bool_dtype(new):
        return old.astype(bool) != new.astype(bool)
    if pd.api.types.is_numeric_dtype(old) and pd.api.types.is_numeric_dtype(new):
        a, b = old.astype(float), new.astype(float)
        return ((a - b).abs() > POINTS_EPSILON) & ~(a.isna() & b.isna()) | (a.isna() != b.isna())
    return old.astype(str) != new.astype(str)  # texts, and lists (veto reasons) as they print


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"org_id": pd.Series([], dtype="int64"), "indicator_code": pd.Series([], dtype=object),
                         "field": pd.Series([], dtype=object), "stored": pd.Series([], dtype=object),
                         "recomputed": pd.Series([], dtype=object)})


def _named(found: pd.DataFrame, stored: pd.DataFrame) -> pd.DataFrame:
    """The differences with the organisations' codes, names and levels, in the order of the stored ranking, the
    result's own figures before its lines."""
    names = stored[["org_id", "code", "name", "level"]].reset_index().rename(columns={"index": "order"})
    out = found.astype({"org_id": "int64"}).merge(names, on="org_id", how="left")
    out["order"] = out["order"].fillna(len(stored))
    fields = {name: n for n, name in enumerate((RESULT, *FIGURES, LINE, CORRECTED_FROM, *LINE_FIGURES))}
    out["field_order"] = out["field"].map(fields)
    out = out.sort_values(["order", "indicator_code", "field_order"], kind="stable")
    out = out.rename(columns={"code": "org_code", "name": "org_name"})
    out["org_code"] = out["org_code"].fillna(out["org_id"].astype(str))
    out["org_name"] = out["org_name"].fillna("")
    out["level"] = out["level"].fillna("")
    return out[DIFFERENCE_COLUMNS].reset_index(drop=True)


def _json(value: Any) -> dict:
    return json.loads(value) if isinstance(value, str) else value or {}


def _plain(value: Any) -> Any:
    """A value as JSON has it: numpy scalars as Python numbers, NaN as None."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def summary(found: Verification, *, first: int = 10) -> dict[str, Any]:
    """A short account for a stage run's detail: identical or not, how many differences and the first few (no moment:
    the same stage run twice records the same account)."""
    done = found.as_dict()
    return {"identical": done["identical"], "organizations": done["organizations"], "lines": done["lines"],
            "corrections": done["corrections"], "differences": len(found.differences),
            "first": done["differences"][:first]}

