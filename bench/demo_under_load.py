"""The README's first command on a starved CPU: `conformance demo` N times while BUSY CPU-bound processes run.

Issue 19's done-when: 20 demo runs out of 20 exit 0 with six busy processes on a 2-core machine. The busy
processes are started here and stopped by their pids (never by name); each demo writes to its own temporary
report directory and store. Prints one line per run (exit code, seconds, failing checks) and the count.

    python bench/demo_under_load.py [--runs 20] [--busy 6]
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUSY = "while True: pass"


def failing(report_dir: Path) -> list[str]:
    """The checks of a run that did not pass or skip (read from its report.json)."""
    reports = sorted(report_dir.glob("*/report.json"))
    if not reports:
        return ["(no report written)"]
    data = json.loads(reports[-1].read_text(encoding="utf-8"))
    return [f"{c['id']}={c['status']}" for c in data.get("checks", data.get("results", []))
            if c.get("status") not in ("pass", "skip")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--busy", type=int, default=6)
    parser.add_argument("--conformance", default=str(Path(sys.executable).with_name("conformance")),
                        help="The conformance command to run (default: next to this Python).")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # `kill PID` runs the finally below too
    busy = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(args.busy)]
    ok = 0
    try:
        for n in range(1, args.runs + 1):
            with tempfile.TemporaryDirectory(prefix="demo-load-") as tmp:
                out = Path(tmp) / "reports"
                started = time.monotonic()
                demo = subprocess.Popen([args.conformance, "demo", "--out", str(out / "run"),
                                         "--store", f"sqlite:///{tmp}/store.db"],
                                        cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                try:
                    _, stderr = demo.communicate()
                finally:  # interrupted: stop this demo too, by its pid, and wait for it
                    if demo.poll() is None:
                        demo.kill()
                        demo.wait()
                proc = subprocess.CompletedProcess(demo.args, demo.returncode, "", stderr)
                took = time.monotonic() - started
                ok += proc.returncode == 0
                bad = [] if proc.returncode == 0 else failing(out) + proc.stderr.strip().splitlines()[-2:]
                print(f"run {n:2}: exit {proc.returncode}  {took:6.1f} s  {' '.join(bad)}", flush=True)
    finally:
        for p in busy:  # by pid, each one we started
            p.kill()
            p.wait()
    print(f"{ok} of {args.runs} demo runs exited 0 with {args.busy} busy processes")
    return 0 if ok == args.runs else 1


if __name__ == "__main__":
    raise SystemExit(main())
