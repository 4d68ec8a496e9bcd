"""Self-contained HTML pages for an organisation's record, a footprint, a roadmap and a comparison.

One file each, to be mailed or attached to a board paper: inline CSS, charts as inline SVG (svg.py),
no script, font, image or link to anything outside the file. Every text that came from data (names,
notes, check messages, run ids) is escaped; the details behind a verdict fold away in <details>.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from html import escape

from conformance.maturity import svg
from conformance.maturity.compare import Matrix
from conformance.maturity.roadmap import MilestoneView, Roadmap
from conformance.maturity.score import CapabilityStatus, FootprintRecord, OrgRecord

STYLE = ("body{font-family:system-ui,sans-serif;margin:2em;max-width:80em;color:#222}"
         "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.3em .5em;"
         "vertical-align:top;text-align:left}th{background:#f5f5f5}small{color:#555}"
         ".met{background:#c8e6c9}.partly{background:#fff9c4}.not{background:#ffcdd2}.none{background:#eee}"
         ".flag{color:#b71c1c;font-weight:bold}.under{color:#1a237e;font-weight:bold}"
         "details summary{cursor:pointer}code{font-size:.9em}@media print{details{display:block}}")
CLASS = {"met": "met", "partly met": "partly", "not met": "not", "no evidence": "none", "pass": "met",
         "partial": "partly", "fail": "not", "not tested": "none", "achieved": "met", "on track": "partly",
         "at risk": "not", "missed": "not", "skip": "none", "error": "not"}
Milestones = Roadmap | Sequence[MilestoneView] | None


def page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>'
            f"<body><h1>{escape(title)}</h1>{body}</body></html>\n")


def status_cell(value: str, extra: str = "") -> str:
    return f'<td class="{CLASS.get(value, "none")}">{escape(value)}{extra}</td>'


def _views(roadmap: Milestones) -> list[MilestoneView]:
    if roadmap is None:
        return []
    return list(roadmap.milestones) if isinstance(roadmap, Roadmap) else list(roadmap)


def roadmap_table(roadmap: Milestones) -> str:
    rows = []
    for v in _views(roadmap):
        behind = "<br>".join(f"<code>{escape(c)}</code>: {escape(v.statuses.get(c, 'no evidence'))}"
                             + (f" <small>({escape(', '.join(v.laggards[c]))})</small>" if v.laggards.get(c) else "")
                             for c in v.behind) or "—"
        rows.append(f"<tr><td>{escape(v.title)}<br><small>{escape(v.id)}</small></td><td>{escape(v.target_date)}"
                    f"</td>{status_cell(v.state)}<td><small>{behind}</small></td></tr>")
    return ("<table><tr><th>Milestone</th><th>Target</th><th>By the evidence</th><th>Not yet met (who is behind)</th>"
            f"</tr>{''.join(rows)}</table>")


def _requirements(c: CapabilityStatus) -> str:
    parts = []
    for r in c.requirements:
        checks = "".join(f"<li><code>{escape(s.check_id)}</code> {escape(s.status)}"
                         f"{'' if s.required else ' (optional)'} <small>run {escape(s.run_id)}"
                         f"{': ' + escape(s.message) if s.message else ''}</small></li>" for s in r.checks)
        tally = Counter(s.status for s in r.checks)
        counts = ", ".join(f"{tally[k]} {k}" for k in ("pass", "fail", "error", "skip") if tally[k])
        summary = f"{escape(r.requirement.title)}: <b>{escape(r.status)}</b> ({escape(counts or 'no check ran')})"
        parts.append(f"<details><summary>{summary}</summary><ul>{checks or '<li>no mapped check ran</li>'}</ul>"
                     "</details>" if r.checks else f"<div>{summary}</div>")
    return "".join(parts)


def _claim(c: CapabilityStatus) -> str:
    if c.claim is None:
        return "—"
    text = escape(f"{c.claim.claim} ({c.claim.assessed_on})")
    if c.claim.note:
        text += f"<br><small>{escape(c.claim.note)}</small>"
    if c.flag == "over-claim":
        text += '<br><span class="flag">over-claim: contradicted by the evidence, flagged for audit</span>'
    elif c.flag == "under-claim":
        text += '<br><span class="under">under-claim: the evidence shows more, flagged for audit</span>'
    elif c.status == "no evidence":
        text += "<br><small>unevidenced: no mapped check has run</small>"
    return text


def org_page(record: OrgRecord, roadmap: Milestones = None) -> str:
    org = record.organisation
    counts = Counter(c.status for c in record.capabilities)
    summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in svg.ORDER)
    rows = "".join(
        f"<tr><td>{escape(c.capability.title)}<br><small>{escape(c.capability.id)}"
        f"{' · universal capability' if c.capability.universal else ''}</small></td>{status_cell(c.status)}"
        f"<td>{_claim(c)}</td><td><small>{_requirements(c)}</small></td>"
        f"<td><small>{escape(' '.join(c.runs)) or '—'}</small></td></tr>" for c in record.capabilities)
    labels = {c.capability.id: c.capability.id for c in record.capabilities}
    body = (f"<p>{escape(org.name)} ({escape(org.ods_code)}, {escape(org.kind)}): evidence as of "
            f"{escape(record.as_of)}. {escape(summary)}. <b>{len(record.flagged)} claim(s) flagged for audit.</b></p>"
            "<table><tr><th>Capability</th><th>Evidence</th><th>Self-assessment</th><th>Requirements and checks</th>"
            f"<th>Runs</th></tr>{rows}</table><h2>Over time</h2>{svg.progress(record.history)}"
            f"{svg.over_time(record.history, labels)}")
    if roadmap is not None:
        body += f"<h2>Roadmap</h2>{roadmap_table(roadmap)}"
    return page(f"Digital maturity record: {org.name}", body)


def footprint_page(record: FootprintRecord, roadmap: Milestones = None) -> str:
    members = [m.organisation.ods_code for m in record.members] + list(record.missing)
    capabilities = list(record.slowest)
    status = {(c, m): record.member_status(m, c) for m in members for c in capabilities}
    member_rows = "".join(
        f"<tr><td>{escape(m.organisation.ods_code)}</td><td>{escape(m.organisation.name)}</td>"
        f"<td>{escape(m.organisation.kind)}</td><td>{sum(c.status == 'met' for c in m.capabilities)}</td>"
        f"<td>{len(m.flagged)}</td></tr>" for m in record.members)
    member_rows += "".join(f"<tr><td>{escape(m)}</td><td colspan='4'>no record (counted as no evidence)</td></tr>"
                           for m in record.missing)
    rows = "".join(f"<tr><td>{escape(c)}</td>{status_cell(s)}<td>"
                   f"{escape(', '.join(record.laggard_codes.get(c, (who,))))}</td></tr>"
                   for c, (s, who) in record.slowest.items())
    body = (f"<p>{escape(record.footprint.code)}: {len(members)} member(s).</p><table><tr><th>ODS code</th>"
            f"<th>Name</th><th>Kind</th><th>Capabilities met</th><th>Claims flagged</th></tr>{member_rows}</table>"
            f"{svg.mosaic(members, capabilities, status)}<h2>Slowest member per capability</h2><table><tr>"
            f"<th>Capability</th><th>Status</th><th>Slowest member(s)</th></tr>{rows}</table>")
    if roadmap is not None:
        body += f"<h2>Roadmap</h2>{roadmap_table(roadmap)}"
    return page(f"Footprint record: {record.footprint.name}", body)


def roadmap_page(roadmap: Roadmap) -> str:
    body = (f"<p>{escape(roadmap.subject_name)} ({escape(roadmap.subject_code)}, {escape(roadmap.kind)}): judged "
            f"by the evidence as of {escape(roadmap.as_of)}.</p>{roadmap_table(roadmap)}")
    return page(f"Local digital roadmap: {roadmap.subject_name}", body)


def compare_page(matrix: Matrix) -> str:
    head = "".join(f"<th>{escape(c.run.system.label)}<br><small>{escape(c.run.run_id)}</small></th>"
                   for c in matrix.columns)
    rows = []
    for r in matrix.requirements:
        cells = []
        for c in matrix.columns:
            cell = c.cells[r.id]
            detail = "".join(f"<li>{escape(kind)}: <code>{escape(check)}</code></li>"
                             for kind, checks in (("passed", cell.passed), ("failed", cell.failed),
                                                  ("skipped or not judged", cell.skipped),
                                                  ("optional, failed", cell.optional_failed))
                             for check in checks)
            cells.append(status_cell(cell.verdict, f"<details><summary><small>checks</small></summary><ul>{detail}"
                                                   "</ul></details>" if detail else ""))
        rows.append(f"<tr><td>{escape(r.title)}<br><small>{escape(r.id)}</small></td><td>{escape(r.weight)}</td>"
                    f"{''.join(cells)}</tr>")
    scores = "".join(f"<td><b>{c.score}</b>" + (f'<br><span class="flag">fails a must: '
                                                 f"{escape(', '.join(c.musts_failed))}</span>" if c.fails_must else "")
                     + "</td>" for c in matrix.columns)
    ranking = "".join(f"<li>{escape(c.label)}: {c.score}{' (fails a must)' if c.fails_must else ''}</li>"
                      for c in matrix.ranked())
    body = (f"<table><tr><th>Requirement</th><th>Weight</th>{head}</tr>{''.join(rows)}"
            f"<tr><th>Weighted score (0-100)</th><td></td>{scores}</tr></table><h2>Ranking</h2><ol>{ranking}</ol>"
            "<p><small>must 3, should 2, could 1; pass earns the weight, partial half of it. A must that is not a "
            "pass fails the system, whatever its score.</small></p>")
    return page("Vendor comparison", body)
