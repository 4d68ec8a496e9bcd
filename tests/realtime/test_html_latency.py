"""The HTML report draws latency plots from metrics alone: inline SVG, no script, hostile values tolerated."""

from __future__ import annotations

from conformance.model import CheckResult, RunInfo, RunResult, Status
from conformance.reporting.html import render_html
from conformance.reporting.html_latency import latency_plots


def result(metrics: dict[str, object]) -> RunResult:
    check = CheckResult(id="realtime.exchange.observed", suite="realtime", title="t", status=Status.PASS,
                        required=True, requirements=[], capabilities=[], metrics=metrics)
    return RunResult(run=RunInfo(id="r", started="", target={}, harness_version="t"), results=[check])


def test_series_becomes_two_svg_plots_and_leaves_the_table() -> None:
    metrics = {"latency_ms": {"p50": 1.0, "p95": 2.0, "p99": 2.0, "max": 2.0},
               "series": [[0.0, 1.0], [0.1, 2.0], [0.2, 1.5]]}
    page = render_html(result(metrics))
    assert page.count("<svg") == 2 and page.count("<circle") == 3
    assert "<th>series</th>" not in page and "<th>latency_ms</th>" in page
    assert "<script" not in page


def test_load_levels_are_plotted_per_rate_with_a_table() -> None:
    levels = [{"rate": r, "events": 2, "lost": 0, "latency_ms": {"p50": 1, "p95": 2, "max": 3},
               "series": [[0, 1], [0.5, 3]]} for r in (10, 100)]
    html = latency_plots({"levels": levels})
    assert "10/s" in html and "100/s" in html and html.count("<circle") == 4


def test_nothing_to_plot_and_hostile_values() -> None:
    assert latency_plots({"latency_ms": {"p50": 1}}) == ""
    assert latency_plots({"series": "nope"}) == ""
    html = latency_plots({"series": [[0, float("nan")], [1, 2], ["x", 1], [1]]})
    assert html.count("<circle") == 1
    assert "<script>" not in latency_plots({"levels": [{"rate": "<script>", "series": [[0, 1]]}]})
