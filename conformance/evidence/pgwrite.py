"""A finished run stored on PostgreSQL in two round trips, not twenty-five (issue 23: >= 20,000 outcomes/s).

The ORM path sent about fourteen statements a run, each waited for (run row, registration, ids, blobs,
COPY x2, lock, log index x2, chain head, seal, signature), and on a loaded machine each wait is a
scheduling of the server and of the client. Here the statements are fixed SQL texts (psycopg prepares
them after a few runs), sent in psycopg's pipeline mode: everything up to the chain head goes out in one
batch and is waited for once; the seal with its signature and the commit in a second.

- Registration (organisation, system, endpoints) only for a run not started here, as before; the
  condition is in the SQL (``NOT EXISTS`` the run row), not a read the client waits for.
- The run row is an upsert that refuses a sealed run (``RETURNING`` nothing: the run cannot be stored
  again), checked when the first batch's results arrive, before anything is sealed.
- Outcomes and evidence go in one statement, each outcome's row being the canonical JSON its seal digest
  is taken over (bulk.Rows.sealed), so the values written are the values sealed and are encoded once:
  the outcomes' ids come from their serial as they are inserted, and each evidence row (from its
  outcome's sealed ``evidence``) finds its outcome's id by position (a data-modifying ``WITH``), so no
  ids are taken up front.
- The seal log's advisory lock is taken last in the first batch (after the rows are written, so it is
  held only for the chain head, the seal, the signature and the commit), and the chain head is read by
  a statement after it, so it sees every seal committed before the lock was granted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from conformance.evidence import bulk, signing
from conformance.evidence.keys import Signer
from conformance.evidence.seal import RUN_FIELDS, run_digest
from conformance.model import CheckResult

_NOT_STARTED = "NOT EXISTS (SELECT 1 FROM runs WHERE id = %s)"
REGISTER_ORGANISATION = (f"INSERT INTO organisations (ods_code, name, kind) SELECT %s, %s, %s WHERE {_NOT_STARTED} "
                         "ON CONFLICT DO NOTHING")
REGISTER_SYSTEM = (f"INSERT INTO systems (vendor, product, version) SELECT %s, %s, %s WHERE {_NOT_STARTED} "
                   "ON CONFLICT DO NOTHING")
_SYSTEM_ID = "(SELECT id FROM systems WHERE vendor = %s AND product = %s AND version = %s)"
REGISTER_ENDPOINT = ("INSERT INTO system_endpoints (system_id, kind, address) SELECT id, %s, %s FROM systems "
                     f"WHERE vendor = %s AND product = %s AND version = %s AND {_NOT_STARTED} ON CONFLICT DO NOTHING")
_RUN_COLUMNS = ("id", "started", "finished", "target_name", "target", "ods_code", "harness_version", "suites",
                "summary", "status")
# A run started here keeps its system (as the ORM path did); a sealed run is never rewritten.
UPSERT_RUN = (f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}, system_id) VALUES "
              f"({', '.join('%s' for _ in _RUN_COLUMNS)}, {{system}}) ON CONFLICT (id) DO UPDATE SET "
              f"{', '.join(f'{c} = excluded.{c}' for c in _RUN_COLUMNS[1:])} "
              "WHERE NOT EXISTS (SELECT 1 FROM seals WHERE seals.run_id = runs.id) RETURNING id")
DELETE_OUTCOMES = "DELETE FROM outcomes WHERE run_id = %s"  # a started run's rows (none); evidence by CASCADE
INSERT_BLOBS = ("INSERT INTO evidence_blobs (sha256, size, content) SELECT sha256, size, decode(content, 'hex') "
                "FROM json_to_recordset(%s::json) AS b(sha256 varchar, size int, content text) ON CONFLICT DO NOTHING")
_OUTCOME_TYPES = ("int", "varchar", "varchar", "varchar", "text", "varchar", "bool", "text", "float8", "json", "json")
_OUTCOME_FIELDS = bulk.OUTCOME_COLUMNS[2:-1]  # metrics apart: see STORED_METRICS
STORED_METRICS = "stored_metrics"
# Each outcome's row is its sealed form (bulk.Rows.sealed: the canonical JSON its digest is taken over, so
# the values written are the values sealed, encoded once) with its metrics added as SQLAlchemy's JSON type
# writes them (``STORED_METRICS``: key order kept, as SQLite keeps it). The run's rows travel as one JSON
# document (json_to_recordset: no per-value dumpers in Python); a JSON column's value is the text of its
# part of the document. The outcomes' ids come from their serial as they are inserted; each evidence row,
# taken from its outcome's ``evidence`` (position, kind, summary, sha256), finds its outcome's id by position.
INSERT_OUTCOMES_AND_EVIDENCE = (
    f"WITH x AS (SELECT * FROM json_to_recordset(%s::json) AS x("
    f"{', '.join(f'{c} {t}' for c, t in zip(_OUTCOME_FIELDS, _OUTCOME_TYPES, strict=True))}, "
    f"{STORED_METRICS} json, evidence json)), "
    f"o AS (INSERT INTO outcomes (run_id, {', '.join(_OUTCOME_FIELDS)}, metrics) "
    f"SELECT %s::varchar, {', '.join(_OUTCOME_FIELDS)}, {STORED_METRICS} FROM x RETURNING id, position) "
    f"INSERT INTO evidence ({', '.join(bulk.EVIDENCE_COLUMNS[1:])}) "
    "SELECT o.id, e.position, e.kind, e.summary, e.sha256 FROM o JOIN x ON x.position = o.position "
    "CROSS JOIN LATERAL json_to_recordset(x.evidence) AS e(position int, kind varchar, summary text, sha256 varchar) "
    "ORDER BY o.position, e.position")
LOCK_LOG = "SELECT pg_advisory_xact_lock(%s)"
# The next log index (over seals and attestations: attestations.next_log_index) and the organisation's
# last seal, read after the lock was granted.
CHAIN_HEAD = ("SELECT (SELECT max(log_index) FROM seals), (SELECT max(log_index) FROM attestations), h.sequence, "
              "h.digest FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT sequence, digest FROM seals "
              "WHERE ods_code = %s ORDER BY sequence DESC LIMIT 1) AS h ON true")
INSERT_SEAL = ("INSERT INTO seals (run_id, ods_code, sequence, previous_digest, digest, items, sealed_at, log_index) "
               "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)")
# A signed seal and its signature in one statement (the signature's foreign key is checked at its end).
INSERT_SIGNED_SEAL = (f"WITH s AS ({INSERT_SEAL} RETURNING run_id) INSERT INTO signatures (run_id, fingerprint, "
                      "public_key, signature) SELECT run_id, %s, %s, %s FROM s")


class AlreadySealed(Exception):
    """The run is in the store and sealed: it cannot be stored again."""


def write_sealed(session: Session, run: dict[str, Any], results: Sequence[CheckResult], *, lock: int,
                 clock: Callable[[], str], signer: Signer | None) -> None:
    """Write the run row (``run``: RUN_FIELDS plus ``target_name``), its outcomes and evidence, seal and
    sign it, and commit the session's transaction (whatever the caller wrote in it too); the seal's time is read from
    ``clock`` once the log's lock is held, so seals' times follow their log order as on SQLite.
    IntegrityError: another writer took the seal's place (retry); AlreadySealed; DBAPIError for anything
    else the server refused."""
    import psycopg

    run_id = str(run["id"])
    rows = bulk.build_rows(run_id, results)
    session.flush()  # whatever the caller left pending is written before the commit below, in its transaction
    raw: Any = session.connection().connection.dbapi_connection
    sealing = False
    try:
        with _pipeline(raw), raw.cursor() as cursor, raw.cursor() as upsert, raw.cursor() as head:
            for sql, params in _register(run):
                cursor.execute(sql, params)
            upsert.execute(UPSERT_RUN.format(system=_SYSTEM_ID if _system(run) else "NULL"),
                           (*(_run_value(run, c) for c in _RUN_COLUMNS), *_system(run)))
            cursor.execute(DELETE_OUTCOMES, (run_id,))
            for sql, params in _data(run_id, rows):
                cursor.execute(sql, params)
            cursor.execute(LOCK_LOG, (lock,))
            head.execute(CHAIN_HEAD, (run["ods_code"],))
            seals, said, sequence, previous = head.fetchone()  # the first round trip: everything above
            if upsert.fetchone() is None:
                raise AlreadySealed(run_id)
            sealed_at = clock()  # under the lock
            found = [i for i in (seals, said) if i is not None]
            log_index = max(found) + 1 if found else 0
            sequence, previous = (sequence + 1, previous) if sequence is not None else (1, "")
            digest = run_digest({k: run[k] for k in RUN_FIELDS}, sequence, rows.items, previous, sealed_at)
            sealing = True
            seal = (run_id, run["ods_code"], sequence, previous, digest, json.dumps(rows.items), sealed_at, log_index)
            if signer is None:
                cursor.execute(INSERT_SEAL, seal)
            else:
                block = signing.signature_block(signer, signing.seal_message(run_id, digest, log_index))
                signature = (block["fingerprint"], block["public_key"], block["signature"])
                cursor.execute(INSERT_SIGNED_SEAL, (*seal, *signature))
            # The commit goes with them: the second and last round trip (the session's own commit then
            # finds nothing to do, as psycopg's commit does on an idle connection).
            raw.commit()
    except psycopg.IntegrityError as exc:
        if sealing:  # the seal's place (organisation, sequence; log index) was taken: the store retries
            raise IntegrityError(INSERT_SEAL, None, exc) from None
        raise DBAPIError("store a run", None, exc) from None
    except psycopg.Error as exc:  # raised as SQLAlchemy's, so the store reports it in one line
        raise DBAPIError("store a run", None, exc) from None


def _register(run: dict[str, Any]) -> list[tuple[str, tuple[Any, ...]]]:
    """The organisation, system and endpoints of a run not started here (the SQL checks that)."""
    target = run["target"]
    org, endpoints = (target.get(k) if isinstance(target.get(k), dict) else {} for k in ("organisation", "endpoints"))
    run_id = run["id"]
    statements: list[tuple[str, tuple[Any, ...]]] = []
    if run["ods_code"]:
        statements.append((REGISTER_ORGANISATION, (run["ods_code"], str(org.get("name", "")),
                                                   str(org.get("kind", "")), run_id)))
    key = _system(run)
    if key:
        statements.append((REGISTER_SYSTEM, (*key, run_id)))
        statements += [(REGISTER_ENDPOINT, (str(kind), str(address), *key, run_id))
                       for kind, address in endpoints.items()]
    return statements


def _system(run: dict[str, Any]) -> tuple[str, ...]:
    """(vendor, product, version) of the run's system, or () when it names none."""
    system = run["target"].get("system")
    system = system if isinstance(system, dict) else {}
    key = tuple(str(system.get(k, "")) for k in ("vendor", "product", "version"))
    return key if any(key) else ()


def _run_value(run: dict[str, Any], column: str) -> Any:
    """What SQLAlchemy's JSON type would write for the JSON columns; the others as they are."""
    return json.dumps(run[column]) if column in ("target", "suites", "summary") else run[column]


def _data(run_id: str, rows: bulk.Rows) -> list[tuple[str, tuple[Any, ...]]]:
    """The blobs, then outcomes and evidence (one statement), each as one JSON document."""
    statements: list[tuple[str, tuple[Any, ...]]] = []
    if rows.blobs:  # in digest order, as every writer does: two runs sharing blobs cannot deadlock on them
        # Hex digits, digits and hex digits: nothing to escape, so written directly.
        blobs = ",".join(f'{{"sha256":"{sha}","size":{int(b["size"])},"content":"{b["content"].hex()}"}}'
                         for sha, b in sorted(rows.blobs.items()))
        statements.append((INSERT_BLOBS, (f"[{blobs}]",)))
    if rows.sealed:  # each sealed form is a JSON object: its closing brace makes way for the metrics
        outcomes = ",".join(f'{sealed[:-1]},"{STORED_METRICS}":{metrics}}}'
                            for sealed, metrics in zip(rows.sealed, rows.metrics, strict=True))
        statements.append((INSERT_OUTCOMES_AND_EVIDENCE, (f"[{outcomes}]", run_id)))
    return statements


def _pipeline(raw: Any) -> AbstractContextManager[Any]:
    """psycopg's pipeline mode where libpq has it (14 and later); otherwise one round trip a statement."""
    import psycopg

    return raw.pipeline() if psycopg.Pipeline.is_supported() else nullcontext()
