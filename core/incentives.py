"""Incentives that bind (奖惩兑现): what an award does beyond its title.

An incentive policy (``contributions.IncentivePolicy``) returns awards whose ``effect`` is a JSON dict. Three of its
keys bind (``contributions.EFFECT_KEYS``); every other key is a label Bastion keeps and shows.

**A bar** — ``barred_from`` (a text naming the selection, e.g. ``"先进党支部评选"``) with ``effective_until``, the bar's
last day (一年内取消评先资格: ``context.after_publication(years=1)``). An organisation is barred in a period when an
award of an earlier period bars it — one that ends before this period ends — and this period ends on or before the
bar's last day: a bar given with the 2025 year's results, published on 15 January 2026 and so in force until
15 January 2027, bars every period of 2026 (the year included) and none of 2027. A barred organisation is not
advanced-eligible (可评先进) in that period, whatever its score; its grade stays the one its score reaches (a bar
takes away the selection, not the grade), and its explanation says why: the award's ``title``, the effect's
``reason`` where given (else the period that brought it) and the last day — "一年内取消参加先进党支部评选资格
（2025年度考核落后，至 2027-01-15）". :func:`bars_in_force` is the one rule: ``scoring.read_inputs`` gives the
engine the barred organisations of the period (``engine.Inputs.barred``, step 5), a correction concludes again with
the same, the policies get them as ``results["barred"]`` (a barred first-tier branch is not given 评先选优优先), and
``results.explain`` says why.

**A bonus coefficient** — ``bonus_weight``, a number ≥ 0 (奖金分配系数: 1.2 for the first tier's tilt). A branch's
coefficient in a period is the product of the ``bonus_weight`` of that period's awards to it, 1.0 where none gives
one. ``results.read_branch_incentives`` shares a pool out over the period's branches in proportion to coefficient —
or to coefficient × member count where one of the scheme's policies says so (:func:`per_member`) — in whole fen
(0.01 yuan) that add up exactly to the pool (:func:`allocate`).

**A multiplier** — ``multiplier``, a number > 0 on an award of kind ``multiplier``: the factor applied to the unit's
annual assessment (乘数效应: organ-standardisation's ×1.05 for 优秀). ``results.read_branch_incentives`` lists each
unit's (the product, where several policies give one: :func:`products`).

:func:`check_effects` refuses a policy's awards whose binding keys are malformed, naming the award.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select

from .contributions import BARRED_FROM, BONUS_WEIGHT, MULTIPLIER
from .cycles import cycle_scheme
from .errors import BadValue
from .i18n import tr
from .models import Cycle, Incentive
from .periods import Period
from .registry import Registry

BAR_COLUMNS = ["org_id", "period", "policy", "code", "title", "until", "text"]


# --- bars ---------------------------------------------------------------------------------------


def bars_in_force(conn: Connection, tenant_id: int, period: Period, *, org_id: int | None = None) -> pd.DataFrame:
    """The bars from the advanced selection in force in ``period`` (:data:`BAR_COLUMNS`, one row per award): awards
    with ``barred_from`` given in a period that ends before ``period`` ends, whose last day is on or after the day
    ``period`` ends. ``text`` says the bar as an explanation does. Awards are made at publication only, so these
    are published periods' awards."""
    i = Incentive.__table__.c
    query = (select(i.org_id, i.period, i.policy, i.code, i.title, i.effect, i.effective_until)
             .where(i.tenant_id == tenant_id, i.effective_until.is_not(None), i.effective_until >= period.last_day)
             .order_by(i.org_id, i.effective_until, i.id))
    if org_id is not None:
        query = query.where(i.org_id == org_id)
    rows = []
    for r in conn.execute(query):
        effect = _effect(r.effect)
        if not effect.get(BARRED_FROM) or Period.parse(r.period).last_day >= period.last_day:
            continue
        until = as_date(r.effective_until)
        why = effect.get("reason") or f"{Period.parse(r.period).label}考核结果"
        rows.append({"org_id": int(r.org_id), "period": r.period, "policy": r.policy, "code": r.code,
                     "title": r.title, "until": until, "text": f"{r.title}（{why}，至 {until.isoformat()}）"})
    return pd.DataFrame(rows, columns=BAR_COLUMNS)


def barred_orgs(conn: Connection, tenant_id: int, period: Period) -> frozenset[int]:
    """The organisations barred from the advanced selection in ``period`` (:func:`bars_in_force`)."""
    return frozenset(int(o) for o in bars_in_force(conn, tenant_id, period)["org_id"])


# --- what a policy may return -------------------------------------------------------------------


def check_effects(made: pd.DataFrame) -> None:
    """Refuse awards whose binding keys are malformed (a ``TypeError`` naming the award and the key): a bar without
    its last day or naming no selection, a coefficient that is not a number ≥ 0, a multiplier that is not a number
    > 0 or on an award of another kind."""
    for row in made[["org_id", "kind", "code", "effect", "effective_until"]].itertuples(index=False):
        effect = row.effect if isinstance(row.effect, Mapping) else {}
        if row.effect is not None and not isinstance(row.effect, Mapping) and not _blank(row.effect):
            _refuse(row, "effect", tr("应为字典（dict）", "should be a dict"))
        if BARRED_FROM in effect:
            if not isinstance(effect[BARRED_FROM], str) or not effect[BARRED_FROM].strip():
                _refuse(row, BARRED_FROM, tr("应写明所取消的评选（文字）", "should name the selection barred from (a text)"))
            if not isinstance(row.effective_until, date):
                _refuse(row, BARRED_FROM, tr("取消评先资格须给出截止日期（effective_until）",
                                             "a bar needs its last day (effective_until)"))
        if BONUS_WEIGHT in effect and not _number(effect[BONUS_WEIGHT], low=0.0, inclusive=True):
            _refuse(row, BONUS_WEIGHT, tr("奖金分配系数应为不小于 0 的数", "should be a number ≥ 0"))
        if MULTIPLIER in effect:
            if not _number(effect[MULTIPLIER], low=0.0, inclusive=False):
                _refuse(row, MULTIPLIER, tr("乘数应为大于 0 的数", "should be a number > 0"))
            if row.kind != "multiplier":
                _refuse(row, MULTIPLIER, tr(f"只能用于 multiplier 类奖惩，而不是 {row.kind}",
                                            f"belongs on an award of kind multiplier, not {row.kind}"))


def _refuse(row: Any, key: str, what: str) -> None:
    raise TypeError(tr(f"奖惩 {row.code}（组织 {row.org_id}）的 effect.{key} {what}",
                       f"award {row.code} (organisation {row.org_id}): effect.{key} {what}"))


def _number(value: Any, *, low: float, inclusive: bool) -> bool:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        return False
    return value >= low if inclusive else value > low


# --- sharing a pool out -------------------------------------------------------------------------


def allocate(total: int, weights: Sequence[Fraction | int], keys: Sequence[str]) -> list[int]:
    """``total`` units (fen) shared out in proportion to ``weights``, in whole units that add up to ``total``.

    Each share is its exact amount rounded down, and the units left over go one each to the largest remainders,
    ties by ``keys`` ascending (the largest-remainder method): an amount differs from its exact share by less than
    one unit, and is its exact share rounded half up (四舍五入) whenever those roundings add up to ``total``. Exact:
    weights are fractions, nothing goes through a float."""
    if total < 0:
        raise ValueError("total must not be negative")
    if len(weights) != len(keys):
        raise ValueError("one key per weight")
    fractions = [w if isinstance(w, Fraction) else Fraction(w) for w in weights]
    if any(w.numerator < 0 for w in fractions):
        raise ValueError("weights must not be negative")
    scale = math.lcm(*(w.denominator for w in fractions)) if fractions else 1
    whole_weights = [w.numerator * (scale // w.denominator) for w in fractions]  # the same ratios, in integers
    whole = sum(whole_weights)
    if whole == 0:
        if total == 0:
            return [0] * len(fractions)
        raise ValueError("the weights add up to 0: nothing to share by")
    # share n is total × w / whole: its floor and remainder (over ``whole``) in integer arithmetic
    amounts, remainders = zip(*(divmod(total * w, whole) for w in whole_weights), strict=True)
    amounts = list(amounts)
    left = total - sum(amounts)
    order = sorted(range(len(amounts)), key=lambda n: (-remainders[n], keys[n]))
    for n in order[:left]:
        amounts[n] += 1
    return amounts


FEN = Decimal("0.01")
MAX_POOL = Decimal("1e13")


def parse_pool(text: str) -> Decimal:
    """A pool in yuan as typed (``500000``, ``100000.01``): a positive amount in whole fen (at most two decimals)."""
    try:
        pool = Decimal(text.strip().replace(",", ""))
    except (InvalidOperation, AttributeError):
        pool = None
    if pool is None or not pool.is_finite() or pool <= 0 or pool >= MAX_POOL:
        raise BadValue(tr(f"--pool {text}：应为大于 0 的金额（元），如 500000 或 100000.01",
                          f"--pool {text}: expected an amount in yuan above 0, e.g. 500000 or 100000.01"))
    if pool != pool.quantize(FEN):
        raise BadValue(tr(f"--pool {text}：金额最多精确到分（两位小数）",
                          f"--pool {text}: an amount is in whole fen (at most two decimals)"))
    return pool.quantize(FEN)


def per_member(cycle: Cycle, registry: Registry, enabled: Iterable[str]) -> bool:
    """Whether a pool of ``cycle`` is shared by coefficient × member count: one of its scheme's enabled policies
    says so (``IncentivePolicy.bonus_per_member``)."""
    policies = registry.policies(enabled)
    return any(policies[name].item.bonus_per_member for name in cycle_scheme(cycle).policies if name in policies)


def products(awards: pd.DataFrame, key: str) -> dict[int, Fraction]:
    """Per organisation, the product of ``key`` over its awards that give one, exactly (a float as the decimal it
    reads as: 1.2 is 6/5)."""
    out: dict[int, Fraction] = {}
    for org_id, effect in zip(awards["org_id"], awards["effect"], strict=True):
        if key in effect:
            out[int(org_id)] = out.get(int(org_id), Fraction(1)) * Fraction(Decimal(repr(effect[key])))
    return out


def _effect(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return json.loads(value)
    return dict(value or {})


def as_date(value: Any) -> date:
    """A stored day (a date, a datetime, a Timestamp or ISO text) as a date."""
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
