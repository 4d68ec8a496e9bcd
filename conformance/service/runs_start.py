"""Runs started from the service: executed in the server process, in the background, through the same
session.execute as ``conformance run`` (the same plan, runner, reports and store), one thread per run.

The run id is handed out before the run starts, so its live page and its status answer at once; a
launch row says how far it got (queued, running, complete, aborted, failed) and why, and the in-memory
:class:`Progress` feeds the live page's server-sent events. A run that cannot start (the target does not
answer, a bad selection) is ``failed`` with the harness's own sentence, scrubbed of every credential.
"""

from __future__ import annotations

import contextlib
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from conformance import scrub
from conformance.evidence.store import EvidenceStore, now_iso
from conformance.runner.events import CheckFinished, Event, RunFinished, RunStarted
from conformance.service.auth import Principal
from conformance.service.secretbox import SecretBox
from conformance.service.targets import BUILTIN, LaunchRow, for_run
from conformance.session import RunOptions, execute, new_run_id
from conformance.targets import Target

FINAL = ("complete", "aborted", "failed")


@dataclass
class Progress:
    """How far a run has got, as its live page shows it; ``version`` moves on every change."""

    state: str = "queued"
    total: int = 0
    done: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {"pass": 0, "fail": 0, "skip": 0, "error": 0})
    last: str = ""
    message: str = ""
    version: int = 0

    def as_json(self) -> dict[str, object]:
        return {"state": self.state, "total": self.total, "done": self.done, "counts": dict(self.counts),
                "last": self.last, "message": self.message}


def _builtin(running: contextlib.ExitStack, registered: Target) -> Target:
    """Start the built-in sandbox (FHIR and MLLP, loopback, free ports) for one run; stopped with ``running``.
    The registered name, organisation and credentials are kept; the addresses are the sandbox's."""
    from conformance.sandbox.faults import parse_faults
    from conformance.sandbox.hl7v2.server import MllpSandbox
    from conformance.sandbox.server import SandboxServer
    from conformance.sandbox.target import sandbox_target

    server = running.enter_context(SandboxServer(parse_faults([])))
    mllp = running.enter_context(MllpSandbox(parse_faults([])))
    target = sandbox_target(server.base_url, mllp=mllp.address)
    target.name, target.source, target.auth = registered.name, BUILTIN, registered.auth
    target.organisation, target.system = registered.organisation, registered.system
    return target


@dataclass(frozen=True)
class _Follow:
    """The runner's events of one run, into its :class:`Progress`."""

    launcher: Launcher
    run_id: str

    def on_event(self, event: Event) -> None:
        self.launcher._event(self.run_id, event)


class Launcher:
    """Starts runs in background threads and keeps their progress while the server lives."""

    def __init__(self, store: EvidenceStore, box: SecretBox, reports_dir: Path, workers: int = 2) -> None:
        self.store, self.box, self.reports_dir = store, box, reports_dir
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="conformance-run")
        self.progress: dict[str, Progress] = {}
        self.lock = threading.Lock()

    def start(self, who: Principal, target_id: int, suites: list[str], select: list[str]) -> str:
        """Record the launch and queue the run; its id, at once."""
        run_id = new_run_id()
        with self.store.transaction("record a launch") as session:
            session.add(LaunchRow(run_id=run_id, target_id=target_id, user_id=who.user_id, suites=suites,
                                  select=select, state="queued", message="", created=now_iso(), finished=""))
        with self.lock:
            self.progress[run_id] = Progress()
        self.pool.submit(self._run, run_id, target_id, suites, select)
        return run_id

    def _update(self, run_id: str, **changes: object) -> None:
        with self.lock:
            found = self.progress.setdefault(run_id, Progress())
            for key, value in changes.items():
                setattr(found, key, value)
            found.version += 1

    def _event(self, run_id: str, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._update(run_id, state="running", total=event.total)
        elif isinstance(event, CheckFinished):
            with self.lock:
                found = self.progress[run_id]
                found.done += 1
                found.counts[event.result.status.value] += 1
                found.last = f"{event.result.id}: {event.result.status.value}"
                found.version += 1
        elif isinstance(event, RunFinished):
            self._update(run_id, state="storing")

    def _record(self, run_id: str, state: str, message: str) -> None:
        message = scrub.RUN.text(message)
        self._update(run_id, state=state, message=message)
        with self.store.transaction("record how a launch ended") as session:
            row = session.get(LaunchRow, run_id)
            if row is not None:
                row.state, row.message, row.finished = state, message, now_iso()

    def _run(self, run_id: str, target_id: int, suites: list[str], select: list[str]) -> None:
        try:
            with self.store.transaction("mark a launch running") as session:
                row = session.get(LaunchRow, run_id)
                if row is not None:
                    row.state = "running"
            target = for_run(self.store, self.box, target_id)
            with contextlib.ExitStack() as running:
                if target.endpoints.get("fhir") == BUILTIN:
                    target = _builtin(running, target)
                options = RunOptions(suites=suites, select=select, out_dir=self.reports_dir / run_id,
                                     store_url=self.store.engine.url.render_as_string(hide_password=False),
                                     run_id=run_id, sinks=[_Follow(self, run_id)])
                outcome = execute(target, options, Console(file=io.StringIO(), width=120))
        except BaseException as exc:  # noqa: BLE001 - any failure is the launch's state, never a dead thread
            from conformance.runner.execute import describe_exception

            self._record(run_id, "failed", f"the run could not be completed: {describe_exception(exc)}")
            return
        if outcome.stopped is not None:
            self._record(run_id, "aborted", f"aborted: {outcome.stopped.reason}")
        else:
            summary = outcome.result.summary()
            self._record(run_id, "complete", ", ".join(f"{n} {s}" for s, n in summary.items()))

    def status(self, run_id: str) -> Progress | None:
        """The live progress, else (after a restart) what the launch row says, else None."""
        with self.lock:
            found = self.progress.get(run_id)
            if found is not None:
                return Progress(**{**vars(found), "counts": dict(found.counts)})
        with self.store.transaction("read a launch") as session:
            row = session.get(LaunchRow, run_id)
            if row is None:
                return None
            state = row.state if row.state in FINAL else "failed"
            message = row.message or ("" if row.state in FINAL else "the service stopped before the run ended")
            return Progress(state=state, message=message)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
