"""A run's outcomes and evidence written in bulk: a handful of statements per run, not three per outcome.

The ORM path cost one INSERT per outcome, per evidence row and per blob (685 outcomes/s on SQLite,
issue 23). Here the rows are built as plain values, ids are taken up front (SQLite: the writer holds
the database lock from BEGIN IMMEDIATE, so ``max(id)`` is safe; PostgreSQL: ``nextval`` of the serial's
sequence, safe under any number of writers), and written with one DB-API executemany per table
(SQLAlchemy's per-row bind processing cost as much as the database did), or PostgreSQL's COPY through
psycopg for outcomes and evidence. Blobs are INSERT ... ON CONFLICT DO NOTHING (content-addressed: a
concurrent writer may add the same one), deduplicated within the run first.

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
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import DBAPIError
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
                  "summary": item.summary, "sha256": sha}
            rows.evidence.append(ev)
            if values:
                rows.evidence_values.append((ev["id"], outcome_id, index, item.kind, item.summary, sha))
            cited.append({k: ev[k] for k in EVIDENCE_FIELDS})
        outcome = {"id": outcome_id, "run_id": run_id, "position": position, "check_id": check.id,
                   "suite": check.suite, "group_name": check.group, "title": check.title,
                   "status": check.status.value, "required": check.required, "message": check.message,
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


def write_run(session: Session, backend: str, run_id: str, results: Sequence[CheckResult]) -> list[list[str]]:
    """Replace the run's outcomes and evidence with ``results``; the seal items ([check id, digest])."""
    session.execute(delete(OutcomeRow).where(OutcomeRow.run_id == run_id))  # evidence goes with them (CASCADE)
    n_evidence = sum(len(c.evidence) for c in results)
    rows = build_rows(run_id, results, _take_ids(session, backend, "outcomes", len(results)),
                      _take_ids(session, backend, "evidence", n_evidence))
    conn = session.connection()
    blobs = list(rows.blobs.values())
    if blobs and backend == "postgresql":  # one statement, one round trip (executemany: one per row)
        conn.exec_driver_sql("INSERT INTO evidence_blobs (sha256, size, content) SELECT * FROM "
                             "unnest(%s::varchar[], %s::int[], %s::bytea[]) ON CONFLICT DO NOTHING",
                             ([b["sha256"] for b in blobs], [b["size"] for b in blobs], [b["content"] for b in blobs]))
    elif blobs:
        conn.exec_driver_sql("INSERT INTO evidence_blobs (sha256, size, content) VALUES (?, ?, ?) "
                             "ON CONFLICT DO NOTHING", [(b["sha256"], b["size"], b["content"]) for b in blobs])
    for table, columns, tuples in (("outcomes", OUTCOME_COLUMNS, rows.outcome_values),
                                   ("evidence", EVIDENCE_COLUMNS, rows.evidence_values)):
        if not tuples:
            continue
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
        if backend == "postgresql":
            _copy(conn, table, columns, tuples)
        else:  # the driver's executemany, through SQLAlchemy only for its error wrapping
            conn.exec_driver_sql(sql, tuples)
    return rows.items


def _take_ids(session: Session, backend: str, table: str, count: int) -> list[int]:
    """``count`` ids for ``table``'s new rows, no other writer's."""
    if count == 0:
        return []
    if backend == "postgresql":  # nextval is atomic and never hands a value out twice
        return list(session.scalars(text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) "
                                         "FROM generate_series(1, :n)"), {"t": table, "n": count}))
    # SQLite: BEGIN IMMEDIATE made this transaction the only writer until it ends.
    column = OUTCOMES.c.id if table == "outcomes" else EVIDENCE.c.id
    first = int(session.scalar(select(func.coalesce(func.max(column), 0))) or 0) + 1
    return list(range(first, first + count))


def _copy(conn: Any, table: str, columns: tuple[str, ...], tuples: list[tuple[Any, ...]]) -> None:
    """PostgreSQL COPY FROM STDIN through psycopg: the rows stream in one round trip. A driver error is
    raised as SQLAlchemy's, like every other statement's, so the store reports it in one line."""
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    raw: Any = conn.connection.dbapi_connection
    try:
        with closing(raw.cursor()) as cursor, cursor.copy(statement) as copy:
            for row in tuples:
                copy.write_row(row)
    except raw.Error as exc:  # psycopg.Error (psycopg connections name their driver's error class)
        raise DBAPIError(statement, None, exc) from None


def _finite(value: float) -> float:
    """A duration the database can hold (NaN would become NULL): 0 when the runner had none."""
    return value if math.isfinite(value) else 0.0
