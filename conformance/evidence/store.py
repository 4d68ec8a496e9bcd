"""The evidence store: runs, their outcomes, and the evidence each outcome was judged on.

SQLAlchemy 2.0 ORM on three plain tables (``runs``, ``outcomes``, ``evidence``); SQLite by default
(``reports/conformance.db`` under the working directory), any SQLAlchemy URL otherwise. The store is
an event listener: ``RunStarted`` records the run as ``incomplete``; ``RunFinished`` writes every
outcome and its evidence and marks the run ``complete``, all in one transaction, so a run that
crashed or was interrupted stays visibly ``incomplete`` and never appears half-written as complete.

Each evidence row carries the SHA-256 of its canonical JSON (``{"kind", "summary", "data"}``, keys
sorted, no whitespace, ASCII-escaped): the base the sealing of a later issue chains over.

Every database problem (an unparseable URL, a missing driver, an unreachable server, a file that is
not SQLite, a schema from something else) surfaces as :class:`StoreError` with one line; the CLI maps
it to exit code 2. Timestamps are kept as the ISO 8601 text of the report, exactly as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from sqlalchemy import (
    Engine,
    create_engine,
    event,
    inspect,
    select,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from conformance.evidence.schema import (
    COMPLETE,
    INCOMPLETE,
    Base,
    EvidenceRow,
    OutcomeRow,
    RunRow,
    evidence_sha256,
    plain,
)
from conformance.model import CheckResult, Evidence, RunInfo, RunResult, Status
from conformance.runner.events import Event, Listener, RunFinished, RunStarted


class StoreError(Exception):
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


class EvidenceStore:
    """``store = EvidenceStore(url)``; pass ``store.listener`` to the runner; read with get_run/list_runs."""

    def __init__(self, url: str | None = None) -> None:
        raw = url if url is not None else default_store_url()
        try:
            parsed = make_url(raw)
        except ArgumentError:
            raise StoreError(
                f"store URL {_masked(raw)!r} is not a database URL "
                "(expected e.g. sqlite:///reports/conformance.db or postgresql://host/db)"
            ) from None
        self.url = parsed.render_as_string(hide_password=True)
        self._prepare_sqlite_path(parsed)
        try:
            self.engine: Engine = create_engine(parsed)
        except ImportError as exc:
            raise StoreError(
                f"store {self.url}: the database driver for {parsed.drivername} is not installed ({exc})"
            ) from None
        except SQLAlchemyError as exc:
            raise StoreError(f"store {self.url}: cannot use this database: {_reason(exc)}") from None
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_foreign_keys)
        try:
            with self._guard("open the store"), self.engine.begin() as conn:
                Base.metadata.create_all(conn)
                self._check_schema(conn)
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

    def _check_schema(self, conn: Any) -> None:
        inspector = inspect(conn)
        for table in Base.metadata.sorted_tables:
            have = {c["name"] for c in inspector.get_columns(table.name)}
            missing = sorted(set(table.columns.keys()) - have)
            if missing:
                raise StoreError(
                    f"store {self.url}: table {table.name!r} is not this version's schema "
                    f"(missing columns: {', '.join(missing)})"
                )

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

    # -- writing -----------------------------------------------------------------------------------

    @property
    def listener(self) -> Listener:
        return self.on_event

    def on_event(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.start_run(event.run)
        elif isinstance(event, RunFinished):
            self.finish_run(event.result)

    def start_run(self, info: RunInfo) -> None:
        """Record a run as ``incomplete``; it becomes ``complete`` only when :meth:`finish_run` commits."""
        with self._session(f"record the start of run {info.id}") as session:
            if session.get(RunRow, info.id) is not None:
                raise StoreError(f"store {self.url}: run {info.id} is already in the store")
            row = RunRow(id=info.id, status=INCOMPLETE, summary={})
            _fill_run(row, info)
            session.add(row)

    def finish_run(self, result: RunResult) -> None:
        """Write every outcome and its evidence and mark the run complete, in one transaction.

        Also stores a run that was never started here (an import); storing the same run again
        replaces its outcomes.
        """
        info = result.run
        with self._session(f"store run {info.id}") as session:
            row = session.get(RunRow, info.id)
            if row is None:
                row = RunRow(id=info.id)
                session.add(row)
            elif row.outcomes:
                # Delete the old outcomes before inserting new ones with the same (run, check) keys.
                row.outcomes.clear()
                session.flush()
            _fill_run(row, info)
            row.summary = result.summary()
            row.outcomes = [_outcome_row(i, check) for i, check in enumerate(result.results)]
            row.status = COMPLETE

    # -- reading -----------------------------------------------------------------------------------

    def get_result(self, run_id: str) -> tuple[RunResult, str]:
        """The stored run as a :class:`RunResult`, and its status (``complete``/``incomplete``)."""
        with self._session(f"read run {run_id}") as session:
            query = (
                select(RunRow)
                .where(RunRow.id == run_id)
                .options(selectinload(RunRow.outcomes).selectinload(OutcomeRow.evidence))
            )
            row = session.scalars(query).first()
            if row is None:
                raise RunNotFound(f"store {self.url}: no run {run_id!r}")
            info = RunInfo(
                id=row.id,
                started=row.started,
                finished=row.finished,
                target=dict(row.target),
                harness_version=row.harness_version,
                suites=list(row.suites),
            )
            return RunResult(run=info, results=[_check_result(o) for o in row.outcomes]), row.status

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


def _sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


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


def _outcome_row(position: int, check: CheckResult) -> OutcomeRow:
    evidence = []
    for index, item in enumerate(check.evidence):
        data = plain(item.data)
        evidence.append(
            EvidenceRow(
                position=index,
                kind=item.kind,
                summary=item.summary,
                data=data,
                sha256=evidence_sha256(item.kind, item.summary, data),
            )
        )
    return OutcomeRow(
        position=position,
        check_id=check.id,
        suite=check.suite,
        group_name=check.group,
        title=check.title,
        status=check.status.value,
        required=check.required,
        message=check.message,
        duration_ms=check.duration_ms,
        requirements=list(check.requirements),
        capabilities=list(check.capabilities),
        metrics=plain(check.metrics),
        evidence=evidence,
    )


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
        evidence=[Evidence(kind=e.kind, summary=e.summary, data=dict(e.data)) for e in row.evidence],
        metrics=dict(row.metrics),
    )
