"""JSON exports of the record's views: plain dicts (for ``--json`` and for other tools), then text.

The same content as the HTML pages, nested rather than flattened: each capability carries its
requirements and every outcome behind them, so a reader can check a verdict without the store.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from conformance.maturity.compare import Matrix
from conformance.maturity.roadmap import MilestoneView, Roadmap
from conformance.maturity.score import CapabilityStatus, FootprintRecord, OrgRecord


def _capability(c: CapabilityStatus) -> dict[str, Any]:
    return {
        "id": c.capability.id, "title": c.capability.title, "themes": list(c.capability.themes),
        "universal": c.capability.universal, "status": c.status, "runs": c.runs,
        "claim": None if c.claim is None else {"claim": c.claim.claim, "assessed_on": c.claim.assessed_on,
                                               "note": c.claim.note},
        "flag_for_audit": c.contradicted, "flag": c.flag or None,
        "requirements": [{"id": r.requirement.id, "title": r.requirement.title, "standard": r.requirement.standard,
                          "status": r.status, "passed": r.passed,
                          "checks": [{"run": s.run_id, "check": s.check_id, "status": s.status,
                                      "required": s.required, "message": s.message} for s in r.checks]}
                         for r in c.requirements],
    }


def milestone_json(view: MilestoneView) -> dict[str, Any]:
    return {"id": view.id, "title": view.title, "target_date": view.target_date, "state": view.state,
            "not_yet_met": list(view.behind), "statuses": dict(view.statuses),
            "behind_members": {c: list(who) for c, who in view.laggards.items()}}


def roadmap_json(roadmap: Roadmap) -> dict[str, Any]:
    return {"subject": {"code": roadmap.subject_code, "name": roadmap.subject_name, "kind": roadmap.kind},
            "as_of": roadmap.as_of, "milestones": [milestone_json(v) for v in roadmap.milestones]}


def org_json(record: OrgRecord, roadmap: Roadmap | None = None) -> dict[str, Any]:
    org = record.organisation
    out: dict[str, Any] = {
        "organisation": {"ods_code": org.ods_code, "name": org.name, "kind": org.kind},
        "as_of": record.as_of,
        "summary": {**{s: 0 for s in ("met", "partly met", "not met", "no evidence")},
                    **Counter(c.status for c in record.capabilities), "flagged_for_audit": len(record.flagged)},
        "capabilities": [_capability(c) for c in record.capabilities],
        "history": {cap: [{"date": day, "status": s} for day, s in points] for cap, points in record.history.items()},
    }
    if roadmap is not None:
        out["roadmap"] = roadmap_json(roadmap)["milestones"]
    return out


def footprint_json(record: FootprintRecord, roadmap: Roadmap | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "footprint": {"code": record.footprint.code, "name": record.footprint.name,
                      "members": list(record.footprint.members), "missing": list(record.missing)},
        "capabilities": [{"id": c, "slowest_status": s, "slowest_members": list(record.laggard_codes.get(c, (who,))),
                          "members": {m: record.member_status(m, c) for m in record.footprint.members}}
                         for c, (s, who) in record.slowest.items()],
        "members": [org_json(m) for m in record.members],
    }
    if roadmap is not None:
        out["roadmap"] = roadmap_json(roadmap)["milestones"]
    return out


def compare_json(matrix: Matrix) -> dict[str, Any]:
    return {
        "requirements": [{"id": r.id, "title": r.title, "weight": r.weight, "checks": list(r.checks)}
                         for r in matrix.requirements],
        "systems": [{"run": c.run.run_id, "system": c.run.system.label, "score": c.score, "fails_must": c.fails_must,
                     "musts_failed": list(c.musts_failed),
                     "cells": {rid: {"verdict": cell.verdict, "passed": list(cell.passed), "failed": list(cell.failed),
                                     "skipped": list(cell.skipped), "optional_failed": list(cell.optional_failed)}
                               for rid, cell in c.cells.items()}}
                    for c in matrix.columns],
        "ranking": [c.run.run_id for c in matrix.ranked()],
    }


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
