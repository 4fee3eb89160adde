"""四舍五入 to 0.01, decimal-exact: ``rounding.half_up`` against ``decimal.Decimal`` with ``ROUND_HALF_UP``."""

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from bastion.core.rounding import half_up


def decimal_half_up(x: float) -> float:
    return float(Decimal(repr(x)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def test_ties_round_half_up_not_to_even():
    assert half_up(22.225) == 22.23  # numpy: 22.22 (the float is 22.22499999…)
    assert half_up(0.125) == 0.13  # half to even: 0.12
    assert half_up(2.675) == 2.68
    assert half_up(1.005) == 1.01
    assert half_up(-0.125) == -0.13  # half away from zero, as ROUND_HALF_UP
    assert half_up(0.124999) == 0.12


def test_a_series_keeps_its_index_and_nan():
    values = pd.Series([22.225, np.nan, 3.0], index=[7, 8, 9], name="points")
    rounded = half_up(values)
    assert rounded.index.tolist() == [7, 8, 9] and rounded.name == "points"
    assert rounded.iloc[0] == 22.23 and np.isnan(rounded.iloc[1]) and rounded.iloc[2] == 3.0


@settings(max_examples=3000, deadline=None)
@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False))
def test_any_float_as_decimal_does(x):
    assert half_up(x) == decimal_half_up(x)


@settings(max_examples=2000, deadline=None)
@given(st.integers(min_value=-10**9, max_value=10**9), st.integers(min_value=0, max_value=9))
def test_every_three_place_decimal_as_decimal_does(hundredths, third):
    """The ties themselves (x.xx5) and their neighbours, typed as a user would type them."""
    x = float(f"{hundredths / 100:.2f}{third}")
    assert half_up(x) == decimal_half_up(x)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1000, allow_nan=False), min_size=1, max_size=50))
def test_arrays_round_each_value_as_alone(values):
    assert half_up(np.array(values)).tolist() == [half_up(v) for v in values]
