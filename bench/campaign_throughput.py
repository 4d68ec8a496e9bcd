#!/usr/bin/env python3
"""Campaign throughput: 200 sandbox targets, one after another vs Celery workers keeping many in flight.

    .venv/bin/python bench/campaign_throughput.py [--targets 200] [--sandboxes 4] [--latency-ms 50]
                                                 [--sequential 10] [--select PATTERN,...] [--workers 1,2]
                                                 [--chunk 25] [--chunks 4] [--concurrency N]

``--sandboxes`` sandbox processes on loopback (each with a different fault switched on, each answering
every request ``--latency-ms`` late, as a supplier's server across a network would); ``--targets``
target files spread over them, each its own organisation, all ``sandbox = true``. Measured in one run:

* sequential: ``--sequential`` targets run one after another in this process (per-target time, then
  projected to all targets: running all 200 one by one would take most of an hour), after a warm-up of
  4 targets whose CPU (the process's one-time imports and loads) is printed apart;
* the embedded pool: every target in one event loop here, with where the time went (probe, checks, store)
  and this process's CPU a target in flight (``time.process_time``: robust to a loaded machine);
* Celery: ``conformance worker`` processes (``--workers 1,2,1,2``: interleaved rounds, the best of
  each) over a throwaway redis-server, results in a throwaway PostgreSQL; workers are started and
  warmed up first, then the clock runs from queueing
  the campaign (in ``--chunk``-target tasks) until the ledger shows every target settled.

The embedded pool and each worker process keep ``--concurrency`` targets in flight (default: all).
Prints targets/s for each and the ratios (2 workers / 1 worker; 1 worker / sequential), and for each
round a CPU account from /proc (bench/cpu_account.py): CPU seconds used by the workers (or this
process), the sandboxes, redis-server, PostgreSQL, and by the rest of the machine meanwhile, so where
the cores went is measured, not guessed (wall-clock times on a shared machine are not).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cpu_account import account, children_named, snapshot  # noqa: E402

FAULTS = ["", "etag-missing", "history-oldest-first", "metadata-fhir-version-3", "update-keeps-version",
          "delete-then-200"]
SELECT = "fhir-rest.capability.*,fhir-rest.crud.patient.*,fhir-rest.crud.observation.*"


def serve(port: int, fault: str, latency_ms: float) -> None:
    """A sandbox answering every request ``latency_ms`` late (``--serve``: run in its own process)."""
    import uvicorn

    from conformance.sandbox.faults import parse_faults
    from conformance.sandbox.fhir import create_app

    app = create_app(parse_faults([fault] if fault else []))

    async def delayed(scope: dict[str, object], receive: object, send: object) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(latency_ms / 1000)
        await app(scope, receive, send)  # type: ignore[arg-type]

    profile = os.environ.get("CONFORMANCE_SANDBOX_PROFILE")  # bench/sandbox_cpu.py --profile: cProfile to this file
    if not profile:
        uvicorn.run(delayed, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off",
                    timeout_keep_alive=120)
        return
    import cProfile
    import signal

    # uvicorn re-raises the SIGTERM it stopped on: a handler that exits lets the profile be written.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with cProfile.Profile() as prof:
        try:
            uvicorn.run(delayed, host="127.0.0.1", port=port, log_level="warning", access_log=False,
                        lifespan="off", timeout_keep_alive=120)
        finally:
            prof.dump_stats(profile)


def _wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    import socket

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"a sandbox process exited ({proc.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"sandbox on port {port} did not start")


def campaign_file(folder: Path, name: str, select: list[str], concurrency: int) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(f'name = "{name}"\nsuites = ["fhir-rest"]\nselect = {select!r}\ntargets = ["targets/*.toml"]\n'
                    .replace("'", '"') + f"[limits]\nconcurrency = {concurrency}\nper_host = 32\nattempts = 1\n")
    return path


def embedded(store_url: str, path: Path, concurrency: int) -> tuple[float, object, float]:
    """Wall seconds, the timings, and this process's CPU seconds (every thread: checks, probes, store)."""
    from conformance.campaign import execute
    from conformance.campaign.spec import load_campaign
    from conformance.evidence.store import EvidenceStore

    with EvidenceStore(store_url, find_key=False) as store:
        started, cpu = time.perf_counter(), time.process_time()
        timings = execute.run_embedded(store, load_campaign(path), concurrency)
        return time.perf_counter() - started, timings, time.process_time() - cpu


def redis_calls(broker: str) -> dict[str, int]:
    """Commands the broker's redis-server has run so far, by command (the limiter's and Celery's)."""
    import redis

    client = redis.Redis.from_url(broker)
    try:
        return {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in client.info("commandstats").items()}
    finally:
        client.close()


def pg_sessions(store_url: str) -> int:
    """Connections the PostgreSQL server has accepted so far (each a backend forked and logged in)."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(store_url, poolclass=sqlalchemy.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sqlalchemy.text("SELECT sum(sessions) FROM pg_stat_database")).scalar_one())
    finally:
        engine.dispose()


def with_workers(n: int, broker: str, store_url: str, path: Path, warmup: Path, chunk: int, held: int,
                 kinds: dict[str, list[int]]) -> tuple[float, str]:
    """Seconds for the campaign on ``n`` fresh worker processes, and the CPU account of that stretch."""
    from conformance.campaign import ledger
    from conformance.campaign.spec import load_campaign
    from conformance.campaign.worker import dispatch
    from conformance.evidence.store import EvidenceStore

    cli = [sys.executable, "-m", "conformance.cli", "worker", "--broker", broker, "--store", store_url,
           "--chunks", str(held)]
    workers = [subprocess.Popen(cli, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(n)]
    try:
        with EvidenceStore(store_url, find_key=False) as store:
            dispatch(broker, store, load_campaign(warmup), 1, 300)  # every worker imported and connected
            spec = load_campaign(path)
            kinds = {"workers": [p.pid for p in workers], **kinds}
            calls, sessions = redis_calls(broker), pg_sessions(store_url)
            before, started = snapshot(kinds), time.perf_counter()
            dispatch(broker, store, spec, chunk, 3600)
            elapsed, after = time.perf_counter() - started, snapshot(kinds)
            calls = {k: v - calls.get(k, 0) for k, v in redis_calls(broker).items()}
            states = [e.status for e in ledger.entries(store, spec.name)]
            if len(states) != len(spec.targets) or not all(s in ledger.SETTLED for s in states):
                raise SystemExit(f"{n} worker(s): not every target settled: {states}")
        per_target = {k: v / len(spec.targets) for k, v in sorted(calls.items(), key=lambda kv: -kv[1]) if v}
        commands = ", ".join(f"{k} {v:.1f}" for k, v in per_target.items() if k != "info")
        return elapsed, (f"{account(before, after, len(spec.targets))}; PostgreSQL sessions opened a target: "
                         f"{(pg_sessions(store_url) - sessions) / len(spec.targets):.2f}; "
                         f"Redis commands a target (the limiter's and Celery's): {commands}")
    finally:
        from tests.campaign.helpers import stop  # the bench's own processes, stopped as the tests stop theirs

        for proc in workers:
            stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument("--sandboxes", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--sequential", type=int, default=10, help="targets run one after another (projected)")
    parser.add_argument("--select", default=SELECT)
    parser.add_argument("--workers", default="1,2", help='worker rounds, e.g. 1,2,1,2 ("": none)')
    parser.add_argument("--no-embedded", action="store_true", help="skip the embedded pool")
    parser.add_argument("--chunk", type=int, default=25, help="targets per queued task")
    parser.add_argument("--chunks", type=int, default=4, help="chunks each worker process holds at once")
    parser.add_argument("--concurrency", type=int, default=0,
                        help="targets in flight in one process, embedded or worker (default: --targets)")
    parser.add_argument("--serve", nargs=3, metavar=("PORT", "FAULT", "LATENCY_MS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), args.serve[1], float(args.serve[2]))
        return
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed: `apt-get install redis-server` (as .ci/run does)")
    from tests.campaign.helpers import free_port, redis_server, stop, write_targets
    from tests.pg import fresh_database, postgres_server

    select = [p.strip() for p in args.select.split(",") if p.strip()]
    sandboxes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        try:
            urls = []
            for n in range(args.sandboxes):
                port, fault = free_port(), FAULTS[n % len(FAULTS)]
                proc = subprocess.Popen([sys.executable, __file__, "--serve", str(port), fault, str(args.latency_ms)],
                                        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
                sandboxes.append(proc)
                _wait_port(port, proc)
                urls.append(f"http://127.0.0.1:{port}/fhir")
            faults = ", ".join(FAULTS[n % len(FAULTS)] or "none" for n in range(args.sandboxes))
            print(f"{args.sandboxes} sandbox processes (faults: {faults}), {args.latency_ms:g} ms added latency; "
                  f"checks: {', '.join(select)}")
            write_targets(tmp / "all" / "targets", [urls[n % len(urls)] for n in range(args.targets)])
            write_targets(tmp / "seq" / "targets", [urls[n % len(urls)] for n in range(args.sequential)])
            write_targets(tmp / "warm" / "targets", urls[:1] * 4, prefix="w")
            sandbox_pids = {"sandboxes": [p.pid for p in sandboxes]}
            from conformance.campaign.execute import plan_for

            plan_for(["fhir-rest"], select)  # the suites' import and plan: once a process, not a target's cost
            # The process's first targets pay its one-time costs (the store's migrations, first loads): shown
            # apart, so that the per-target figures below are what each further target costs.
            warm_cpu = embedded(f"sqlite:///{tmp / 'warm.db'}", campaign_file(tmp / "warm", "warm", select, 4), 4)[2]
            print(f"warm-up: 4 targets in flight, {warm_cpu:.2f} s CPU in all (first loads included)")
            before = snapshot(sandbox_pids)
            seq_s, _, seq_cpu = embedded(f"sqlite:///{tmp / 'seq.db'}", campaign_file(tmp / "seq", "seq", select, 1),
                                         1)
            per_target = seq_s / args.sequential
            harness_cpu = seq_cpu / args.sequential
            server_cpu = (snapshot(sandbox_pids)["sandboxes"] - before["sandboxes"]) / args.sequential
            cores = os.cpu_count() or 1
            print(f"sequential: {args.sequential} targets in {seq_s:.1f} s = {per_target:.2f} s a target "
                  f"(projected {args.targets}: {per_target * args.targets:.0f} s); CPU a target: harness "
                  f"{harness_cpu:.2f} s, sandbox {server_cpu:.2f} s, the rest waiting on the network "
                  f"(ceiling on {cores} cores: x{per_target * cores / (harness_cpu + server_cpu):.1f})")
            concurrency = args.concurrency or args.targets
            if not args.no_embedded:
                before, cpu = snapshot(sandbox_pids), time.process_time()
                emb_s, t, emb_cpu = embedded(f"sqlite:///{tmp / 'emb.db'}",
                                             campaign_file(tmp / "all", "embedded", select, concurrency), concurrency)
                used = account({**before, "harness": cpu}, {**snapshot(sandbox_pids), "harness": time.process_time()},
                               args.targets)
                print(f"embedded pool (1 process, {concurrency} in flight): {args.targets} targets in {emb_s:.1f} s "
                      f"({args.targets / emb_s:.2f}/s, x{per_target * args.targets / emb_s:.1f} sequential); "
                      f"summed over targets: checks {t.checks:.0f} s, probe {t.probe:.1f} s, store {t.store:.1f} s "  # type: ignore[attr-defined]
                      f"= {(t.checks + t.probe + t.store) / emb_s:.0f} targets in flight on average\n  {used}")  # type: ignore[attr-defined]
                print(f"embedded pool CPU a target (in flight): harness {emb_cpu / args.targets:.3f} s "
                      "(this process, every thread: checks, probes, store)")
            results: dict[int, float] = {}
            rounds = [int(w) for w in args.workers.split(",") if w.strip()]  # --workers "": the embedded pool only
            with contextlib.ExitStack() as servers:
                if rounds:
                    server, broker = servers.enter_context(postgres_server()), servers.enter_context(redis_server(tmp))
                    kinds = {**sandbox_pids, "redis": children_named(os.getpid(), "redis-server"),
                             "postgres": children_named(os.getpid(), "postgres")}
                # "1,2,1,2": interleaved rounds, the best of each kept (the machine is shared; its load drifts)
                for i, n in enumerate(rounds):
                    url = fresh_database(server, f"bench_campaign_{i}")
                    run = campaign_file(tmp / "all", f"workers-{i}", select, concurrency)
                    warm = campaign_file(tmp / "warm", f"warm-{i}", select, 4)
                    took, used = with_workers(n, broker, url, run, warm, args.chunk, args.chunks, kinds)
                    results[n] = min(results.get(n, took), took)
                    print(f"{n} worker process(es), each holding {args.chunks} chunks of {args.chunk} targets, "
                          f"at most {concurrency} in flight: "
                          f"{args.targets} targets in {took:.1f} s ({args.targets / took:.2f} targets/s)\n  {used}")
            if 1 in results:
                print(f"1 worker vs sequential: x{per_target * args.targets / results[1]:.1f}")
            if 1 in results and 2 in results:
                print(f"2 workers vs 1: x{results[1] / results[2]:.2f}")
        finally:
            for proc in sandboxes:
                stop(proc)


if __name__ == "__main__":
    main()
