#!/usr/bin/env python3
"""PostgreSQL's and Redis's CPU for one campaign target, piece by piece (issue 23: 2 workers >= x1.7 of one).

    .venv/bin/python bench/campaign_servers.py [--targets 200] [--requests 37] [--statements]

What a worker asks of its two servers for each target, without the workers' noise around it: the
ledger's claim, the run's store with its settle (a real run of the throughput bench's checks against the
sandbox, stored once per target under that target's organisation), the dispatcher's polling of the
ledger, and the per-host limiter's ``--requests`` takes and releases a target (37 in the throughput
bench). Each piece runs ``--targets`` times in one process, one after another; the servers' CPU is read
from /proc before and after (bench/cpu_account.py: the postmaster's tree and redis-server; the machine is
shared, and CPU time, unlike wall-clock time, is charged to the process that used it). ``--statements``
also counts what PostgreSQL ran for each piece (log_statement = all, in a separate pass: logging costs).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.campaign_throughput import SELECT  # noqa: E402
from bench.cpu_account import children_named, snapshot  # noqa: E402


def sample_run(tmp: Path) -> object:
    """A real run of the throughput bench's checks against the in-process sandbox (its RunResult)."""
    from conformance.campaign import execute, ledger
    from conformance.campaign.spec import load_campaign
    from conformance.evidence.store import EvidenceStore
    from conformance.sandbox.faults import Faults
    from conformance.sandbox.server import SandboxServer
    from tests.campaign.helpers import write_campaign, write_targets

    with SandboxServer(Faults()) as sandbox:
        keys = write_targets(tmp / "sample" / "targets", [sandbox.base_url])
        path = write_campaign(tmp / "sample" / "c.toml", "sample", ["fhir-rest"], SELECT.split(","))
        with EvidenceStore(f"sqlite:///{tmp / 'sample.db'}", find_key=False) as store:
            execute.run_embedded(store, load_campaign(path))
            entry = ledger.entries(store, "sample")[0]
            result, _status = store.get_result(entry.run_id)
    assert keys
    return result


def _for_target(result: object, campaign: str, key: str, attempt: int) -> object:
    """The sample run as target ``key``'s attempt would store it: its run id, its own organisation."""
    import copy

    from conformance.campaign import ledger

    out = copy.deepcopy(result)
    out.run.id = ledger.run_id(campaign, key, attempt)  # type: ignore[attr-defined]
    target = out.run.target  # type: ignore[attr-defined]
    target["name"] = key
    target["organisation"] = {**target.get("organisation", {}), "ods_code": f"B{abs(hash(key)) % 10**8:08d}"}
    return out


@contextmanager
def measured(kinds: dict[str, list[int]], label: str, targets: int, out: dict[str, dict[str, float]]) -> Iterator[None]:
    before, cpu = snapshot(kinds), time.process_time()
    yield
    after, cpu_after = snapshot(kinds), time.process_time()
    row = {k: (after[k] - before[k]) * 1000 / targets for k in kinds}
    row["client"] = (cpu_after - cpu) * 1000 / targets
    out[label] = row


def pieces(store_url: str, broker: str, result: object, targets: int, requests: int, campaign: str,
           kinds: dict[str, list[int]]) -> dict[str, dict[str, float]]:
    """CPU ms a target per piece, per server kind and for this process (``client``)."""
    from conformance.campaign import execute, ledger
    from conformance.campaign.redis_limiter import RedisLimiter
    from conformance.evidence.store import EvidenceStore

    keys = [f"targets/t{n:03d}.toml" for n in range(targets)]
    out: dict[str, dict[str, float]] = {}
    with EvidenceStore(store_url, find_key=False) as store:
        with measured(kinds, "enrol (all targets, once)", targets, out):
            ledger.enrol(store, campaign, keys)
        with measured(kinds, "claim", targets, out):
            attempts = [ledger.claim(store, campaign, k) for k in keys]
        runs = [_for_target(result, campaign, k, a or 0) for k, a in zip(keys, attempts, strict=True)]
        with measured(kinds, "store + settle", targets, out):
            for key, attempt, run in zip(keys, attempts, runs, strict=True):
                status = ledger.ABORTED if run.run.aborted else ledger.COMPLETE  # type: ignore[attr-defined]
                store.finish_run(run, ledger.settle_guard(store, campaign, key, attempt or 0, status))  # type: ignore[arg-type]
        alone = [_for_target(result, f"{campaign}-alone", k, 1) for k in keys]
        with measured(kinds, "store alone (no ledger: the run's own cost)", targets, out):
            for run in alone:
                store.finish_run(run)  # type: ignore[arg-type]
        keys2 = [f"targets/c{n:03d}.toml" for n in range(targets)]
        ledger.enrol(store, campaign, keys2)
        before = _sessions(store)
        with measured(kinds, "claim, store + settle, all in flight (threads)", targets, out):
            asyncio.run(_in_flight(store, campaign, keys2, result))
        out["claim, store + settle, all in flight (threads)"]["sessions"] = (_sessions(store) - before) / targets
        with measured(kinds, "dispatch poll (1 a target)", targets, out):
            for _ in range(targets):
                ledger.unsettled(store, campaign)

    async def limited() -> None:
        limiter = RedisLimiter(broker, 32)
        try:
            for _ in range(targets):
                for _ in range(requests):
                    token = await limiter.acquire("127.0.0.1:1")
                    await limiter.release("127.0.0.1:1", token)
        finally:
            await limiter.close()

    with measured(kinds, f"limiter ({requests} requests a target, one at a time)", targets, out):
        asyncio.run(limited())

    async def burst() -> None:  # requests in flight at once, as a worker's targets make them
        limiter = RedisLimiter(broker, 32)

        async def one() -> None:
            token = await limiter.acquire("127.0.0.1:2")
            await asyncio.sleep(0.002)
            await limiter.release("127.0.0.1:2", token)

        try:
            for _ in range(targets):
                await asyncio.gather(*(one() for _ in range(requests)))
        finally:
            await limiter.close()

    with measured(kinds, f"limiter ({requests} requests a target in flight at once)", targets, out):
        asyncio.run(burst())
    _ = execute
    return out


async def _in_flight(store: object, campaign: str, keys: list[str], result: object) -> None:
    """Claim, then store and settle, every target at once through the worker's thread pool (execute.py)."""
    from conformance.campaign import execute, ledger
    from conformance.campaign.claims import Claims, gate_for

    asyncio.get_running_loop().set_default_executor(execute.executor(len(keys)))
    claims = Claims(store, campaign, gate_for(store))  # type: ignore[arg-type]

    async def one(key: str) -> None:  # as execute.run_target does, without the checks
        attempt = await claims.claim(key)
        run = _for_target(result, campaign, key, attempt or 0)
        guard = ledger.settle_guard(store, campaign, key, attempt or 0, ledger.COMPLETE)  # type: ignore[arg-type]
        async with claims.gate:
            await asyncio.to_thread(store.finish_run, run, guard)  # type: ignore[attr-defined]

    await asyncio.gather(*(one(k) for k in keys))


def _sessions(store: object) -> int:
    """Connections PostgreSQL has accepted so far (each a backend started: a fork, a login)."""
    import sqlalchemy as sa

    with store.engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(sa.text("SELECT sum(sessions) FROM pg_stat_database")).scalar_one())


def count_statements(server: str, store_url: str, result: object, targets: int) -> dict[str, float]:
    """Statements PostgreSQL logged a target for claim and store + settle (log_statement = all)."""
    import sqlalchemy as sa

    from conformance.campaign import ledger
    from conformance.evidence.store import EvidenceStore

    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        data = conn.execute(sa.text("SHOW data_directory")).scalar_one()
        conn.execute(sa.text("ALTER SYSTEM SET log_statement = 'all'"))
        conn.execute(sa.text("SELECT pg_reload_conf()"))
    time.sleep(0.5)
    log = Path(str(data)).parent / "postgres.log"
    keys = [f"targets/s{n:03d}.toml" for n in range(targets)]
    counts: dict[str, float] = {}
    try:
        with EvidenceStore(store_url, find_key=False) as store:
            ledger.enrol(store, "count", keys)

            def logged(label: str, work: Callable[[], object]) -> object:
                start = log.stat().st_size
                value = work()
                time.sleep(0.3)
                with open(log, "rb") as f:
                    f.seek(start)
                    lines = f.read().decode(errors="replace").splitlines()
                kinds = [m.group(1) for line in lines if (m := re.search(r"LOG:  (statement|execute [^:]*):", line))]
                counts[label] = len(kinds) / targets
                return value

            attempts = logged("claim", lambda: [ledger.claim(store, "count", k) for k in keys])
            runs = [_for_target(result, "count", k, a or 0) for k, a in zip(keys, attempts, strict=True)]  # type: ignore[call-overload]

            def settle() -> None:
                for key, attempt, run in zip(keys, attempts, runs, strict=True):  # type: ignore[call-overload]
                    store.finish_run(run, ledger.settle_guard(store, "count", key, attempt or 0, ledger.COMPLETE))

            logged("store + settle", settle)
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text("ALTER SYSTEM RESET log_statement"))
            conn.execute(sa.text("SELECT pg_reload_conf()"))
        engine.dispose()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument("--requests", type=int, default=37)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--statements", action="store_true")
    args = parser.parse_args()
    from tests.campaign.helpers import redis_server
    from tests.pg import fresh_database, postgres_server

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        result = sample_run(tmp)
        print(f"a run of {len(result.results)} outcomes, "  # type: ignore[attr-defined]
              f"{sum(len(r.evidence) for r in result.results)} evidence items")  # type: ignore[attr-defined]
        with postgres_server() as server, redis_server(tmp) as broker:
            kinds = {"postgres": children_named(os.getpid(), "postgres"),
                     "redis": children_named(os.getpid(), "redis-server")}
            for n in range(args.rounds):
                table = pieces(fresh_database(server, f"pieces_{n}"), broker, result, args.targets, args.requests,
                               f"bench-{n}", kinds)
                print(f"round {n + 1}: CPU ms a target ({args.targets} targets; shared machine: CPU, not wall)")
                for label, row in table.items():
                    print(f"  {label:<55} " + "  ".join(f"{k} {v:5.2f}" for k, v in row.items()))
            if args.statements:
                counts = count_statements(server, fresh_database(server, "statements"), result, 50)
                print("statements PostgreSQL ran a target: " + ", ".join(f"{k} {v:.1f}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
