"""CPU seconds used per kind of process (workers, sandboxes, redis, postgres, ...) over a stretch of a bench.

Read from /proc, so it counts what the kernel charged, whatever the load: each kind is the process trees
under the pids given for it (live processes' user + system time, plus what their exited children left in
the parent's ``cutime``/``cstime`` once reaped: PostgreSQL's backends, Celery's pool processes). The
machine's own busy time (/proc/stat) is read too, so what the rest of the machine used is shown beside it.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stats() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds of it and its reaped children) for every live process."""
    out: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        out[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]) / TICK)
    return out


def machine_busy() -> float:
    """CPU seconds the whole machine spent not idle since boot (all cores)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / TICK  # less idle and iowait


def snapshot(kinds: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds so far per kind: the trees under each kind's pids; ``machine`` is the whole machine."""
    stats = _stats()
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (parent, _cpu) in stats.items():
        children[parent].append(pid)
    out = {"machine": machine_busy()}
    for kind, roots in kinds.items():
        total, todo = 0.0, [p for p in roots if p in stats]
        while todo:
            pid = todo.pop()
            total += stats[pid][1]
            todo.extend(children[pid])
        out[kind] = total
    return out


def children_named(pid: int, name: str) -> list[int]:
    """Direct children of ``pid`` whose command is ``name`` (the bench's redis-server, postgres)."""
    found = []
    for child, (parent, _cpu) in _stats().items():
        if parent == pid:
            try:
                if Path(f"/proc/{child}/comm").read_text().strip() == name:
                    found.append(child)
            except OSError:
                continue
    return found


def account(before: dict[str, float], after: dict[str, float], targets: int) -> str:
    """One line: each kind's CPU seconds over the stretch (and per target), then the rest of the machine."""
    used = {k: after[k] - before.get(k, 0.0) for k in after}
    ours = sum(v for k, v in used.items() if k != "machine")
    parts = [f"{k} {v:.1f} s ({v / targets * 1000:.0f} ms a target)" for k, v in used.items() if k != "machine"]
    return (f"CPU: {', '.join(parts)}; the rest of the machine {max(0.0, used['machine'] - ours):.1f} s")
