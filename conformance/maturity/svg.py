"""The record's two charts as inline SVG: status over time, and a footprint's mosaic.

Drawn by hand: each chart is a grid of coloured squares with labels, a few dozen elements; a charting
library would add a dependency and JavaScript for nothing the page needs. Text is escaped.
"""

from __future__ import annotations

from html import escape

COLOURS = {"met": "#2e7d32", "partly met": "#f9a825", "not met": "#c62828", "no evidence": "#bdbdbd"}
CELL, GAP, LABEL = 18, 2, 230


def _legend(y: int) -> str:
    parts = []
    for n, (status, colour) in enumerate(COLOURS.items()):
        x = LABEL + n * 110
        parts.append(f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="{colour}"/>'
                     f'<text x="{x + CELL + 4}" y="{y + 13}" font-size="12">{escape(status)}</text>')
    return "".join(parts)


def grid(rows: list[str], columns: list[str], status: dict[tuple[str, str], str], title: str) -> str:
    """Rows x columns of squares coloured by ``status[(row, column)]`` ("no evidence" when absent)."""
    width = LABEL + max(len(columns), 4) * (CELL + GAP) + 240
    height = 40 + len(rows) * (CELL + GAP) + 70
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
           f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for c, column in enumerate(columns):
        x = LABEL + c * (CELL + GAP) + CELL // 2
        out.append(f'<text x="{x}" y="30" font-size="10" transform="rotate(-45 {x} 30)">{escape(column)}</text>')
    for r, row in enumerate(rows):
        y = 40 + r * (CELL + GAP)
        out.append(f'<text x="0" y="{y + 13}" font-size="12">{escape(row[:34])}</text>')
        for c, column in enumerate(columns):
            value = status.get((row, column), "no evidence")
            out.append(f'<rect x="{LABEL + c * (CELL + GAP)}" y="{y}" width="{CELL}" height="{CELL}" '
                       f'fill="{COLOURS.get(value, COLOURS["no evidence"])}"><title>{escape(row)} / '
                       f'{escape(column)}: {escape(value)}</title></rect>')
    out.append(_legend(height - 30))
    out.append("</svg>")
    return "".join(out)


def over_time(history: dict[str, list[tuple[str, str]]]) -> str:
    days = sorted({day for points in history.values() for day, _ in points})
    status = {(cap, day): value for cap, points in history.items() for day, value in points}
    return grid(list(history), days, status, "Capability status over time (one column per run date)")


def mosaic(members: list[str], capabilities: list[str], status: dict[tuple[str, str], str]) -> str:
    return grid(capabilities, members, status, "Footprint mosaic: capability by member organisation")
