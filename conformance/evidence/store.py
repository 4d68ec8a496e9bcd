"""The evidence store: organisations, systems, runs, their outcomes, and the evidence each was judged on.

SQLAlchemy 2.0 ORM (schema.py, migrated by Alembic: migrate.py); SQLite by default
(``reports/conformance.db`` under the working directory), PostgreSQL or any SQLAlchemy URL otherwise.
The store is an event sink: ``RunStarted`` records the run as ``incomplete`` (and its organisation
and system); ``RunFinished`` writes every outcome and its evidence, seals the run into its
organisation's chain (seal.py) and marks it ``complete``, all in one transaction, so a run that
crashed or was killed stays visibly ``incomplete`` and never appears half-written as complete.

Evidence content is stored once per SHA-256 of its canonical JSON (``{"kind", "summary", "data"}``,
keys sorted, no whitespace, ASCII-escaped), zlib-compressed. SQLite transactions take the write lock
at BEGIN (``BEGIN IMMEDIATE``) with a long busy timeout, so concurrent runners queue instead of failing;
on PostgreSQL sealing takes a transaction-scoped advisory lock, so seals take log indices one at a time.

Seals are signed as they are written with the operator's key (keys.py: ``--key``-less lookup, i.e.
``$CONFORMANCE_SIGNING_KEY`` or the default path) when one exists. With none, seals are stored unsigned
and verify as "unsigned, integrity only": a key is never created behind the operator's back (one nobody
chose to make, back up or publish authenticates nothing), and the CLI says so after the run.

Every database problem (an unparseable URL, a missing driver, an unreachable server, a file that is
not SQLite, a schema from something else) surfaces as :class:`StoreError` with one line; the CLI maps
it to exit code 2. Timestamps are kept as the ISO 8601 text of the report, exactly as written.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from conformance import wellformed
from conformance.errors import ConfigError
from conformance.evidence import attestation_pack, attestations, bulk, migrate, pgwrite, seallog, signing
from conformance.evidence.keys import Signer, Trusted, find_signer
from conformance.evidence.schema import (
    ABORTED,
    COMPLETE,
    INCOMPLETE,
    EvidenceRow,
    OrganisationRow,
    OutcomeRow,
    RunRow,
    SealRow,
    SystemEndpointRow,
    SystemRow,
    evidence_sha256,
    plain,
)
from conformance.evidence.seal import RUN_FIELDS, row_fields, run_digest
from conformance.evidence.verify import Problem, pack_of, verify_session
from conformance.model import CheckResult, Evidence, RunInfo, RunResult, Status
from conformance.runner.events import Event, RunFinished, RunStarted
from conformance.scrub import scrubbed, scrubbed_info

__all__ = ["ABORTED", "COMPLETE", "INCOMPLETE", "EvidenceStore", "RunNotFound", "StoreError", "default_store_url",
           "evidence_sha256"]
SEAL_RETRIES = 5
LOG_LOCK = 7_340_123  # PostgreSQL advisory lock naming "the seal log" (migrate.py holds 7_340_122)


class StoreError(ConfigError):
    """The store cannot be used or could not do what was asked: one line, no traceback (exit 2)."""


class RunNotFound(StoreError):
    """No run with that id is in the store."""


def default_store_url() -> str:
    """``sqlite:///reports/conformance.db``, resolved against the working directory when called."""
    return f"sqlite:///{Path.cwd() / 'reports' / 'conformance.db'}"


def _reason(exc: BaseException) -> str:
    """The driver's own words, first line only (SQLAlchemy appends the SQL and a help link)."""
    orig = getattr(exc, "orig", None)
    lines = str(orig if orig is not None else exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _masked(url: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class EvidenceStore:
    """``store = EvidenceStore(url)``; an event sink (pass it to the runner); read with get_run/list_runs."""

    def __init__(self, url: str | None = None, *, signer: Signer | None = None, find_key: bool = True) -> None:
        """``signer``: the key that signs each seal; else, with ``find_key``, the operator's key if one
        exists (looked up when the first run is stored); ``find_key=False`` and no signer: unsigned seals."""
        self._signer = signer
        self._find_key = find_key and signer is None
        raw = url if url is not None else default_store_url()
        try:
            parsed = make_url(raw)
        except ArgumentError:
            raise StoreError(
                f"store URL {_masked(raw)!r} is not a database URL "
                "(expected e.g. sqlite:///reports/conformance.db or postgresql+psycopg://host/db)"
            ) from None
        self.url = parsed.render_as_string(hide_password=True)
        self.backend = parsed.get_backend_name()
        self._prepare_sqlite_path(parsed)
        try:
            if self.backend == "sqlite":
                self.engine: Engine = create_engine(parsed, connect_args={"timeout": 120})
                event.listen(self.engine, "connect", _sqlite_connect)
                event.listen(self.engine, "begin", _sqlite_begin)
            else:
                self.engine = create_engine(parsed, pool_pre_ping=True)
        except ImportError as exc:
            raise StoreError(
                f"store {self.url}: the database driver for {parsed.drivername} is not installed ({exc})"
            ) from None
        except SQLAlchemyError as exc:
            raise StoreError(f"store {self.url}: cannot use this database: {_reason(exc)}") from None
        try:
            with self._guard("open the store"), self.engine.begin() as conn:
                self.migrated = migrate.upgrade(conn)
        except migrate.SchemaError as exc:
            self.engine.dispose()
            raise StoreError(f"store {self.url}: not this version's schema: it {exc}") from None
        except StoreError:
            self.engine.dispose()
            raise

    def _prepare_sqlite_path(self, url: URL) -> None:
        database = url.database or ""
        if url.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
            return
        path = Path(database)
        if path.is_dir():
            raise StoreError(f"store {self.url}: {path} is a directory, not a database file")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"store {self.url}: cannot create {path.parent}: {exc.strerror or exc}"
            ) from None

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            raise StoreError(f"store {self.url}: could not {action}: {_reason(exc)}") from None

    @contextmanager
    def _session(self, action: str) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back whole if anything fails."""
        with self._guard(action), Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def transaction(self, action: str) -> Any:
        """A session in one transaction for other modules of the store (records.py); ``action`` names it in errors."""
        return self._session(action)

    def insert_ignore(self, session: Session, table: Any, values: dict[str, Any]) -> None:
        """INSERT that does nothing when the key exists (a concurrent writer may have added it)."""
        insert = pg_insert if self.backend == "postgresql" else sqlite_insert
        session.execute(insert(table).values(**values).on_conflict_do_nothing())

    def upsert(self, session: Session, table: Any, values: dict[str, Any], keys: list[str]) -> None:
        """INSERT, or UPDATE the other columns where ``keys`` match: one statement, safe against a
        concurrent writer doing the same (a read-then-write would race on PostgreSQL)."""
        insert = pg_insert if self.backend == "postgresql" else sqlite_insert
        statement = insert(table).values(**values)
        changes = {k: statement.excluded[k] for k in values if k not in keys}
        session.execute(statement.on_conflict_do_update(index_elements=keys, set_=changes) if changes
                        else statement.on_conflict_do_nothing())

    # -- writing -----------------------------------------------------------------------------------

    @property
    def signer(self) -> Signer | None:
        """The key seals are signed with (None: unsigned). SigningKeyError if the key file is broken."""
        if self._find_key:
            self._signer = find_signer()
            self._find_key = False
        return self._signer

    def on_event(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.start_run(event.run)
        elif isinstance(event, RunFinished):
            self.finish_run(event.result)

    def start_run(self, info: RunInfo) -> None:
        """Record a run as ``incomplete``; it becomes ``complete`` only when :meth:`finish_run` commits."""
        info = wellformed.info(scrubbed_info(info))  # no secret the run knows (issue 18), nothing UTF-8 lacks
        _ = self.signer  # a broken key file stops the run here, before any check, not at its end
        with self._session(f"record the start of run {info.id}") as session:
            if session.get(RunRow, info.id) is not None:
                raise StoreError(f"store {self.url}: run {info.id} is already in the store")
            row = RunRow(id=info.id, status=INCOMPLETE, summary={})
            _fill_run(row, info)
            row.system_id = self._register(session, row)
            session.add(row)

    def _register(self, session: Session, row: RunRow) -> int | None:
        """Add the run's organisation and system (with its endpoints) if new; the system's id."""
        target = row.target

        def section(name: str) -> dict[str, Any]:
            value = target.get(name)
            return value if isinstance(value, dict) else {}

        org = section("organisation")
        if row.ods_code:
            self.insert_ignore(session, OrganisationRow.__table__, {
                "ods_code": row.ods_code, "name": str(org.get("name", "")), "kind": str(org.get("kind", ""))})
        system = section("system")
        key = {k: str(system.get(k, "")) for k in ("vendor", "product", "version")}
        if not any(key.values()):
            return None
        self.insert_ignore(session, SystemRow.__table__, key)
        system_id = session.scalars(select(SystemRow.id).filter_by(**key)).one()
        for kind, address in section("endpoints").items():
            self.insert_ignore(session, SystemEndpointRow.__table__,
                               {"system_id": system_id, "kind": str(kind), "address": str(address)})
        return system_id

    def finish_run(self, result: RunResult, guard: Callable[[Session], None] | None = None) -> None:
        """Write every outcome and its evidence, seal the run and mark it complete (or aborted, when
        ``result.run.aborted`` says why it stopped early), in one transaction.

        Also stores a run that was never started here (an import). A sealed run is never rewritten.
        Everything is scrubbed of the run's secrets before it is compressed, hashed and sealed.
        ``guard`` runs first inside the transaction; whatever it raises stores nothing (a campaign's
        ledger uses it to keep exactly one run per target: campaign/ledger.py).
        """
        result = scrubbed(result)
        if wellformed.needed(result):  # a peer's lone surrogate: neither UTF-8 nor PostgreSQL's JSON holds one
            result = wellformed.result(result)
        for attempt in range(SEAL_RETRIES):
            try:
                self._finish(result, guard)
                return
            except _SealRace:
                time.sleep(0.05 * (attempt + 1))  # another runner sealed the same organisation's chain
        raise StoreError(f"store {self.url}: could not seal run {result.run.id}: the chain kept moving")

    def _finish(self, result: RunResult, guard: Callable[[Session], None] | None) -> None:
        info = result.run
        with self._session(f"store run {info.id}") as session:
            if guard is not None:
                guard(session)
            if self.backend == "postgresql":  # three round trips, no ORM statements (pgwrite.py)
                self._finish_postgresql(session, result)
                return
            row = session.get(RunRow, info.id)
            if row is None:
                row = RunRow(id=info.id)
                _fill_run(row, info)
                row.system_id = self._register(session, row)
                session.add(row)
            elif session.get(SealRow, info.id) is not None:
                raise StoreError(f"store {self.url}: run {info.id} is sealed; it cannot be stored again")
            _fill_run(row, info)
            row.summary = {**result.summary(), **({"aborted": info.aborted} if info.aborted else {})}
            # An aborted run is sealed like any other (what it did is kept, tamper-evident), but its
            # status keeps it out of every score: records.run_outcomes reads complete runs only.
            row.status = ABORTED if info.aborted else COMPLETE
            session.flush()
            # Outcomes, evidence and blobs in a few bulk statements (bulk.py): issue 23's storage at speed.
            items = bulk.write_run(session, info.id, result.results)
            self._seal(session, row, items)

    def _finish_postgresql(self, session: Session, result: RunResult) -> None:
        info = result.run
        row = RunRow(id=info.id)  # not added to the session: only the values, filled as the ORM path fills them
        _fill_run(row, info)
        run = {**row_fields(row, (*RUN_FIELDS, "target_name")), "status": ABORTED if info.aborted else COMPLETE,
               "summary": {**result.summary(), **({"aborted": info.aborted} if info.aborted else {})}}
        try:
            pgwrite.write_sealed(session, run, result.results, lock=LOG_LOCK, clock=now_iso, signer=self.signer)
        except pgwrite.AlreadySealed:
            raise StoreError(f"store {self.url}: run {info.id} is sealed; it cannot be stored again") from None
        except IntegrityError:
            raise _SealRace from None

    def _seal(self, session: Session, row: RunRow, items: list[list[str]]) -> None:
        """SQLite's seal: BEGIN IMMEDIATE already made this the only writer (PostgreSQL: pgwrite.py)."""
        signer = self.signer
        log_index = attestations.next_log_index(session)  # the log holds attestations too
        last = session.scalars(select(SealRow).where(SealRow.ods_code == row.ods_code)
                               .order_by(SealRow.sequence.desc()).limit(1)).first()
        sequence, previous = (last.sequence + 1, last.digest) if last else (1, "")
        sealed_at = now_iso()
        digest = run_digest(row_fields(row, RUN_FIELDS), sequence, items, previous, sealed_at)
        seal = SealRow(run_id=row.id, ods_code=row.ods_code, sequence=sequence, previous_digest=previous,
                       digest=digest, items=items, sealed_at=sealed_at, log_index=int(log_index or 0))
        session.add(seal)
        try:
            session.flush()  # the seal first: the signature refers to it
            if signer is not None:
                session.add(signing.sign_seal(seal, signer))
            session.flush()
        except IntegrityError:
            raise _SealRace from None

    # -- reading -----------------------------------------------------------------------------------

    def load_run(self, session: Session, run_id: str) -> RunRow:
        query = (select(RunRow).where(RunRow.id == run_id)
                 .options(selectinload(RunRow.outcomes).selectinload(OutcomeRow.evidence)
                          .selectinload(EvidenceRow.blob)))
        row = session.scalars(query).first()
        if row is None:
            raise RunNotFound(f"store {self.url}: no run {run_id!r}")
        return row

    def get_result(self, run_id: str) -> tuple[RunResult, str]:
        """The stored run as a :class:`RunResult`, and its status (``complete``/``aborted``/``incomplete``)."""
        with self._session(f"read run {run_id}") as session:
            row = self.load_run(session, run_id)
            reason = str(row.summary.get("aborted") or "run aborted") if row.status == ABORTED else ""
            info = RunInfo(id=row.id, started=row.started, finished=row.finished, target=dict(row.target),
                           harness_version=row.harness_version, suites=list(row.suites),
                           aborted=reason)
            return RunResult(run=info, results=[_check_result(o) for o in row.outcomes]), row.status
    def verify(self, trusted: Trusted = None) -> tuple[int, list[Problem]]:
        """Recompute every seal, chain, log index, signature and evidence digest: (runs checked, problems);
        with a ``trusted`` key, every seal must be signed by it."""
        count, problems, _ = self.verify_signed(trusted)
        return count, problems

    def verify_signed(self, trusted: Trusted) -> tuple[int, list[Problem], str]:
        """:meth:`verify`, and a note saying who signed the seals (or that they are integrity only)."""
        with self._session("verify the store") as session:
            count, problems = verify_session(session)
            problems.extend(Problem(r, "log", p) for r, p in seallog.index_problems(session))
            found, note = signing.check_store_signatures(session, trusted)
            problems.extend(Problem(r, "signature", p) for r, p in found)
            said, said_note = attestations.verify_attestations(session, trusted)
            problems.extend(Problem(r, where, p) for r, where, p in said)
            return count, problems, f"{note}; {said_note}" if said_note else note

    def checkpoint(self, signer: Signer) -> bytes:
        """A signed checkpoint (size, RFC 9162 root) of the log of every seal, to publish."""
        with self._session("checkpoint the seal log") as session:
            return seallog.make_checkpoint(session, signer, now_iso())

    def check_checkpoint(self, data: bytes, trusted: Trusted) -> tuple[list[str], str]:
        with self._session("check a checkpoint") as session:
            return seallog.check_checkpoint(session, data, trusted)

    def export(self, run_id: str, path: Path, signer: Signer | None = None, checkpoint: bytes | None = None) -> int:
        """Write the sealed run as a pack that ``verify_pack`` checks with no store; its size in bytes.
        A format-3 pack: the seal's inclusion proof in the log (in the log ``checkpoint`` commits to, when
        given), the seal's signature when it was signed, and ``signer``'s signature over the whole."""
        try:
            cp = seallog.read_checkpoint(checkpoint) if checkpoint is not None else None
        except seallog.CheckpointError as exc:
            raise StoreError(f"checkpoint: {exc}") from None
        with self._session(f"export run {run_id}") as session:
            run = self.load_run(session, run_id)
            seal = session.get(SealRow, run_id)
            if seal is None:
                raise StoreError(f"store {self.url}: run {run_id} is not sealed (status {run.status}): "
                                 "only a complete run can be exported")
            blobs = {e.sha256: e.blob.content for o in run.outcomes for e in o.evidence}
            try:
                log = seallog.inclusion(session, run_id, cp)
            except ValueError as exc:
                raise StoreError(f"store {self.url}: cannot prove run {run_id} is in the checkpoint's log: {exc}") \
                    from None
            data = pack_of(run, seal, blobs, signer, log, signing.seal_signature(session, seal),
                           attestation_pack.entries(session, run_id, log))
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc.strerror or exc}") from None
        return len(data)

    def get_run(self, run_id: str) -> dict[str, Any]:
        """The run in the run-output JSON shape of DESIGN.md, with ``run.status`` added."""
        result, status = self.get_result(run_id)
        data = result.to_dict()
        data["run"]["status"] = status
        return data

    def list_runs(self) -> list[dict[str, Any]]:
        """Every run, newest first: id, times, target, ODS code, harness version, status, summary."""
        with self._session("list runs") as session:
            rows = session.scalars(select(RunRow).order_by(RunRow.started.desc(), RunRow.id)).all()
            return [
                {
                    "id": r.id,
                    "started": r.started,
                    "finished": r.finished,
                    "target_name": r.target_name,
                    "ods_code": r.ods_code,
                    "harness_version": r.harness_version,
                    "status": r.status,
                    # Only a complete run is evidence: an aborted one stopped early, an incomplete one
                    # never finished (its process crashed or was killed, or it is still running).
                    "evidence": r.status == COMPLETE,
                    "summary": dict(r.summary),
                }
                for r in rows
            ]

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _SealRace(Exception):
    """Another writer took the sequence number this seal wanted (PostgreSQL): retry the transaction."""


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE itself (pysqlite would begin lazily, and
    # two writers that both read first then deadlock on the upgrade to a write lock).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=120000")
    # Write-ahead log: a commit is one fsync of the log (28 ms -> 6 ms a run here), still durable
    # (synchronous stays FULL), and readers do not wait for a writer. A file that is not a database (or
    # a read-only one) fails here; the error is left to the first statement, which reports it in one line.
    with contextlib.suppress(sqlite3.Error):
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _fill_run(row: RunRow, info: RunInfo) -> None:
    target = plain(info.target)
    org = target.get("organisation") if isinstance(target, dict) else None
    name = target.get("name") if isinstance(target, dict) else None
    ods = org.get("ods_code") if isinstance(org, dict) else None
    row.started = info.started
    row.finished = info.finished
    row.target = target if isinstance(target, dict) else {}
    row.target_name = name if isinstance(name, str) else ""
    row.ods_code = ods if isinstance(ods, str) else ""
    row.harness_version = info.harness_version
    row.suites = list(info.suites)


def _check_result(row: OutcomeRow) -> CheckResult:
    return CheckResult(
        id=row.check_id,
        suite=row.suite,
        group=row.group_name,
        title=row.title,
        status=Status(row.status),
        required=row.required,
        requirements=list(row.requirements),
        capabilities=list(row.capabilities),
        message=row.message,
        duration_ms=row.duration_ms,
        evidence=[_evidence(e) for e in row.evidence],
        metrics=dict(row.metrics),
    )


def _evidence(row: EvidenceRow) -> Evidence:
    item = json.loads(zlib.decompress(row.blob.content))
    return Evidence(kind=row.kind, summary=row.summary, data=dict(item.get("data", {})))
