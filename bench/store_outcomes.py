#!/usr/bin/env python3
"""Outcomes stored per second, through the store's real path, against a bare executemany of the same rows.

    .venv/bin/python bench/store_outcomes.py [--runs 200] [--outcomes-per-run 100] [--postgresql]
                                            [--record 1000,10000] [--record-outcomes 10] [--record-postgresql 1000]

For each backend (a temporary SQLite file; with ``--postgresql`` also a throwaway PostgreSQL server on
loopback, started and stopped by pid as tests/pg.py does): ``--runs`` runs of ``--outcomes-per-run``
outcomes, each outcome with one evidence item of its own, stored by ``EvidenceStore.finish_run`` (one
sealed transaction per run: run row, blobs, outcomes, evidence, seal). Then the floor: the same rows
written into an empty copy of the schema with one bare ``executemany`` per table per run, no seal,
no hashing, no compression. Prints outcomes/s for both and the ratio. ``--record``: rebuild the
maturity record of that many organisations (one run of ``--record-outcomes`` outcomes each), timed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.store_record import run_for
from conformance.evidence import bulk, records
from conformance.evidence.schema import Base
from conformance.evidence.store import EvidenceStore
from conformance.maturity.model import load_model


def through_store(url: str, runs: int, per_run: int) -> float:
    """Seconds to store ``runs`` sealed runs through the store."""
    results = [run_for(n, per_run) for n in range(runs)]
    with EvidenceStore(url, find_key=False) as store:
        started = time.perf_counter()
        for result in results:
            store.finish_run(result)
        elapsed = time.perf_counter() - started
        count, problems = store.verify()
        if problems or count != runs:
            raise SystemExit(f"verify after the bench: {count} runs, problems: {problems[:3]}")
    return elapsed


def bare(url: str, runs: int, per_run: int) -> float:
    """Seconds to write the same rows with one executemany per table per run, nothing else."""
    engine = create_engine(url)
    if url.startswith("sqlite"):  # the store's own settings: write-ahead log, every commit synced
        event.listen(engine, "connect", _wal)
    Base.metadata.create_all(engine)
    prepared = []
    for n in range(runs):
        result = run_for(n, per_run)
        first = n * per_run + 1
        rows = bulk.build_rows(result.run.id, result.results, list(range(first, first + per_run)),
                               list(range(first, first + per_run)))
        prepared.append((result.run, rows))
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


def bench(name: str, urls: tuple[str, str], args: argparse.Namespace) -> None:
    total = args.runs * args.outcomes_per_run
    store_s = through_store(urls[0], args.runs, args.outcomes_per_run)
    bare_s = bare(urls[1], args.runs, args.outcomes_per_run)
    print(f"{name}: {total:,} outcomes (+{total:,} evidence) in {args.runs} sealed runs: "
          f"store {total / store_s:,.0f} outcomes/s ({store_s:.2f} s); bare executemany "
          f"{total / bare_s:,.0f} outcomes/s ({bare_s:.2f} s); store/bare = {bare_s / store_s:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--outcomes-per-run", type=int, default=100)
    parser.add_argument("--postgresql", action="store_true", help="also on a throwaway loopback PostgreSQL")
    parser.add_argument("--record", default="", help="comma-separated organisation counts to rebuild, e.g. 1000,10000")
    parser.add_argument("--record-outcomes", type=int, default=10)
    parser.add_argument("--record-postgresql", default="", help="organisation counts to rebuild on PostgreSQL")
    args = parser.parse_args()
    sizes = [int(s) for s in args.record.split(",") if s.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        bench("sqlite", (f"sqlite:///{tmp}/store.db", f"sqlite:///{tmp}/bare.db"), args)
        for size in sizes:
            stored, rebuilt = record_rebuild(f"sqlite:///{tmp}/record-{size}.db", size, args.record_outcomes)
            print(f"sqlite: record of {size:,} organisations ({args.record_outcomes} outcomes each): "
                  f"stored in {stored:.1f} s, rebuilt in {rebuilt:.2f} s ({rebuilt / size * 1000:.2f} ms each)")
    if args.postgresql:
        from tests.pg import fresh_database, postgres_server

        with postgres_server() as server:
            bench("postgresql", (fresh_database(server, "bench_store"), fresh_database(server, "bench_bare")), args)
            for size in (int(s) for s in args.record_postgresql.split(",") if s.strip()):
                url = fresh_database(server, f"bench_record_{size}")
                stored, rebuilt = record_rebuild(url, size, args.record_outcomes)
                print(f"postgresql: record of {size:,} organisations ({args.record_outcomes} outcomes each): "
                      f"stored in {stored:.1f} s, rebuilt in {rebuilt:.2f} s ({rebuilt / size * 1000:.2f} ms each)")


if __name__ == "__main__":
    main()
