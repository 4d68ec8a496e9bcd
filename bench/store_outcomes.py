#!/usr/bin/env python3
"""Outcomes stored per second, through the store's real path, against a bare executemany and a bare COPY
of the same rows, by one writer and by several at once.

    .venv/bin/python bench/store_outcomes.py [--runs 200] [--outcomes-per-run 100] [--postgresql]
                                            [--writers 2,4] [--record 1000,10000] [--record-outcomes 10]
                                            [--record-postgresql 1000]

For each backend (a temporary SQLite file; with ``--postgresql`` also a throwaway PostgreSQL server on
loopback, started and stopped by pid as tests/pg.py does): ``--runs`` runs of ``--outcomes-per-run``
outcomes, each outcome with one evidence item of its own, stored by ``EvidenceStore.finish_run`` (one
sealed transaction per run: run row, blobs, outcomes, evidence, seal, and the seal's signature, as a
store with the operator's key writes it). Then the floors: the same rows written into an empty copy of
the schema with one bare ``executemany`` per table per run, and (PostgreSQL) one bare ``COPY`` per
table per run: no seal, no hashing, no compression. Prints outcomes/s for each, the ratios, and the
store's CPU per run in this process and (PostgreSQL) in the server's backend.

``--writers``: on PostgreSQL, the same number of runs stored by that many writer processes at once (as
campaign workers do), their organisations shared (20 organisations, so every chain is extended by
several writers); the store must verify afterwards (one unbroken chain per organisation, a gap-free log).
``--record``: rebuild the maturity record of that many organisations (one run of ``--record-outcomes``
outcomes each), timed. Wall-clock figures depend on the machine's load; the CPU figures much less.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, create_engine, event, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.store_record import run_for
from conformance.evidence import bulk, records
from conformance.evidence.keys import Signer
from conformance.evidence.schema import Base
from conformance.evidence.store import EvidenceStore
from conformance.maturity.model import load_model
from conformance.model import RunResult

SHARED_ORGS = 20  # organisations the concurrent writers share, so chains are extended by several writers


def shared_run(n: int, per_run: int) -> RunResult:
    """Run ``n``, of one of SHARED_ORGS organisations (run_for gives every run its own)."""
    result = run_for(n, per_run)
    target = {**result.run.target, "organisation": {"ods_code": f"XS{n % SHARED_ORGS:04d}", "name": "Shared",
                                                   "kind": "provider"}}
    return dataclasses.replace(result, run=dataclasses.replace(result.run, target=target))


def backend_cpu(engine: Engine) -> tuple[int, float] | None:
    """(pid, CPU seconds so far) of the PostgreSQL backend serving this process's pooled connection."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        pid = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
    return pid, _proc_cpu(pid)


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def store_runs(url: str, results: list[RunResult]) -> dict[str, float]:
    """Store ``results`` through the store, signed; seconds, and CPU seconds here and in the backend."""
    with EvidenceStore(url, signer=Signer(Ed25519PrivateKey.generate())) as store:
        server = backend_cpu(store.engine)  # one connection, reused by every run of this writer
        started, cpu = time.monotonic(), time.process_time()
        for result in results:
            store.finish_run(result)
        done = time.monotonic()
        return {"started": started, "done": done, "cpu": time.process_time() - cpu,
                "server_cpu": _proc_cpu(server[0]) - server[1] if server else 0.0}


def through_store(url: str, runs: int, per_run: int) -> dict[str, float]:
    """One writer: ``runs`` sealed runs through the store; then the store must verify."""
    timing = store_runs(url, [run_for(n, per_run) for n in range(runs)])
    _verify(url, runs)
    return timing


def concurrent(url: str, writers: int, runs: int, per_run: int, tmp: Path) -> dict[str, float]:
    """``runs`` runs stored by ``writers`` processes at once (run n by writer n % writers), shared
    organisations; seconds from the first writer's start to the last one's end, summed CPU."""
    EvidenceStore(url, find_key=False).close()  # the schema once: the writers race on runs, not migrations
    go = tmp / f"go-{writers}"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    procs = [subprocess.Popen([sys.executable, __file__, "--writer", url, str(w), str(writers), str(runs),
                               str(per_run), str(go)], stdout=subprocess.PIPE, env=env) for w in range(writers)]
    go.touch()
    reports = []
    for proc in procs:
        out, _ = proc.communicate(timeout=1800)
        if proc.returncode != 0:
            raise SystemExit(f"a writer failed (exit {proc.returncode})")
        reports.append(json.loads(out))
    _verify(url, runs)
    return {"started": min(r["started"] for r in reports), "done": max(r["done"] for r in reports),
            "cpu": sum(r["cpu"] for r in reports), "server_cpu": sum(r["server_cpu"] for r in reports)}


def writer(url: str, index: int, writers: int, runs: int, per_run: int, go: Path) -> None:
    """One of ``concurrent``'s processes: waits for the go file, stores its share, prints its timing."""
    results = [shared_run(n, per_run) for n in range(index, runs, writers)]
    deadline = time.monotonic() + 120
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("the go file never appeared")
        time.sleep(0.005)
    print(json.dumps(store_runs(url, results)))


def _verify(url: str, runs: int) -> None:
    with EvidenceStore(url, find_key=False) as store:
        count, problems = store.verify()
    if problems or count != runs:
        raise SystemExit(f"verify after the bench: {count} runs, problems: {problems[:3]}")


def prepared_rows(runs: int, per_run: int) -> list[tuple[Any, bulk.Rows]]:
    """Each run's rows as the store writes them (ids given), built before any timing."""
    prepared = []
    for n in range(runs):
        result = run_for(n, per_run)
        first = n * per_run + 1
        ids = list(range(first, first + per_run))
        prepared.append((result.run, bulk.build_rows(result.run.id, result.results, (ids, ids))))
    return prepared


def bare(url: str, runs: int, per_run: int) -> float:
    """Seconds to write the same rows with one executemany per table per run, nothing else."""
    engine = _empty_schema(url)
    prepared = prepared_rows(runs, per_run)
    started = time.perf_counter()
    for info, rows in prepared:
        with engine.begin() as conn:
            conn.execute(insert(Base.metadata.tables["runs"]), [{"id": info.id, "started": info.started}])
            conn.execute(insert(bulk.BLOBS), list(rows.blobs.values()))
            conn.execute(insert(bulk.OUTCOMES), rows.outcomes)
            conn.execute(insert(bulk.EVIDENCE), rows.evidence)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def bare_copy(url: str, runs: int, per_run: int) -> float:
    """Seconds to write the same rows with one COPY per table per run (PostgreSQL), nothing else."""
    engine = _empty_schema(url)
    prepared = prepared_rows(runs, per_run)
    tables = (("evidence_blobs", ("sha256", "size", "content")), ("outcomes", bulk.OUTCOME_COLUMNS),
              ("evidence", bulk.EVIDENCE_COLUMNS))
    started = time.perf_counter()
    for info, rows in prepared:
        with engine.begin() as conn:
            conn.execute(insert(Base.metadata.tables["runs"]), [{"id": info.id, "started": info.started}])
            raw: Any = conn.connection.dbapi_connection
            with raw.cursor() as cursor:
                values = ([(b["sha256"], b["size"], b["content"]) for b in rows.blobs.values()],
                          rows.outcome_values, rows.evidence_values)
                for (table, columns), tuples in zip(tables, values, strict=True):
                    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in tuples:
                            copy.write_row(row)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def _empty_schema(url: str) -> Engine:
    engine = create_engine(url)
    if url.startswith("sqlite"):  # the store's own settings: write-ahead log, every commit synced
        event.listen(engine, "connect", _wal)
    Base.metadata.create_all(engine)
    return engine


def _wal(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA journal_mode=WAL")
    dbapi_connection.execute("PRAGMA synchronous=FULL")


def record_rebuild(url: str, orgs: int, per_run: int) -> tuple[float, float]:
    """(seconds to store, seconds to rebuild the record) of ``orgs`` organisations."""
    with EvidenceStore(url, find_key=False) as store:
        started = time.perf_counter()
        for n in range(orgs):
            store.finish_run(run_for(n, per_run))
        stored = time.perf_counter() - started
        codes = sorted(records.organisations(store))
        started = time.perf_counter()
        built = records.org_records(store, load_model(), codes, date(2026, 1, 2))
        rebuilt = time.perf_counter() - started
        if len(built) != orgs:
            raise SystemExit(f"record rebuild: {len(built)} records for {orgs} organisations")
    return stored, rebuilt


def bench(name: str, fresh: Callable[[str], str], args: argparse.Namespace, tmp: Path) -> None:
    """One backend: the store by one writer, the bare floors, then (``writers``) several writers at once."""
    runs, per_run = args.runs, args.outcomes_per_run
    total = runs * per_run
    one = through_store(fresh("store"), runs, per_run)
    print(f"{name}: {total:,} outcomes (+{total:,} evidence) in {runs} sealed, signed runs, one writer: "
          f"store {_rate(total, one)}; {_cpu(one, runs)}")
    store_s = one["done"] - one["started"]
    bare_s = bare(fresh("bare"), runs, per_run)
    floors = f"bare executemany {total / bare_s:,.0f} outcomes/s ({bare_s:.2f} s), store/executemany = " \
             f"{bare_s / store_s:.2f}"
    if name == "postgresql":
        copy_s = bare_copy(fresh("bare_copy"), runs, per_run)
        floors += f"; bare COPY {total / copy_s:,.0f} outcomes/s ({copy_s:.2f} s), store/COPY = {copy_s / store_s:.2f}"
    print(f"{name}: the same rows, no seal, hashing or compression: {floors}")
    for writers in (args.writers if name == "postgresql" else []):
        many = concurrent(fresh(f"writers_{writers}"), writers, runs, per_run, tmp)
        print(f"{name}: {writers} writers at once, {SHARED_ORGS} shared organisations: store {_rate(total, many)}; "
              f"{_cpu(many, runs)}; verified")


def _rate(total: int, timing: dict[str, float]) -> str:
    seconds = timing["done"] - timing["started"]
    return f"{total / seconds:,.0f} outcomes/s ({seconds:.2f} s)"


def _cpu(timing: dict[str, float], runs: int) -> str:
    server = f", {timing['server_cpu'] / runs * 1000:.1f} ms in the server's backend" if timing["server_cpu"] else ""
    return f"CPU a run: {timing['cpu'] / runs * 1000:.1f} ms in the writer{server}"


def main() -> None:
    if sys.argv[1:2] == ["--writer"]:  # one of the concurrent writers (started by ``concurrent``)
        url, index, writers, runs, per_run, go = sys.argv[2:8]
        writer(url, int(index), int(writers), int(runs), int(per_run), Path(go))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--outcomes-per-run", type=int, default=100)
    parser.add_argument("--postgresql", action="store_true", help="also on a throwaway loopback PostgreSQL")
    parser.add_argument("--writers", default="2,4", help="PostgreSQL: concurrent writer processes to measure, e.g. 2,4 "
                                                         "(empty: none)")
    parser.add_argument("--record", default="", help="comma-separated organisation counts to rebuild, e.g. 1000,10000")
    parser.add_argument("--record-outcomes", type=int, default=10)
    parser.add_argument("--record-postgresql", default="", help="organisation counts to rebuild on PostgreSQL")
    args = parser.parse_args()
    args.writers = [int(s) for s in args.writers.split(",") if s.strip()]
    sizes = [int(s) for s in args.record.split(",") if s.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        bench("sqlite", lambda name: f"sqlite:///{tmp}/{name}.db", args, Path(tmp))
        for size in sizes:
            stored, rebuilt = record_rebuild(f"sqlite:///{tmp}/record-{size}.db", size, args.record_outcomes)
            print(f"sqlite: record of {size:,} organisations ({args.record_outcomes} outcomes each): "
                  f"stored in {stored:.1f} s, rebuilt in {rebuilt:.2f} s ({rebuilt / size * 1000:.2f} ms each)")
        if args.postgresql:
            from tests.pg import fresh_database, postgres_server

            with postgres_server() as server:
                bench("postgresql", lambda name: fresh_database(server, f"bench_{name}"), args, Path(tmp))
                for size in (int(s) for s in args.record_postgresql.split(",") if s.strip()):
                    url = fresh_database(server, f"bench_record_{size}")
                    stored, rebuilt = record_rebuild(url, size, args.record_outcomes)
                    print(f"postgresql: record of {size:,} organisations ({args.record_outcomes} outcomes each): "
                          f"stored in {stored:.1f} s, rebuilt in {rebuilt:.2f} s ({rebuilt / size * 1000:.2f} ms each)")


if __name__ == "__main__":
    main()
