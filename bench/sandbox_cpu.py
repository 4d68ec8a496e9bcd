#!/usr/bin/env python3
"""The sandbox's CPU a request under the campaign bench's load, from /proc (issue 23: the stand-in suppliers'
servers share the workers' cores, so every millisecond they take is one the second worker cannot have).

    .venv/bin/python bench/sandbox_cpu.py [--trees .,/tmp/main] [--rounds 3] [--targets 50] [--fault F]
                                          [--latency-ms 50] [--select PATTERN,...] [--profile FILE]

For each round and each source tree in turn (so old and new code meet the same load drift): a fresh sandbox
process started the way bench/campaign_throughput.py starts its sandboxes (``--serve`` of that tree's copy),
4 warm-up targets (imports, first loads: not counted), then ``--targets`` targets of the campaign bench's
checks in flight at once through the embedded pool in this process. The sandbox's utime + stime is read
from /proc/<pid>/stat around them; requests are counted here, at httpx. CPU is what the kernel charged,
so it holds on a loaded machine; the wall-clock seconds printed beside it do not.
``--profile FILE``: the (first tree's) sandbox runs under cProfile, its stats written to FILE on exit.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.campaign_throughput import SELECT, _wait_port, campaign_file, embedded  # noqa: E402
from bench.cpu_account import TICK  # noqa: E402

SENT = [0]


def _count_requests() -> None:
    """Count every request the harness sends (httpx's one door), so CPU can be shown per request."""
    import httpx

    send = httpx.AsyncClient.send

    async def counted(self: httpx.AsyncClient, *args: object, **kwargs: object) -> httpx.Response:
        SENT[0] += 1
        return await send(self, *args, **kwargs)  # type: ignore[arg-type]

    httpx.AsyncClient.send = counted  # type: ignore[method-assign]


def cpu_of(pid: int) -> tuple[float, float]:
    """utime and stime of one process (every thread), seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def start(tree: Path, fault: str, latency_ms: float, profile: str | None,
          tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The tree's bench sandbox; a tree named ``PATH+asyncio`` runs without uvloop (uvicorn's "auto" loop
    takes uvloop whenever it imports: hiding it gives main's sandbox as it ran before uvloop was installed)."""
    from tests.campaign.helpers import free_port

    port = free_port()
    path = [str(tree)]
    if str(tree).endswith("+asyncio"):
        tree = Path(str(tree).removesuffix("+asyncio")).resolve()
        hide = tmp / "no-uvloop"
        hide.mkdir(exist_ok=True)
        (hide / "uvloop.py").write_text('raise ImportError("hidden by bench/sandbox_cpu.py")\n')
        path = [str(hide), str(tree)]
    script = str(tree / "bench" / "campaign_throughput.py")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path),
           **({"CONFORMANCE_SANDBOX_PROFILE": profile} if profile else {})}
    proc = subprocess.Popen([sys.executable, script, "--serve", str(port), fault, str(latency_ms)], cwd=tree,
                            env=env)
    _wait_port(port, proc)
    return proc, f"http://127.0.0.1:{port}/fhir"


def measure(tmp: Path, tree: Path, args: argparse.Namespace, tag: str, profile: str | None) -> tuple[float, int]:
    """CPU seconds of one fresh sandbox over ``--targets`` targets, and the requests they sent."""
    from tests.campaign.helpers import stop, write_targets

    select = [p.strip() for p in args.select.split(",") if p.strip()]
    proc, url = start(tree, args.fault, args.latency_ms, profile, tmp)
    try:
        write_targets(tmp / f"warm-{tag}" / "targets", [url] * 4, prefix="w")
        embedded(f"sqlite:///{tmp / f'warm-{tag}.db'}", campaign_file(tmp / f"warm-{tag}", "warm", select, 4), 4)
        write_targets(tmp / f"run-{tag}" / "targets", [url] * args.targets)
        path = campaign_file(tmp / f"run-{tag}", "run", select, args.targets)
        sent, (user, system) = SENT[0], cpu_of(proc.pid)
        wall = embedded(f"sqlite:///{tmp / f'run-{tag}.db'}", path, args.targets)[0]
        user, system = (a - b for a, b in zip(cpu_of(proc.pid), (user, system), strict=True))
        used, requests = user + system, SENT[0] - sent
        print(f"  {tree}: {requests} requests, sandbox CPU {used * 1000:.0f} ms (system {system * 1000:.0f}) = "
              f"{used * 1000 / requests:.3f} ms a request, {used * 1000 / args.targets:.1f} ms a target "
              f"(wall {wall:.1f} s, noisy)", flush=True)
        return used, requests
    finally:
        stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trees", default=".", help="source trees to compare, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--targets", type=int, default=50, help="targets in flight a round (a bench round gives "
                                                                 "each of its 4 sandboxes 50)")
    parser.add_argument("--fault", default="", help="the sandbox's fault (the bench's first sandbox has none)")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--select", default=SELECT)
    parser.add_argument("--profile", help="cProfile the first tree's sandbox (first round) into this file")
    args = parser.parse_args()
    _count_requests()
    from conformance.campaign.execute import plan_for

    plan_for(["fhir-rest"], [p.strip() for p in args.select.split(",") if p.strip()])
    trees = [Path(t).absolute() for t in args.trees.split(",") if t.strip()]
    totals: dict[Path, list[tuple[float, int]]] = {t: [] for t in trees}
    with tempfile.TemporaryDirectory() as tmp_name:
        for r in range(args.rounds):
            print(f"round {r + 1} ({time.strftime('%H:%M:%S')}, load average {os.getloadavg()[0]:.1f})", flush=True)
            for i, tree in enumerate(trees):
                profile = args.profile if args.profile and i == 0 and r == 0 else None
                totals[tree].append(measure(Path(tmp_name), tree, args, f"{r}-{i}", profile))
    for tree, rows in totals.items():
        each = ", ".join(f"{cpu * 1000 / n:.3f}" for cpu, n in rows)
        per_target = ", ".join(f"{cpu * 1000 / args.targets:.1f}" for cpu, _ in rows)
        print(f"{tree}: sandbox CPU a request {each} ms; a target {per_target} ms")


if __name__ == "__main__":
    main()
