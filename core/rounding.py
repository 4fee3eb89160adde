"""Rounding points the Chinese way: 四舍五入 to 0.01, decimal-exact.

A point is kept to :data:`ROUND` decimals. Chinese scoring rounds half up (四舍五入): 22.225 → 22.23,
0.125 → 0.13, and half away from zero below it (−0.125 → −0.13), as ``decimal.ROUND_HALF_UP`` does.
numpy's ``round`` rounds half to even, and on binary floats: 22.225 is stored as 22.22499999…, so even
a half-up rounding of ``x × 100`` would give 22.22.

"Decimal-exact" means: a float is taken as the shortest decimal that reads back as it (what ``repr``
prints, what a user typed), and that decimal is rounded. :func:`half_up` does it for a whole array
without leaving numpy: it estimates the result, then settles it against the exact halfway points.
The halfway point between k−1 and k hundredths is the decimal (2k − 1) / 200; dividing those two
integers in floating point gives the float nearest to it (IEEE division is correctly rounded), and
for a float x whose shortest decimal is d, d ≥ (2k − 1)/200 exactly when x ≥ that float: a decimal
with three places that reads back as x is x's shortest decimal or shorter still. So comparing floats
decides the decimal question, and the result is exactly what ``Decimal(repr(x)).quantize(Decimal("0.01"),
ROUND_HALF_UP)`` gives (``tests/core/test_rounding.py`` checks it with hypothesis).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ROUND = 2
"""Points are kept to this many decimals (0.01): the engine rounds each line's points to them, and reasons
show numbers the same way."""

_SCALE = 10 ** ROUND


def half_up(values: pd.Series | np.ndarray | float) -> pd.Series | np.ndarray | float:
    """``values`` rounded half up (四舍五入) to :data:`ROUND` decimals, decimal-exact; NaN stays NaN.

    A Series keeps its index and name; a scalar gives a float."""
    if isinstance(values, pd.Series):
        return pd.Series(_half_up(values.to_numpy(dtype=float)), index=values.index, name=values.name)
    if np.ndim(values) == 0:
        return float(_half_up(np.array([values], dtype=float))[0])
    return _half_up(np.asarray(values, dtype=float))


def _half_up(x: np.ndarray) -> np.ndarray:
    magnitude = np.abs(x)
    with np.errstate(invalid="ignore"):
        # floor(|x| × 100) in floating point is the true floor of the decimal's hundredths, or one off
        # either way; the answer is that floor or one more. So start one below the estimate and count
        # the halfway points (2k − 1)/200 reached above it: they are reached in order.
        base = np.floor(magnitude * _SCALE) - 1
        reached = sum((magnitude >= (2 * (base + step) - 1) / (2 * _SCALE)).astype(float) for step in (1, 2, 3))
        k = base + reached
    return np.where(np.isfinite(x), np.copysign(k / _SCALE, x), x)
