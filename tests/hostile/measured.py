"""A whole ``conformance run`` in a child process against a hostile peer process, its peak memory measured.

Peak resident memory is VmHWM from /proc/self/status, not ``getrusage().ru_maxrss``: Linux carries
ru_maxrss across fork and exec, so a child of a pytest process that has grown to 500 MB reports the
parent's peak, not its own. VmHWM belongs to the address space the exec made: the harness alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conformance.evidence.store import COMPLETE, EvidenceStore

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
# About 130 MB for the harness on its own; a 1 GB body or a 100 MB frame held even in part is far above.
RSS_BOUND_KB = 220 * 1024
MEASURED = ("import atexit, sys\n"
            "out = sys.argv.pop(1)\n"
            "def peak():\n"
            "    for line in open('/proc/self/status'):\n"
            "        if line.startswith('VmHWM:'):\n"
            "            open(out, 'w').write(line.split()[1])\n"
            "atexit.register(peak)\n"
            "from conformance.cli import main; main()")


@contextmanager
def peer_process(module: str, behaviour: str) -> Iterator[str]:
    """Start ``python -m module behaviour`` (it prints where it listens); stop it by pid."""
    proc = subprocess.Popen([sys.executable, "-m", module, behaviour], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    where = proc.stdout.readline().strip()
    try:
        yield where
    finally:
        proc.kill()
        proc.wait(timeout=30)


def measured_run(tmp_path: Path, *args: str) -> list[dict[str, Any]]:
    """``conformance run ARGS`` exiting 1 with no traceback, within the memory bound, stored complete:
    its results."""
    rss, store = tmp_path / "rss", f"sqlite:///{tmp_path / 'store.db'}"
    done = subprocess.run([sys.executable, "-c", MEASURED, str(rss), "run", *args, "--store", store,
                           "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, env=ENV, cwd=tmp_path, timeout=300)
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr + done.stdout
    assert int(rss.read_text()) < RSS_BOUND_KB, f"peak RSS {rss.read_text()} kB"
    with EvidenceStore(store) as opened:
        (run,) = opened.list_runs()
        _, stored = opened.get_result(str(run["id"]))
    assert stored == COMPLETE
    results: list[dict[str, Any]] = json.loads((tmp_path / "out" / "report.json").read_text())["results"]
    return results
