"""The record's charts as inline SVG: status over time, progress per run date, a footprint's mosaic.

Written by hand, on purpose: each chart is a grid of coloured rectangles, a few lines and labels (a
few dozen elements), so a charting library would add a dependency, and usually JavaScript or external
assets, for nothing the page needs; the pages must stay single self-contained files. Every text and
attribute value is escaped, every coordinate is an integer, and each square carries a <title> naming
what it shows, so the chart reads without colour too.
"""

from __future__ import annotations

from html import escape

COLOURS = {"met": "#2e7d32", "partly met": "#f9a825", "not met": "#c62828", "no evidence": "#bdbdbd"}
ORDER = ("met", "partly met", "not met", "no evidence")
CELL, GAP, FONT = 18, 2, 12
NS = 'xmlns="http://www.w3.org/2000/svg"'


def _text_width(text: str, size: int = FONT) -> int:
    return int(len(text) * size * 0.6) + 4


def _open(width: int, height: int, title: str) -> str:
    return (f'<svg {NS} width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(title)}" font-family="sans-serif"><title>{escape(title)}</title>')


def _legend(x: int, y: int) -> str:
    parts = []
    for status in ORDER:
        parts.append(f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="{COLOURS[status]}"/>'
                     f'<text x="{x + CELL + 4}" y="{y + 13}" font-size="{FONT}">{escape(status)}</text>')
        x += CELL + 12 + _text_width(status)
    return "".join(parts)


def grid(rows: list[str], columns: list[str], status: dict[tuple[str, str], str], title: str,
         labels: dict[str, str] | None = None) -> str:
    """Rows x columns of squares coloured by ``status[(row, column)]`` ("no evidence" when absent).
    ``labels`` gives a row a shorter or longer label than its key (cut at 48 characters)."""
    names = {r: (labels or {}).get(r, r) for r in rows}
    shown = {r: n if len(n) <= 48 else n[:47] + "…" for r, n in names.items()}
    left = max([_text_width(s) for s in shown.values()] + [60])
    top = max([int(_text_width(c, 10) * 0.72) for c in columns] + [20]) + 10  # labels at -45 degrees
    width = max(left + len(columns) * (CELL + GAP) + 40, left + 460)
    height = top + len(rows) * (CELL + GAP) + 50
    out = [_open(width, height, title)]
    for c, column in enumerate(columns):
        x = left + c * (CELL + GAP) + CELL // 2
        out.append(f'<text x="{x}" y="{top - 6}" font-size="10" transform="rotate(-45 {x} {top - 6})">'
                   f"{escape(column)}</text>")
    for r, row in enumerate(rows):
        y = top + r * (CELL + GAP)
        out.append(f'<text x="0" y="{y + 13}" font-size="{FONT}">{escape(shown[row])}</text>')
        for c, column in enumerate(columns):
            value = status.get((row, column), "no evidence")
            out.append(f'<rect x="{left + c * (CELL + GAP)}" y="{y}" width="{CELL}" height="{CELL}" '
                       f'fill="{COLOURS.get(value, COLOURS["no evidence"])}"><title>{escape(names[row])} / '
                       f"{escape(column)}: {escape(value)}</title></rect>")
    out.append(_legend(left, height - 30))
    out.append("</svg>")
    return "".join(out)


def over_time(history: dict[str, list[tuple[str, str]]], labels: dict[str, str] | None = None) -> str:
    """Capabilities (rows) by run date (columns): each square the status the evidence gave that day."""
    days = sorted({day for points in history.values() for day, _ in points})
    status = {(cap, day): value for cap, points in history.items() for day, value in points}
    return grid(list(history), days, status, "Capability status over time (one column per run date)", labels)


def progress(history: dict[str, list[tuple[str, str]]]) -> str:
    """One stacked bar per run date: how many capabilities were met, partly met, not met, unevidenced."""
    days = sorted({day for points in history.values() for day, _ in points})
    at = {(cap, day): value for cap, points in history.items() for day, value in points}
    total = max(len(history), 1)
    bar, step, plot, left, top = 22, 30, 200, 40, 10
    width = max(left + len(days) * step + 20, 480)
    height = top + plot + 90
    out = [_open(width, height, "Capabilities by status at each run date"),
           f'<line x1="{left - 4}" y1="{top + plot}" x2="{width - 10}" y2="{top + plot}" stroke="#555"/>',
           f'<text x="0" y="{top + 10}" font-size="10">{total}</text>',
           f'<text x="0" y="{top + plot}" font-size="10">0</text>']
    for n, day in enumerate(days):
        x, y = left + n * step, top + plot
        for status in ORDER:
            count = sum(at.get((cap, day), "no evidence") == status for cap in history)
            h = count * plot // total
            if h:
                y -= h
                out.append(f'<rect x="{x}" y="{y}" width="{bar}" height="{h}" fill="{COLOURS[status]}">'
                           f"<title>{escape(day)}: {count} {escape(status)}</title></rect>")
        lx = x + bar // 2
        out.append(f'<text x="{lx}" y="{top + plot + 12}" font-size="10" transform="rotate(45 {lx} '
                   f'{top + plot + 12})">{escape(day)}</text>')
    out.append(_legend(left, height - 24))
    out.append("</svg>")
    return "".join(out)


def mosaic(members: list[str], capabilities: list[str], status: dict[tuple[str, str], str],
           labels: dict[str, str] | None = None) -> str:
    """A footprint's mosaic: capabilities (rows) by member organisations (columns), by status."""
    return grid(capabilities, members, status, "Footprint mosaic: capability by member organisation", labels)
