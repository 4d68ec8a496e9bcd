"""Inline SVG plots of a latency measurement for the HTML report: latency over time and its distribution.

Drawn from the result's ``metrics`` alone (``series``: [[seconds since start, latency ms], ...], and
``levels`` for load runs), so a report re-rendered from JSON draws the same plots. No script, no
external resource: the report's Content-Security-Policy stays as strict as it is.
"""

from __future__ import annotations

import math
from typing import Any

from conformance.reporting.html_evidence import text

PLOTTED = ("series", "levels")  # metrics drawn here instead of listed in the metrics table
W, H, PAD = 360, 150, 34
COLOURS = ("#0969da", "#bf3989", "#1a7f37", "#9a6700", "#8250df", "#cf222e")


def _points(series: Any) -> list[tuple[float, float]]:
    if not isinstance(series, list):
        return []
    out = []
    for item in series:
        if isinstance(item, list | tuple) and len(item) == 2 and all(isinstance(v, int | float) for v in item):
            t, ms = float(item[0]), float(item[1])
            if math.isfinite(t) and math.isfinite(ms):
                out.append((t, ms))
    return out


def _frame(title: str, x_label: str, y_label: str, x_max: float, y_max: float) -> str:
    return (f'<text x="{PAD}" y="12" font-size="11" font-weight="600">{text(title)}</text>'
            f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - 8}" y2="{H - PAD}" stroke="#8c959f"/>'
            f'<line x1="{PAD}" y1="20" x2="{PAD}" y2="{H - PAD}" stroke="#8c959f"/>'
            f'<text x="{W - 8}" y="{H - PAD + 14}" font-size="10" text-anchor="end">{text(x_label)} '
            f"(max {x_max:,.3g})</text>"
            f'<text x="2" y="28" font-size="10">{y_max:,.4g}</text>'
            f'<text x="2" y="{H - PAD}" font-size="10">0</text>'
            f'<text x="{PAD + 4}" y="30" font-size="10" fill="#57606a">{text(y_label)}</text>')


def _svg(body: str, label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" '
            f'aria-label="{text(label)}" style="background:#fff;border:1px solid #d0d7de;margin:4px 8px 4px 0">'
            f"{body}</svg>")


def over_time(runs: list[tuple[str, list[tuple[float, float]]]]) -> str:
    """Each event's latency at the time it was written; one colour per load level."""
    x_max = max((t for _, pts in runs for t, _ in pts), default=0.0) or 1.0
    y_max = max((ms for _, pts in runs for _, ms in pts), default=0.0) or 1.0
    dots, legend = [], []
    for n, (name, pts) in enumerate(runs):
        colour = COLOURS[n % len(COLOURS)]
        for t, ms in pts:
            x = PAD + (W - 8 - PAD) * t / x_max
            y = H - PAD - (H - PAD - 20) * ms / y_max
            dots.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.8" fill="{colour}"/>')
        if name:
            legend.append(f'<text x="{W - 8}" y="{24 + 11 * n}" font-size="10" text-anchor="end" '
                          f'fill="{colour}">{text(name)}</text>')
    return _svg(_frame("Latency over time", "s since first write", "ms", x_max, y_max) + "".join(dots + legend),
                "latency of each event over time")


def distribution(values: list[float], bins: int = 24) -> str:
    """A histogram of latencies (ms)."""
    top = max(values, default=0.0) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int(bins * v / top))] += 1
    peak = max(counts) or 1
    width = (W - 8 - PAD) / bins
    bars = "".join(
        f'<rect x="{PAD + i * width:.1f}" y="{H - PAD - (H - PAD - 20) * c / peak:.1f}" '
        f'width="{max(width - 1, 1):.1f}" height="{(H - PAD - 20) * c / peak:.1f}" fill="#0969da"/>'
        for i, c in enumerate(counts) if c)
    return _svg(_frame("Latency distribution", "latency ms", "events", top, peak) + bars, "latency histogram")


def _level_row(level: dict[str, Any]) -> str:
    found = level.get("latency_ms")
    lat: dict[str, Any] = found if isinstance(found, dict) else {}
    cells = [f"{level.get('rate')}/s", level.get("events"), lat.get("p50"), lat.get("p95"), lat.get("max"),
             level.get("lost")]
    return "<tr>" + "".join(f"<td>{text(c)}</td>" for c in cells) + "</tr>"


def latency_plots(metrics: dict[str, Any]) -> str:
    """The plots for a check's metrics, or "" when it has no latency series."""
    runs: list[tuple[str, list[tuple[float, float]]]] = []
    if isinstance(metrics.get("levels"), list):
        for level in metrics["levels"]:
            if isinstance(level, dict) and _points(level.get("series")):
                runs.append((f"{level.get('rate', '?')}/s", _points(level.get("series"))))
    elif _points(metrics.get("series")):
        runs.append(("", _points(metrics.get("series"))))
    if not runs:
        return ""
    summary = ""
    if isinstance(metrics.get("levels"), list):
        rows = "".join(_level_row(lv) for lv in metrics["levels"] if isinstance(lv, dict))
        summary = ('<table class="metrics"><tr><th>rate</th><th>events</th><th>p50 ms</th><th>p95 ms</th>'
                   f"<th>max ms</th><th>lost</th></tr>{rows}</table>")
    values = [ms for _, pts in runs for _, ms in pts]
    return f'<div class="plots">{summary}{over_time(runs)}{distribution(values)}</div>'
