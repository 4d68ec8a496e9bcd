"""The record's outputs: self-contained HTML pages, CSV and JSON, for an organisation, a footprint, a
roadmap and a vendor comparison. Every text is escaped; no external asset, script or font."""

from __future__ import annotations

import csv
import io
from html import escape
from typing import Any

from conformance.maturity import svg
from conformance.maturity.compare import Matrix
from conformance.maturity.score import FootprintRecord, MilestoneView, OrgRecord

STYLE = ("body{font-family:system-ui,sans-serif;margin:2em;max-width:75em}table{border-collapse:collapse}"
         "td,th{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;text-align:left}"
         ".met{background:#c8e6c9}.partly{background:#fff9c4}.not{background:#ffcdd2}.none{background:#eee}"
         ".flag{color:#b71c1c;font-weight:bold}")
CLASS = {"met": "met", "partly met": "partly", "not met": "not", "no evidence": "none", "pass": "met",
         "partial": "partly", "fail": "not", "not tested": "none", "achieved": "met", "on track": "partly",
         "at risk": "not", "missed": "not"}


def page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>\n")


def _status(value: str) -> str:
    return f'<td class="{CLASS.get(value, "none")}">{escape(value)}</td>'


def org_rows(record: OrgRecord) -> list[dict[str, str]]:
    return [{"ods_code": record.organisation.ods_code, "capability": c.capability.id, "title": c.capability.title,
             "status": c.status, "claim": c.claim.claim if c.claim else "", "claimed_on":
             c.claim.assessed_on if c.claim else "", "flag_for_audit": "yes" if c.contradicted else "",
             "runs": " ".join(c.runs)} for c in record.capabilities]


def org_html(record: OrgRecord, roadmap: list[MilestoneView]) -> str:
    org = record.organisation
    rows = []
    for c in record.capabilities:
        reqs = "<br>".join(f"{escape(r.requirement.title)}: {escape(r.status)} ({r.passed}/{len(r.checks)} "
                           "checks passed)" for r in c.requirements)
        claim = escape(f"{c.claim.claim} ({c.claim.assessed_on})") if c.claim else "—"
        flag = '<span class="flag">contradicted by the evidence: audit</span>' if c.contradicted else ""
        rows.append(f"<tr><td>{escape(c.capability.title)}<br><small>{escape(c.capability.id)}</small></td>"
                    f"{_status(c.status)}<td>{claim} {flag}</td><td><small>{reqs}</small></td>"
                    f"<td><small>{escape(' '.join(c.runs)) or '—'}</small></td></tr>")
    flagged = sum(c.contradicted for c in record.capabilities)
    body = (f"<p>{escape(org.name)} ({escape(org.ods_code)}, {escape(org.kind)}): evidence as of "
            f"{escape(record.as_of)}. {flagged} claim(s) flagged for audit.</p>"
            "<table><tr><th>Capability</th><th>Evidence</th><th>Self-assessment</th><th>Requirements</th>"
            f"<th>Runs</th></tr>{''.join(rows)}</table><h2>Over time</h2>{svg.over_time(record.history)}"
            f"<h2>Roadmap</h2>{roadmap_table(roadmap)}")
    return page(f"Digital maturity record: {org.name}", body)


def roadmap_table(views: list[MilestoneView]) -> str:
    rows = "".join(f"<tr><td>{escape(v.title)}</td><td>{escape(v.target_date)}</td>{_status(v.state)}"
                   f"<td><small>{escape(', '.join(v.behind)) or '—'}</small></td></tr>" for v in views)
    return ("<table><tr><th>Milestone</th><th>Target</th><th>By the evidence</th><th>Not yet met</th></tr>"
            f"{rows}</table>")


def roadmap_rows(subject: str, views: list[MilestoneView]) -> list[dict[str, str]]:
    return [{"subject": subject, "milestone": v.id, "title": v.title, "target_date": v.target_date,
             "state": v.state, "not_yet_met": " ".join(v.behind)} for v in views]


def footprint_html(record: FootprintRecord, roadmap: list[MilestoneView]) -> str:
    members = [r.organisation.ods_code for r in record.members]
    capabilities = list(record.slowest)
    status = {(c, m.organisation.ods_code): m.status(c) for m in record.members for c in capabilities}
    rows = "".join(f"<tr><td>{escape(c)}</td>{_status(s)}<td>{escape(who)}</td></tr>"
                   for c, (s, who) in record.slowest.items())
    body = (f"<p>Members: {escape(', '.join(members))}.</p>{svg.mosaic(members, capabilities, status)}"
            f"<h2>Slowest member per capability</h2><table><tr><th>Capability</th><th>Status</th>"
            f"<th>Slowest member</th></tr>{rows}</table><h2>Roadmap</h2>{roadmap_table(roadmap)}")
    return page(f"Footprint record: {record.footprint.name}", body)


def footprint_rows(record: FootprintRecord) -> list[dict[str, str]]:
    return [{"footprint": record.footprint.code, "capability": c, "slowest_status": s, "slowest_member": who,
             **{m.organisation.ods_code: m.status(c) for m in record.members}}
            for c, (s, who) in record.slowest.items()]


def compare_rows(matrix: Matrix) -> list[dict[str, str]]:
    rows = []
    for r in matrix.requirements:
        row = {"requirement": r.id, "title": r.title, "weight": r.weight}
        row.update({c.run.run_id: c.cells[r.id].verdict for c in matrix.columns})
        rows.append(row)
    rows.append({"requirement": "score", "title": "weighted score (0-100)", "weight": "",
                 **{c.run.run_id: f"{c.score}" + (" (fails a must)" if c.fails_must else "") for c in matrix.columns}})
    return rows


def compare_html(matrix: Matrix) -> str:
    head = "".join(f"<th>{escape(c.run.system.label)}<br><small>{escape(c.run.run_id)}</small></th>"
                   for c in matrix.columns)
    rows = []
    for r in matrix.requirements:
        cells = "".join(_status(c.cells[r.id].verdict) for c in matrix.columns)
        rows.append(f"<tr><td>{escape(r.title)}</td><td>{escape(r.weight)}</td>{cells}</tr>")
    scores = "".join(f"<td>{c.score}{' <span class=flag>fails a must</span>' if c.fails_must else ''}</td>"
                     for c in matrix.columns)
    body = (f"<table><tr><th>Requirement</th><th>Weight</th>{head}</tr>{''.join(rows)}"
            f"<tr><th>Weighted score</th><td></td>{scores}</tr></table>")
    return page("Vendor comparison", body)


def to_csv(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
