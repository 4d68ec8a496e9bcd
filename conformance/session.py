"""One run from start to finish: plan, execute, report, store. The CLI's ``run`` and ``demo`` share it.

Kept apart from the CLI (conformance/cli/) so that tests and other programs can run suites without
parsing arguments, and so the CLI stays a thin layer that maps outcomes to exit codes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from conformance import __version__, scrub
from conformance.checks import Links
from conformance.errors import EXIT_FAILED as EXIT_FAILED
from conformance.errors import EXIT_HARNESS as EXIT_HARNESS
from conformance.errors import EXIT_INTERRUPTED as EXIT_INTERRUPTED
from conformance.errors import EXIT_OK as EXIT_OK
from conformance.errors import EXIT_TERMINATED as EXIT_TERMINATED
from conformance.errors import EXIT_USAGE as EXIT_USAGE
from conformance.model import CheckResult, RunInfo, RunResult
from conformance.reporting import ReportWriter
from conformance.reporting.console import ConsoleProgress, make_console, print_summary
from conformance.runner import Runner, build_plan, load_suites
from conformance.runner.events import CheckFinished, Event, EventSink, RunFinished, RunStarted
from conformance.runner.stop import INTERRUPTED, TERMINATED, Stop, terminated

if TYPE_CHECKING:  # the target file reader (pydantic) loads only when a command reads one
    from conformance.evidence.store import EvidenceStore
    from conformance.targets import Target


@dataclass
class RunOptions:
    suites: list[str] = field(default_factory=list)
    select: list[str] = field(default_factory=list)
    out_dir: Path | None = None
    json_path: Path | None = None
    junit_path: Path | None = None
    html_path: Path | None = None
    testreport_path: Path | None = None
    store_url: str | None = None
    concurrency: int = 4
    check_timeout: float = 60.0
    deadline: float | None = None  # seconds the whole run may take; else the target's [run] deadline
    verbose: bool = False
    # For tests and benchmarks: twins to use instead of the network (an in-memory HTTP transport...).
    links: Links = field(default_factory=Links)
    # For the service (runs started from the pages or the API): the run id handed out before the run
    # starts, and more consumers of the runner's events (live progress).
    run_id: str | None = None
    sinks: list[EventSink] = field(default_factory=list)


@dataclass
class RunOutcome:
    result: RunResult
    report_dir: Path
    written: dict[str, Path]
    stopped: Stop | None = None  # why the run was aborted, if it was
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when every required check passed and nothing errored; 1 otherwise; an aborted run is no
        verdict at all: 130 when the user interrupted it, else 3 (the target died, the deadline)."""
        if self.stopped is not None:
            return {INTERRUPTED: EXIT_INTERRUPTED, TERMINATED: EXIT_TERMINATED}.get(self.stopped.kind, EXIT_HARNESS)
        errored = any(r.status.value == "error" for r in self.result.results)
        return EXIT_OK if self.result.required_ok and not errored else EXIT_FAILED


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def execute(target: Target, options: RunOptions, console: Console | None = None) -> RunOutcome:
    """Run the selected suites against ``target``. Raises SelectionError / StoreError for usage errors."""
    from conformance.evidence.store import EvidenceStore, default_store_url
    from conformance.reporting import ReportError
    from conformance.targets import check_credentials

    console = console or make_console()
    check_credentials(target)
    # Every credential joins the run's secret set before anything can echo it (issue 18): evidence,
    # reports, the store and this console are scrubbed of it in every encoding.
    scrub.register(*target.auth.secrets(), *target.oauth.secrets())
    if target.auth.type == "basic":
        scrub.register(":".join(target.auth.secrets()))
    if not isinstance(console.file, scrub.ScrubbingStream):
        console.file = scrub.ScrubbingStream(console.file)  # type: ignore[assignment]
    report_dir = options.out_dir
    for path in (report_dir, options.json_path, options.junit_path, options.html_path, options.testreport_path):
        # Refuse unusable output paths before the target is touched, not after the run.
        if path is not None and path.exists() and path.is_dir() != (path == report_dir):
            raise ReportError(f"cannot write {'reports into' if path == report_dir else ''} {path}: "
                              f"it is a {'directory' if path.is_dir() else 'file'}".replace("  ", " "))
        blocked = _file_in_the_way(path)
        if blocked is not None:
            raise ReportError(f"cannot write {path}: {blocked} is a file, not a directory")
    registry = load_suites()
    plan = build_plan(registry, options.suites or None, options.select or None)
    on_network = options.links.on_network
    if on_network:
        # Before the store is opened: an unreachable target (a sandbox too) leaves no record at all.
        from conformance.runner.probe import probe

        probe(target)
    store = EvidenceStore(options.store_url or default_store_url())
    run_id = options.run_id or new_run_id()
    info = RunInfo(
        id=run_id,
        started=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        target=target.to_dict(),
        harness_version=__version__,
    )
    progress = ConsoleProgress(console, verbose=options.verbose)
    shown = _Shown(progress)
    # The run is stored as incomplete when it starts and completed only after the reports are on disk,
    # so a store that fails at the end cannot cost the user the run's reports.
    stored = _StoredAfterReports(store)
    runner = Runner(
        registry,
        sinks=[shown, stored, *options.sinks],
        concurrency=options.concurrency,
        check_timeout=options.check_timeout,
        links=options.links,
        deadline=options.deadline or target.deadline,
        reprobe=_reprobe(target) if on_network else None,
    )
    shown.runner = runner
    report_dir = report_dir or Path("reports") / run_id
    with progress:
        try:
            result = asyncio.run(_drive(runner, plan, target, info, console))
        except (Exception, KeyboardInterrupt) as exc:
            with _finishing(info.id):
                _keep_what_ran(stored, RunResult(run=info, results=stored.finished), report_dir, exc)
            raise
    reports = ReportWriter(report_dir, json_path=options.json_path, junit_path=options.junit_path,
                           html_path=options.html_path, testreport_path=options.testreport_path)
    finish = RunFinished(result=result)
    with _finishing(info.id):  # a Ctrl-C now would leave the run incomplete for ever, its reports half-written
        try:
            reports.on_event(finish)
            print_summary(console, result, report_dir)
        except Exception:
            # The checks ran (and wrote to the target): what they found is stored even if a report cannot
            # be written, never left incomplete; the report's error is the one raised.
            with contextlib.suppress(Exception):
                stored.release(finish)
                store.close()
            raise
        stored.release(finish)
    if store.signer is None:
        console.print("[yellow]evidence: run sealed unsigned (integrity only): no signing key; "
                      "`conformance keys init` creates one[/yellow]")
    store.close()
    return RunOutcome(result=result, report_dir=report_dir, written=reports.written, stopped=runner.stopped,
                      notes=list(runner.notes))


def _file_in_the_way(path: Path | None) -> Path | None:
    """The first existing ancestor of ``path`` that is not a directory (no report could be written)."""
    if path is None:
        return None
    for parent in path.absolute().parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


class _Shown:
    """The console's sink: once a run is stopped, the checks it cuts all say the same thing, and the
    summary says it once."""

    def __init__(self, progress: ConsoleProgress) -> None:
        self.progress = progress
        self.runner: Runner | None = None

    def on_event(self, event: Event) -> None:
        stopped = self.runner.stopped if self.runner is not None else None
        if not (isinstance(event, CheckFinished) and stopped is not None and event.result.message == stopped.message):
            self.progress.on_event(event)


class _StoredAfterReports:
    """The store's sink during the run: ``RunStarted`` goes through (the run is recorded incomplete),
    the runner's ``RunFinished`` is held until :meth:`release`, after the reports; finished checks are
    kept, so that what ran is stored should the harness itself fail mid-run."""

    def __init__(self, store: EvidenceStore) -> None:
        self.store = store
        self.finished: list[CheckResult] = []

    def on_event(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.store.on_event(event)
        elif isinstance(event, CheckFinished):
            self.finished.append(event.result)

    def release(self, finish: RunFinished) -> None:
        self.store.on_event(finish)


def _keep_what_ran(stored: _StoredAfterReports, result: RunResult, report_dir: Path, exc: BaseException) -> None:
    """The harness broke mid-run: store the checks that finished as an aborted run (never left looking
    like evidence, never lost), with reports of them where it can; the original error is raised on."""
    from conformance.runner.execute import describe_exception

    result.run.aborted = ("interrupted by the user" if isinstance(exc, KeyboardInterrupt)
                          else f"the harness failed: {describe_exception(exc)}")
    result.run.finished = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    # Best effort: the error being raised on is the one to report, not a second one from here.
    finish = RunFinished(result=result)
    with contextlib.suppress(Exception):
        ReportWriter(report_dir).on_event(finish)
    with contextlib.suppress(Exception):
        stored.release(finish)
        stored.store.close()


@contextlib.contextmanager
def _finishing(run_id: str) -> Iterator[None]:
    """While the reports are written and the run stored: the first Ctrl-C or SIGTERM is held off (said on
    stderr), a second quits at once, leaving the run incomplete as the message says."""
    heard: list[int] = []

    def hold(signum: int, frame: object) -> None:
        if heard:
            os.write(2, f"\nconformance: forced to quit; run {run_id} is left incomplete in the store\n".encode())
            os._exit(EXIT_INTERRUPTED if signum == signal.SIGINT else EXIT_TERMINATED)
        heard.append(signum)
        os.write(2, f"\nconformance: finishing: writing the reports and storing run {run_id} "
                    "(press Ctrl-C again to quit at once)\n".encode())

    try:
        previous = {sig: signal.signal(sig, hold) for sig in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread: signals are not ours to handle
        previous = {}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _reprobe(target: Target) -> Any:
    from conformance.runner.probe import reprobe

    return lambda: reprobe(target)


async def _drive(runner: Runner, plan: Any, target: Target, info: RunInfo, console: Console) -> RunResult:
    """The run, with Ctrl-C handled in the event loop: the first stops the run cleanly (running checks
    cancelled, suites clean up, reports written, run stored aborted); a second quits at once."""
    loop = asyncio.get_running_loop()

    def force_quit() -> None:
        os.write(2, f"\nconformance: forced to quit; run {info.id} is left incomplete in the store\n".encode())
        os._exit(EXIT_INTERRUPTED)  # (a second SIGTERM too: the run is forced to quit either way)

    def first() -> None:
        console.print("interrupted: cancelling the running checks and cleaning up "
                      "(press Ctrl-C again to quit at once)")
        loop.add_signal_handler(signal.SIGINT, force_quit)
        runner.interrupt()

    def term() -> None:
        # A cancelled CI job or a stopped container: clean up like a first Ctrl-C; a second SIGTERM quits.
        console.print("SIGTERM: cancelling the running checks and cleaning up")
        loop.add_signal_handler(signal.SIGTERM, force_quit)
        runner.stop(terminated())

    try:
        loop.add_signal_handler(signal.SIGINT, first)
        loop.add_signal_handler(signal.SIGTERM, term)
        installed = True
    except (ValueError, RuntimeError, NotImplementedError):  # not the main thread, or no signals here
        installed = False
    try:
        return await runner.run(plan, target, info)
    finally:
        if installed:
            loop.remove_signal_handler(signal.SIGINT)
            loop.remove_signal_handler(signal.SIGTERM)
