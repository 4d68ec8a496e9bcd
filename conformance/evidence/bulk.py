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
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from conformance.evidence.schema import BlobRow, EvidenceRow, OutcomeRow
from conformance.evidence.seal import EVIDENCE_FIELDS, OUTCOME_FIELDS, canonical, canonical_text, plain_value
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

    blobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: list[list[str]] = field(default_factory=list)
    # Per outcome: the canonical JSON its digest is taken over (its fields and evidence references), and
    # its metrics as a JSON column's text (what SQLAlchemy's JSON type writes: key order kept).
    sealed: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    # Only when ids are given (SQLite, the bench's floors): the rows as dicts with their ids, and as
    # tuples in OUTCOME_COLUMNS / EVIDENCE_COLUMNS order, JSON columns as text, for the driver.
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
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


STORE_BELOW = 100  # bytes of canonical JSON under which deflate makes nothing smaller (75 -> 79, 44 -> 51)


def compressed(raw: bytes) -> bytes:
    """zlib of ``raw``. Deflate at level 6 with its window and hash table sized to ``raw``: zlib.compress's
    defaults set up about 256 KiB of state per call, most of the cost of a small evidence item (on a fresh
    heap, page faults); the window is in the stream's header, and zlib.decompress reads it as any other.
    Under STORE_BELOW bytes, a stored (level 0) stream written directly: zlib.compress(raw, 0)'s bytes."""
    size = len(raw)
    if size < STORE_BELOW:
        return b"\x78\x01\x01" + struct.pack("<HH", size, size ^ 0xFFFF) + raw + struct.pack(">I", zlib.adler32(raw))
    if size > 16384:
        return zlib.compress(raw, 6)
    packer = zlib.compressobj(6, zlib.DEFLATED, max(9, (size + 262).bit_length()), max(1, size.bit_length() - 6))
    return packer.compress(raw) + packer.flush()


def build_rows(run_id: str, results: Sequence[CheckResult], ids: tuple[list[int], list[int]] | None = None) -> Rows:
    """A run's rows and seal items, in the run's order; with ``ids`` (one per outcome, one per evidence
    item) also as driver rows (``outcomes``, ``outcome_values``...; pgwrite.py sends ``sealed`` instead)."""
    rows = Rows()
    blobs = rows.blobs
    outcome_ids, evidence_ids = ids if ids is not None else ([], [])
    next_evidence = iter(evidence_ids)
    for position, check in enumerate(results):
        cited = []
        for index, item in enumerate(check.evidence):
            raw = canonical({"kind": item.kind, "summary": item.summary, "data": item.data})
            sha = hashlib.sha256(raw).hexdigest()
            if sha not in blobs:
                blobs[sha] = {"sha256": sha, "size": len(raw), "content": compressed(raw)}
            cited.append({"position": index, "kind": item.kind, "summary": _text(item.summary), "sha256": sha})
        metrics = plain_value(check.metrics)
        sealed = {"position": position, "check_id": check.id, "suite": check.suite, "group_name": check.group,
                  "title": _text(check.title), "status": check.status.value, "required": check.required,
                  "message": _text(check.message), "duration_ms": _finite(check.duration_ms),
                  "requirements": list(check.requirements), "capabilities": list(check.capabilities),
                  "metrics": metrics, "evidence": cited}
        text = canonical_text(sealed, made_plain=True)
        rows.items.append([check.id, hashlib.sha256(text.encode("ascii")).hexdigest()])
        rows.sealed.append(text)
        rows.metrics.append(_json_column(metrics))
        if ids is not None:
            _driver_rows(rows, run_id, outcome_ids[position], sealed, next_evidence)
    return rows


def _driver_rows(rows: Rows, run_id: str, outcome_id: int, sealed: dict[str, Any], next_evidence: Any) -> None:
    """One outcome's rows with their ids, as dicts and as driver tuples (SQLite, the bench's floors)."""
    outcome = {"id": outcome_id, "run_id": run_id, **{k: sealed[k] for k in OUTCOME_FIELDS}}
    rows.outcomes.append(outcome)
    rows.outcome_values.append((outcome_id, run_id, *(rows.metrics[-1] if c == "metrics" else _json_column(sealed[c])
                                                      if c in JSON_COLUMNS else sealed[c] for c in OUTCOME_FIELDS)))
    for cited in sealed["evidence"]:
        evidence = {"id": next(next_evidence), "outcome_id": outcome_id, **cited}
        rows.evidence.append(evidence)
        rows.evidence_values.append(tuple(evidence[c] for c in EVIDENCE_COLUMNS))


def write_run(session: Session, run_id: str, results: Sequence[CheckResult]) -> list[list[str]]:
    """Replace the run's outcomes and evidence with ``results`` (SQLite; PostgreSQL: pgwrite.py); the
    seal items ([check id, digest])."""
    session.execute(delete(OutcomeRow).where(OutcomeRow.run_id == run_id))  # evidence goes with them (CASCADE)
    n_evidence = sum(len(c.evidence) for c in results)
    rows = build_rows(run_id, results, (_take_ids(session, OUTCOMES.c.id, len(results)),
                                        _take_ids(session, EVIDENCE.c.id, n_evidence)))
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
