"""A run's outcomes and evidence written in bulk: a handful of statements per run, not three per outcome.

The ORM path cost one INSERT per outcome, per evidence row and per blob (685 outcomes/s on SQLite,
issue 23). Here the rows are built as plain values (build_rows, for both backends), and on SQLite written
with ids taken up front (the writer holds the database lock from BEGIN IMMEDIATE, so ``max(id)`` is
safe) by one DB-API executemany per table (SQLAlchemy's per-row bind processing cost as much as the
database did). PostgreSQL writes the same rows its own way (pgwrite.py). Blobs are INSERT ... ON
CONFLICT DO NOTHING (content-addressed: a concurrent writer may add the same one), deduplicated within
the run first.

The seal's per-outcome digests are taken over the same values that are written, so a seal made here
verifies exactly as one made through the ORM (seal.outcome_digest).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from conformance.evidence.schema import BlobRow, EvidenceRow, OutcomeRow
from conformance.evidence.seal import EVIDENCE_FIELDS, OUTCOME_FIELDS, canonical, plain_value
from conformance.model import CheckResult

OUTCOMES = OutcomeRow.__table__
EVIDENCE = EvidenceRow.__table__
BLOBS = BlobRow.__table__
JSON_COLUMNS = frozenset({"requirements", "capabilities", "metrics"})
OUTCOME_COLUMNS = ("id", "run_id", *OUTCOME_FIELDS)
EVIDENCE_COLUMNS = ("id", "outcome_id", *EVIDENCE_FIELDS)


@dataclass
class Rows:
    """Everything one run writes below its ``runs`` row, and the seal items over it."""

    outcomes: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    blobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: list[list[str]] = field(default_factory=list)
    # The same rows as tuples in OUTCOME_COLUMNS / EVIDENCE_COLUMNS order, JSON columns as text: what
    # the driver is handed, built in the same pass (not a second walk over the dicts).
    outcome_values: list[tuple[Any, ...]] = field(default_factory=list)
    evidence_values: list[tuple[Any, ...]] = field(default_factory=list)


@functools.lru_cache(maxsize=8192)
def _json_strings(values: tuple[Any, ...]) -> str:
    """A JSON column's text for a list (requirements, capabilities): the same few lists recur in
    every run, so each is encoded once."""
    return json.dumps(list(values))


def _json_column(value: Any) -> str:
    """What SQLAlchemy's JSON type would write for ``value`` (json.dumps, default settings)."""
    if isinstance(value, list):
        try:
            return _json_strings(tuple(value))
        except TypeError:  # an unhashable member: encode it as it is
            return json.dumps(value)
    if isinstance(value, dict) and not value:
        return "{}"
    return json.dumps(value)


def _text(value: str) -> str:
    """A text column's value as both databases can hold it: PostgreSQL refuses NUL in text, and a system
    under test that put one in a message it answered must not make its run unstorable (so unjudged)."""
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def build_rows(run_id: str, results: Sequence[CheckResult], outcome_ids: list[int], evidence_ids: list[int], *,
               values: bool = True) -> Rows:
    """Rows with the given ids (one per outcome, one per evidence item), in the run's order; ``values``:
    also as driver tuples (``outcome_values``, ``evidence_values``; pgwrite.py sends the dicts as JSON)."""
    rows = Rows()
    next_evidence = iter(evidence_ids)
    for position, check in enumerate(results):
        outcome_id = outcome_ids[position]
        cited = []
        for index, item in enumerate(check.evidence):
            raw = canonical({"kind": item.kind, "summary": item.summary, "data": item.data})
            sha = hashlib.sha256(raw).hexdigest()
            if sha not in rows.blobs:
                rows.blobs[sha] = {"sha256": sha, "size": len(raw), "content": zlib.compress(raw, 6)}
            ev = {"id": next(next_evidence), "outcome_id": outcome_id, "position": index, "kind": item.kind,
                  "summary": _text(item.summary), "sha256": sha}
            rows.evidence.append(ev)
            if values:
                rows.evidence_values.append((ev["id"], outcome_id, index, item.kind, ev["summary"], sha))
            cited.append({k: ev[k] for k in EVIDENCE_FIELDS})
        outcome = {"id": outcome_id, "run_id": run_id, "position": position, "check_id": check.id,
                   "suite": check.suite, "group_name": check.group, "title": _text(check.title),
                   "status": check.status.value, "required": check.required, "message": _text(check.message),
                   "duration_ms": _finite(check.duration_ms), "requirements": list(check.requirements),
                   "capabilities": list(check.capabilities), "metrics": plain_value(check.metrics)}
        rows.outcomes.append(outcome)
        if values:
            rows.outcome_values.append(tuple(_json_column(outcome[c]) if c in JSON_COLUMNS else outcome[c]
                                             for c in OUTCOME_COLUMNS))
        sealed = {**{k: outcome[k] for k in OUTCOME_FIELDS}, "evidence": cited}
        digest = hashlib.sha256(canonical(sealed, made_plain=True))
        rows.items.append([check.id, digest.hexdigest()])
    return rows


def write_run(session: Session, run_id: str, results: Sequence[CheckResult]) -> list[list[str]]:
    """Replace the run's outcomes and evidence with ``results`` (SQLite; PostgreSQL: pgwrite.py); the
    seal items ([check id, digest])."""
    session.execute(delete(OutcomeRow).where(OutcomeRow.run_id == run_id))  # evidence goes with them (CASCADE)
    n_evidence = sum(len(c.evidence) for c in results)
    rows = build_rows(run_id, results, _take_ids(session, OUTCOMES.c.id, len(results)),
                      _take_ids(session, EVIDENCE.c.id, n_evidence))
    conn = session.connection()
    blobs = [b for _, b in sorted(rows.blobs.items())]  # one order for every writer: no deadlock on shared blobs
    if blobs:
        conn.exec_driver_sql("INSERT INTO evidence_blobs (sha256, size, content) VALUES (?, ?, ?) "
                             "ON CONFLICT DO NOTHING", [(b["sha256"], b["size"], b["content"]) for b in blobs])
    for table, columns, tuples in (("outcomes", OUTCOME_COLUMNS, rows.outcome_values),
                                   ("evidence", EVIDENCE_COLUMNS, rows.evidence_values)):
        if tuples:  # the driver's executemany, through SQLAlchemy only for its error wrapping
            conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                                 f"({', '.join('?' for _ in columns)})", tuples)
    return rows.items


def _take_ids(session: Session, column: Any, count: int) -> list[int]:
    """``count`` ids for the column's table's new rows: BEGIN IMMEDIATE made this transaction SQLite's
    only writer until it ends, so ``max(id)`` is safe."""
    if count == 0:
        return []
    first = int(session.scalar(select(func.coalesce(func.max(column), 0))) or 0) + 1
    return list(range(first, first + count))


def _finite(value: float) -> float:
    """A duration the database can hold (NaN would become NULL): 0 when the runner had none."""
    return value if math.isfinite(value) else 0.0
