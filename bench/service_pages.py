#!/usr/bin/env python3
"""`conformance serve` page times on the demo store, against a static file served by the same server.

    .venv/bin/python bench/service_pages.py [--db reports/conformance.db] [--requests 40]

Copies the SQLite store (default: the one `conformance demo` writes) to a temporary directory, adds a
national viewer there (the store given is never written), starts `conformance serve` on a free
loopback port, signs in, and asks each page and API route ``--requests`` times, one at a time. Prints
p50 and p95 per route, and each p95 as a multiple of the static stylesheet's p95. The server process
is stopped by its pid.
"""

from __future__ import annotations

import argparse
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from conformance.evidence.store import EvidenceStore
from conformance.service.accounts import add_user

PASSWORD = "bench-only synthetic passphrase"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]  # nearest rank


def start(url: str, cwd: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "conformance.cli", "serve", "--store", url, "--port", "0"],
                               cwd=cwd, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    line, deadline = "", time.monotonic() + 60
    while "serving" not in line and time.monotonic() < deadline and process.poll() is None:
        if select.select([process.stderr], [], [], 1.0)[0]:
            line = process.stderr.readline()
    found = re.search(r"at (http://127\.0\.0\.1:\d+)/", line)
    if not found:
        os.kill(process.pid, signal.SIGTERM)
        raise SystemExit(f"conformance serve did not start: {line!r}")
    return process, found.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, default=Path("reports/conformance.db"))
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    if not args.db.is_file():
        raise SystemExit(f"{args.db}: no store (run `conformance demo` first)")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "conformance.db"
        shutil.copyfile(args.db, copy)
        url = f"sqlite:///{copy}"
        with EvidenceStore(url, find_key=False) as store:
            add_user(store, "bench", PASSWORD, "national")
            run_id = store.list_runs()[0]["id"]
            result, _ = store.get_result(run_id)
            check = result.results[0].id
        process, base = start(url, Path(tmp))
        try:
            with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as http:
                form = http.get("/login").text
                csrf = re.search(r'name="csrf" value="([^"]+)"', form)
                assert csrf is not None
                signed = http.post("/login", data={"username": "bench", "password": PASSWORD, "csrf": csrf.group(1)})
                assert signed.status_code == 303, signed.text[:200]
                routes = ["/static/app.css", "/", "/footprints/XFP01", "/organisations/X26", "/runs", f"/runs/{run_id}",
                          f"/runs/{run_id}/checks/{check}", f"/api/v1/runs/{run_id}/results",
                          "/api/v1/footprints/XFP01"]
                times: dict[str, list[float]] = {}
                for route in routes:
                    http.get(route)  # warm
                    for _ in range(args.requests):
                        began = time.perf_counter()
                        response = http.get(route)
                        times.setdefault(route, []).append((time.perf_counter() - began) * 1000)
                        assert response.status_code == 200, (route, response.status_code)
        finally:
            os.kill(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
    static = percentile(times["/static/app.css"], 0.95)
    print(f"{'route':60} {'p50 ms':>8} {'p95 ms':>8} {'x static':>9}")
    for route, values in times.items():
        p95 = percentile(values, 0.95)
        print(f"{route[:60]:60} {percentile(values, 0.5):8.1f} {p95:8.1f} {p95 / static:9.1f}")
    slowest = max(percentile(v, 0.95) for r, v in times.items() if not r.startswith("/static"))
    print(f"slowest page p95: {slowest:.1f} ms ({'under' if slowest < 200 else 'OVER'} the 200 ms target)")


if __name__ == "__main__":
    main()
