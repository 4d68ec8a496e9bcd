"""A journal of what API calls created, kept on disk as it happens, for ``conformance cleanup``.

An API described only by an OpenAPI document has no search by tag: what a run created there can be
found later only if the harness wrote it down at once. One JSON line per creation and per deletion,
in one file per run, flushed and synced before the run goes on, so a run killed with SIGKILL leaves
its journal behind. A run's file is removed once nothing in it is left.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from conformance.scrub import RUN

DEFAULT = Path("reports") / "created"
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


class Ledger:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _file(self, run_id: str) -> Path:
        return self.directory / (_SAFE.sub("_", run_id) + ".jsonl")

    def _append(self, run_id: str, entry: dict[str, Any]) -> None:
        entry = RUN.value(entry)  # a URL the server handed back may echo a credential (issue 18)
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._file(run_id)
        with open(path, "ab") as out:
            lead = b""
            if out.tell() > 0:
                with open(path, "rb") as tail:
                    tail.seek(-1, os.SEEK_END)
                    lead = b"" if tail.read(1) == b"\n" else b"\n"  # end a line cut short by a kill
            out.write(lead + json.dumps(entry, separators=(",", ":")).encode() + b"\n")
            out.flush()
            os.fsync(out.fileno())

    def created(self, run_id: str, url: str, operation: str, deletable: bool) -> None:
        self._append(run_id, {"op": "created", "run": run_id, "url": url, "operation": operation,
                              "deletable": deletable})

    def deleted(self, run_id: str, url: str) -> None:
        self._append(run_id, {"op": "deleted", "run": run_id, "url": url})

    def pending(self, run_id: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """Run id -> what it created and has not deleted (oldest first). Unreadable lines are skipped."""
        out: dict[str, list[dict[str, Any]]] = {}
        files = [self._file(run_id)] if run_id else sorted(self.directory.glob("*.jsonl"))
        for path in files:
            if not path.is_file():
                continue
            live: dict[str, dict[str, Any]] = {}
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a kill
                if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
                    continue
                if entry.get("op") == "created":
                    live[entry["url"]] = entry
                elif entry.get("op") == "deleted":
                    live.pop(entry["url"], None)
            out[str(next(iter(live.values()))["run"]) if live else path.stem] = list(live.values())
        return out

    def settle(self, run_id: str) -> None:
        """Remove the run's journal when nothing in it is left."""
        if not self.pending(run_id).get(run_id):
            self._file(run_id).unlink(missing_ok=True)
