"""CSV exports of the record's views: an organisation, a footprint, a roadmap, a vendor comparison.

One row per thing a spreadsheet user filters on (a capability, a milestone, a requirement x run), with
the check ids behind each verdict so an auditor can go from a cell to the evidence. Cells that a
spreadsheet would run as a formula (=, +, @, tab, CR first) are written with a leading apostrophe;
``from_csv`` removes it again, so exports read back unchanged.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from conformance.maturity.compare import Matrix
from conformance.maturity.roadmap import MilestoneView, Roadmap
from conformance.maturity.score import FootprintRecord, OrgRecord

FORMULA = ("=", "+", "@", "\t", "\r")


def org_rows(record: OrgRecord) -> list[dict[str, str]]:
    """One row per capability: status by the evidence, the claim beside it, the audit flag, the runs."""
    return [{"ods_code": record.organisation.ods_code, "capability": c.capability.id, "title": c.capability.title,
             "status": c.status, "claim": c.claim.claim if c.claim else "",
             "claimed_on": c.claim.assessed_on if c.claim else "",
             "flag_for_audit": "yes" if c.contradicted else "", "flag": c.flag, "runs": " ".join(c.runs),
             "requirements": "; ".join(f"{r.requirement.id}: {r.status}" for r in c.requirements)}
            for c in record.capabilities]


def evidence_rows(record: OrgRecord) -> list[dict[str, str]]:
    """One row per outcome behind each capability's status (capability x requirement x check)."""
    return [{"ods_code": record.organisation.ods_code, "capability": c.capability.id, "requirement": r.requirement.id,
             "requirement_status": r.status, "run": seen.run_id, "check": seen.check_id, "outcome": seen.status,
             "required": "yes" if seen.required else "no", "message": seen.message}
            for c in record.capabilities for r in c.requirements for seen in r.checks]


def history_rows(record: OrgRecord) -> list[dict[str, str]]:
    return [{"ods_code": record.organisation.ods_code, "capability": cap, "date": day, "status": status}
            for cap, points in record.history.items() for day, status in points]


def footprint_rows(record: FootprintRecord) -> list[dict[str, str]]:
    """One row per capability: the slowest status, who is slowest, and each member's status."""
    members = [m.organisation.ods_code for m in record.members] + list(record.missing)
    return [{"footprint": record.footprint.code, "capability": c, "slowest_status": s, "slowest_member": who,
             "slowest_members": " ".join(record.laggard_codes.get(c, (who,))),
             **{m: record.member_status(m, c) for m in members}}
            for c, (s, who) in record.slowest.items()]


def roadmap_rows(subject: str | Roadmap, views: list[MilestoneView] | None = None) -> list[dict[str, str]]:
    """One row per milestone: ``roadmap_rows(roadmap)`` or ``roadmap_rows(code, milestone_views)``."""
    if isinstance(subject, Roadmap):
        code, milestones = subject.subject_code, subject.milestones
    else:
        code, milestones = subject, views or []
    return [{"subject": code, "milestone": v.id, "title": v.title, "target_date": v.target_date, "state": v.state,
             "not_yet_met": " ".join(v.behind),
             "behind_members": "; ".join(f"{c}: {' '.join(v.laggards[c])}" for c in v.behind if v.laggards.get(c))}
            for v in milestones]


def compare_rows(matrix: Matrix) -> list[dict[str, str]]:
    """The matrix as a sheet: requirements down, runs across, then a score row."""
    rows = []
    for r in matrix.requirements:
        row = {"requirement": r.id, "title": r.title, "weight": r.weight}
        row.update({c.run.run_id: c.cells[r.id].verdict for c in matrix.columns})
        rows.append(row)
    rows.append({"requirement": "score", "title": "weighted score (0-100)", "weight": "",
                 **{c.run.run_id: f"{c.score}" + (" (fails a must)" if c.fails_must else "") for c in matrix.columns}})
    return rows


def compare_detail_rows(matrix: Matrix) -> list[dict[str, str]]:
    """One row per requirement x run, with the checks behind the verdict (long form, for pivoting)."""
    return [{"requirement": r.id, "weight": r.weight, "run": col.run.run_id, "system": col.run.system.label,
             "verdict": col.cells[r.id].verdict, "passed": " ".join(col.cells[r.id].passed),
             "failed": " ".join(col.cells[r.id].failed), "skipped": " ".join(col.cells[r.id].skipped),
             "optional_failed": " ".join(col.cells[r.id].optional_failed)}
            for r in matrix.requirements for col in matrix.columns]


def _safe(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA) else text


def to_csv(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV text; the columns are every key, in first-seen order."""
    if not rows:
        return ""
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _safe(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def from_csv(text: str) -> list[dict[str, str]]:
    """Read an export back (undoing the formula guard)."""
    def back(value: str) -> str:
        return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA) else value

    return [{k: back(v) for k, v in row.items()} for row in csv.DictReader(io.StringIO(text, newline=""))]
