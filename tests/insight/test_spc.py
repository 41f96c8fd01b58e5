"""SPC: limits by the textbook constants, signals where a real shift is, none on a flat or noisy-stable series."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fairpath.insight.spc import NotEnoughData, find_signals, p_chart, xmr_chart


def test_xmr_limits_by_hand():
    chart = xmr_chart([10, 12, 11, 13, 12])
    # moving ranges 2, 1, 2, 1 -> MR-bar 1.5; mean 11.6; limits 11.6 ± 2.66 * 1.5 (3 / 1.128 * 1.5)
    assert chart.centre == pytest.approx(11.6)
    assert chart.upper[0] == pytest.approx(11.6 + 3 * 1.5 / 1.128)
    assert chart.lower[0] == pytest.approx(11.6 - 3 * 1.5 / 1.128)
    assert chart.moving_range_upper == pytest.approx(3.267 * 1.5)
    assert chart.signals == []


def test_a_point_far_outside_fires_rule_one():
    values = [10, 11, 10, 11, 10, 11, 10, 11, 30]
    assert (1, 8) in {(signal.rule, signal.index) for signal in xmr_chart(values).signals}


def test_eight_on_one_side_fires_rule_four():
    values = [10, 12] * 5 + [11.5] * 8
    signals = xmr_chart(values).signals
    assert any(signal.rule == 4 for signal in signals)


def test_six_rising_fires_the_trend_rule():
    values = [10, 12, 10, 12, 10, 11, 12, 13, 14, 15, 16]
    assert any(signal.rule == 5 and signal.index == 10 for signal in xmr_chart(values).signals)


def test_p_chart_limits_vary_with_the_population_and_stay_in_bounds():
    chart = p_chart([45, 40, 90], [50, 50, 100])
    p_bar = 175 / 200
    assert chart.centre == pytest.approx(p_bar)
    assert chart.upper[0] == pytest.approx(min(1, p_bar + 3 * (p_bar * (1 - p_bar) / 50) ** 0.5))
    assert chart.upper[2] < chart.upper[0]
    assert all(0 <= low <= high <= 1 for low, high in zip(chart.lower, chart.upper, strict=True))


@pytest.mark.parametrize(("events", "totals"), [([1], [2]), ([0, 0], [0, 0])])
def test_too_little_data_is_said_not_drawn_as_zero(events, totals):
    with pytest.raises(NotEnoughData):
        p_chart(events, totals)


def test_bad_proportions_are_refused():
    with pytest.raises(ValueError, match="events"):
        p_chart([5, 1], [4, 2])
    with pytest.raises(NotEnoughData):
        xmr_chart([3])


@given(st.lists(st.integers(-(10**6), 10**6), min_size=2, max_size=40), st.integers(-10, 10))
def test_signals_do_not_change_under_a_change_of_units(values, power):
    """Pence to pounds, counts to thousands: scaling (exactly, by a power of two) changes no signal."""
    before = xmr_chart(values)
    after = xmr_chart([value * 2.0**power for value in values])
    assert {(s.rule, s.index) for s in before.signals} == {(s.rule, s.index) for s in after.signals}


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.integers(min_value=2, max_value=50))
def test_a_flat_series_never_signals(value, count):
    chart = xmr_chart([value] * count)
    assert chart.signals == [] and chart.upper[0] == pytest.approx(chart.lower[0])


@given(
    st.lists(
        st.tuples(st.integers(0, 500), st.integers(1, 500)).map(lambda t: (min(t), max(t))),
        min_size=2,
        max_size=30,
    )
)
def test_p_chart_points_and_limits_are_proportions(pairs):
    chart = p_chart([e for e, _ in pairs], [n for _, n in pairs])
    assert all(0 <= value <= 1 for value in chart.values)
    assert all(
        0 <= low <= chart.centre <= high <= 1 for low, high in zip(chart.lower, chart.upper, strict=True)
    )


def test_find_signals_with_zero_spread_is_silent():
    assert find_signals([1, 1, 1], 1, [0, 0, 0]) == []
