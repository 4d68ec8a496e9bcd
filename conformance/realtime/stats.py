"""Latency statistics of an exchange: per event, and over a run (percentiles, losses, duplicates, order).

Pure functions over timestamps from one clock (``time.perf_counter`` in the harness's process), so
the figures can be tested exactly and the cost of measuring stays in the receiver's handler.
Percentiles use the nearest-rank method: every reported value is a latency that was observed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

SERIES_POINTS = 2_000  # at most this many (time, latency) points are kept for plots


@dataclass(frozen=True)
class Sent:
    seq: int  # 1, 2, ... in the order written
    patient: str  # order is judged per patient
    key: str  # the marker that identifies this event in a notification
    at: float  # perf_counter just before the write was sent


@dataclass(frozen=True)
class Arrival:
    key: str
    at: float  # perf_counter when the notification body was in


@dataclass
class Measurement:
    events: int = 0
    observed: int = 0
    lost: list[int] = field(default_factory=list)  # seqs never seen
    duplicates: int = 0  # arrivals of an event already seen
    order_violations: int = 0  # events that arrived after a later event of the same patient
    unmatched: int = 0  # arrivals naming no event we wrote
    latencies_ms: list[float] = field(default_factory=list)  # per observed event, in seq order
    series: list[tuple[float, float]] = field(default_factory=list)  # (seconds since start, latency ms)
    rate_per_s: float = 0.0  # the rate the writes achieved
    out_of_order: list[int] = field(default_factory=list)

    def latency_ms(self) -> dict[str, float]:
        values = sorted(self.latencies_ms)
        return {f"p{q}": percentile(values, q / 100) for q in (50, 95, 99)} | {
            "max": round(values[-1], 3) if values else 0.0}

    def metrics(self) -> dict[str, Any]:
        return {
            "latency_ms": self.latency_ms(),
            "events": self.events,
            "observed": self.observed,
            "lost": len(self.lost),
            "duplicates": self.duplicates,
            "order_violations": self.order_violations,
            "rate_per_s": round(self.rate_per_s, 2),
            "series": [[round(t, 4), round(ms, 3)] for t, ms in self.series],
        }

    def summary(self) -> str:
        lat = self.latency_ms()
        return (f"{self.observed}/{self.events} events observed at {self.rate_per_s:.1f}/s; latency p50 "
                f"{lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms, p99 {lat['p99']:.1f} ms, max {lat['max']:.1f} ms; "
                f"{len(self.lost)} lost, {self.duplicates} duplicated, {self.order_violations} out of order")


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least ``q`` of the values at or below it."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q * len(sorted_values)))
    return round(sorted_values[min(rank, len(sorted_values)) - 1], 3)


def measure(sent: list[Sent], arrivals: list[Arrival]) -> Measurement:
    """Match arrivals to writes by key; the first arrival of an event gives its latency."""
    by_key = {s.key: s for s in sent}
    first: dict[int, float] = {}
    result = Measurement(events=len(sent))
    newest: dict[str, int] = {}  # per patient: the highest seq seen so far
    for arrival in sorted(arrivals, key=lambda a: a.at):
        event = by_key.get(arrival.key)
        if event is None:
            result.unmatched += 1
            continue
        if event.seq in first:
            result.duplicates += 1
            continue
        first[event.seq] = arrival.at
        if newest.get(event.patient, 0) > event.seq:
            result.order_violations += 1
            result.out_of_order.append(event.seq)
        newest[event.patient] = max(newest.get(event.patient, 0), event.seq)
    result.observed = len(first)
    result.lost = [s.seq for s in sent if s.seq not in first]
    start = sent[0].at if sent else 0.0
    for s in sent:
        if s.seq in first:
            ms = (first[s.seq] - s.at) * 1000
            result.latencies_ms.append(ms)
            result.series.append((s.at - start, ms))
    if len(result.series) > SERIES_POINTS:
        step = len(result.series) / SERIES_POINTS
        result.series = [result.series[int(i * step)] for i in range(SERIES_POINTS)]
    if len(sent) > 1 and sent[-1].at > start:
        result.rate_per_s = (len(sent) - 1) / (sent[-1].at - start)
    return result
