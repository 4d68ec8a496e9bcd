#!/usr/bin/env python3
"""Evidence store at scale: store 100,000 outcomes, then rebuild the record of 250, 500 and 1,000 organisations.

    .venv/bin/python bench/store_record.py [--orgs 1000] [--outcomes-per-run 100] [--store URL]

Each organisation gets one run of ``--outcomes-per-run`` outcomes (default: 1,000 x 100 = 100,000),
each outcome with one evidence item, stored through the store's normal path (one sealed transaction
per run). Then the record is rebuilt from the store (every complete run and outcome read back as plain
records, and scored by the capability model in profiles/maturity) for growing numbers of organisations;
the per-organisation time is printed for each size, and the growth ratio (time for 1,000 / time for
500): about 2 means linear. The store is a temporary SQLite file unless --store names one (for
example a PostgreSQL database: postgresql+psycopg://user@127.0.0.1:5432/bench).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from conformance.evidence import records
from conformance.evidence.store import EvidenceStore
from conformance.maturity.model import load_model
from conformance.model import CheckResult, Evidence, RunInfo, RunResult, Status

STATUSES = (Status.PASS, Status.PASS, Status.PASS, Status.FAIL, Status.SKIP)
MODEL = load_model()
AS_OF = date(2026, 1, 2)


def run_for(n: int, per_run: int) -> RunResult:
    ods = f"XB{n:04d}"
    info = RunInfo(id=f"bench-{n:05d}", started=f"2026-01-01T00:{n % 60:02d}:00.000Z",
                   finished=f"2026-01-01T00:{n % 60:02d}:30.000Z", harness_version="bench", suites=["fhir-rest"],
                   target={"name": f"Org {n}", "organisation": {"ods_code": ods, "name": f"Org {n}",
                                                                "kind": "provider"},
                           "system": {"vendor": "Bench", "product": "EPR", "version": str(n % 7)}})
    results = [CheckResult(id=f"fhir-rest.crud.t{k}.read", suite="fhir-rest", group="fhir-rest.crud",
                           title=f"check {k}", status=STATUSES[(n + k) % len(STATUSES)], required=True,
                           requirements=[f"FHIR-R4:req-{k % 20}"], capabilities=["interoperability"],
                           evidence=[Evidence("http", f"GET /t{k}", {"status": 200, "org": n, "k": k})])
               for k in range(per_run)]
    return RunResult(run=info, results=results)


def build(store: EvidenceStore, codes: list[str]) -> Any:
    """The record rebuild: every organisation's runs, outcomes and claims read, then scored by the model."""
    return records.org_records(store, MODEL, codes, AS_OF)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orgs", type=int, default=1000)
    parser.add_argument("--outcomes-per-run", type=int, default=100)
    parser.add_argument("--store", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.store or f"sqlite:///{Path(tmp) / 'bench.db'}"
        store = EvidenceStore(url)
        started = time.perf_counter()
        for n in range(args.orgs):
            store.finish_run(run_for(n, args.outcomes_per_run))
        stored = time.perf_counter() - started
        total = args.orgs * args.outcomes_per_run
        print(f"store: {store.url.split('://')[0]}")
        print(f"stored {total:,} outcomes in {args.orgs:,} sealed runs: {stored:.1f} s "
              f"({total / stored:,.0f} outcomes/s)")
        codes = sorted(records.organisations(store))
        times: dict[int, float] = {}
        for size in (args.orgs // 4, args.orgs // 2, args.orgs):
            best = min(_timed(build, store, codes[:size]) for _ in range(3))
            times[size] = best
            print(f"rebuild the record of {size:>5,} organisations: {best:.3f} s ({best / size * 1000:.2f} ms each)")
        half, full = times[args.orgs // 2], times[args.orgs]
        print(f"growth {args.orgs // 2:,} -> {args.orgs:,} organisations: x{full / half:.2f} "
              "(2.00 = linear; below 2.4 taken as linear)")
        count, problems = store.verify()
        print(f"verify: {count:,} sealed runs, {len(problems)} problems")
        store.close()


def _timed(build: Callable[[EvidenceStore, list[str]], Any], store: EvidenceStore, codes: list[str]) -> float:
    started = time.perf_counter()
    build(store, codes)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
