"""Sealing: one digest per stored run over everything it says, chained to the organisation's previous run.

Each outcome gets a digest over its fields and its evidence references (position, kind, summary,
content SHA-256, in order); the run's digest is taken over the run's header, its organisation and
place in the chain, the outcome digests in order, and the previous seal's digest. The seal keeps the
per-outcome digests too, so verification can say *which* outcome changed, went missing or moved,
not only that something did. A changed evidence byte shows as content that no longer matches its
SHA-256. Written by hand: it is a hash over a fixed canonical form (schema.canonical_json).
"""

from __future__ import annotations

import hashlib
from typing import Any

from conformance.evidence.schema import canonical_json

RUN_FIELDS = ("id", "started", "finished", "target", "ods_code", "harness_version", "suites", "summary", "status")
OUTCOME_FIELDS = ("position", "check_id", "suite", "group_name", "title", "status", "required", "message",
                  "duration_ms", "requirements", "capabilities", "metrics")
EVIDENCE_FIELDS = ("position", "kind", "summary", "sha256")


def _sha(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def outcome_digest(outcome: dict[str, Any]) -> str:
    """``outcome``: OUTCOME_FIELDS plus ``evidence``, a list of EVIDENCE_FIELDS dicts."""
    return _sha({**{k: outcome[k] for k in OUTCOME_FIELDS},
                 "evidence": [{k: e[k] for k in EVIDENCE_FIELDS} for e in outcome["evidence"]]})


def run_digest(run: dict[str, Any], sequence: int, items: list[list[str]], previous_digest: str,
               sealed_at: str) -> str:
    """``items``: [check id, outcome digest] in outcome order."""
    return _sha({"run": {k: run[k] for k in RUN_FIELDS}, "sequence": sequence, "outcomes": items,
                 "previous": previous_digest, "sealed_at": sealed_at})


def row_fields(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {k: getattr(row, k) for k in fields}


def outcome_dict(row: Any) -> dict[str, Any]:
    """An ORM outcome (evidence loaded) as the dict the digests are taken over."""
    return {**row_fields(row, OUTCOME_FIELDS), "evidence": [row_fields(e, EVIDENCE_FIELDS) for e in row.evidence]}


def items_of_rows(run: Any) -> list[list[str]]:
    return [[o.check_id, outcome_digest(outcome_dict(o))] for o in run.outcomes]
