"""Latency statistics: nearest-rank percentiles, losses, duplicates and per-patient order, exactly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from conformance.realtime.stats import Arrival, Sent, measure, percentile


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([], 0.5) == 0.0
    assert percentile([7.0], 0.99) == 7.0


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=200))
def test_percentiles_are_observed_values_in_order(values: list[float]) -> None:
    ordered = sorted(values)
    p50, p95, p99 = (percentile(ordered, q) for q in (0.5, 0.95, 0.99))
    assert p50 <= p95 <= p99 <= round(ordered[-1], 3)
    assert p50 in [round(v, 3) for v in ordered]


def test_latency_loss_duplicates_and_order_per_patient() -> None:
    sent = [Sent(1, "a", "k1", 0.0), Sent(2, "b", "k2", 0.1), Sent(3, "a", "k3", 0.2), Sent(4, "b", "k4", 0.3)]
    arrivals = [Arrival("k1", 0.010), Arrival("k3", 0.215), Arrival("k2", 0.250),  # k2 late, but b's order holds
                Arrival("k1", 0.300),  # a duplicate
                Arrival("other", 0.31)]  # not ours
    m = measure(sent, arrivals)
    assert m.observed == 3 and m.lost == [4] and m.duplicates == 1 and m.unmatched == 1
    assert m.order_violations == 0
    assert [round(v, 3) for v in m.latencies_ms] == [10.0, 150.0, 15.0]
    lat = m.latency_ms()
    assert lat == {"p50": 15.0, "p95": 150.0, "p99": 150.0, "max": 150.0}
    metrics = m.metrics()
    assert metrics["lost"] == 1 and metrics["series"][0] == [0.0, 10.0]


def test_an_event_arriving_after_a_later_one_of_the_same_patient_is_out_of_order() -> None:
    sent = [Sent(1, "a", "k1", 0.0), Sent(2, "b", "k2", 0.01), Sent(3, "a", "k3", 0.02)]
    m = measure(sent, [Arrival("k3", 0.03), Arrival("k2", 0.04), Arrival("k1", 0.05)])
    assert m.order_violations == 1 and m.out_of_order == [1]


def test_rate_is_what_the_writes_achieved() -> None:
    sent = [Sent(n + 1, "a", f"k{n}", n * 0.25) for n in range(5)]
    assert measure(sent, []).rate_per_s == 4.0
