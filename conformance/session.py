"""One run from start to finish: plan, execute, report, store. The CLI's ``run`` and ``demo`` share it.

Kept apart from cli.py so that tests and other programs can run suites without parsing arguments,
and so the CLI stays a thin layer that maps outcomes to exit codes.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from conformance import __version__, scrub
from conformance.model import RunInfo, RunResult
from conformance.reporting import write_reports
from conformance.reporting.console import ConsoleProgress, print_summary
from conformance.runner import Runner, build_plan, load_suites
from conformance.runner.events import Event, Listener, RunStarted
from conformance.targets import Target

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_HARNESS = 0, 1, 2, 3


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
    verbose: bool = False
    # For tests and the demo: an httpx transport to use instead of the network (the in-memory twin).
    suite_options: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunOutcome:
    result: RunResult
    report_dir: Path
    written: dict[str, Path]

    @property
    def exit_code(self) -> int:
        """0 when every required check passed and nothing errored; 1 otherwise."""
        errored = any(r.status.value == "error" for r in self.result.results)
        return EXIT_OK if self.result.required_ok and not errored else EXIT_FAILED


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def execute(target: Target, options: RunOptions, console: Console | None = None) -> RunOutcome:
    """Run the selected suites against ``target``. Raises SelectionError / StoreError for usage errors."""
    from conformance.evidence.store import EvidenceStore, default_store_url
    from conformance.reporting import ReportError
    from conformance.targets import check_credentials

    console = console or Console(stderr=True)
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
    registry = load_suites()
    plan = build_plan(registry, options.suites or None, options.select or None)
    if not target.sandbox and not any(k.endswith("transport") for k in options.suite_options):
        # Before the store is opened: an unreachable target leaves no record at all.
        from conformance.runner.probe import probe

        probe(target)
    store = EvidenceStore(options.store_url or default_store_url())
    run_id = new_run_id()
    info = RunInfo(
        id=run_id,
        started=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        target=target.to_dict(),
        harness_version=__version__,
    )
    progress = ConsoleProgress(console, verbose=options.verbose)

    def store_start(event: Event) -> None:
        if isinstance(event, RunStarted):
            store.on_event(event)

    # The run is stored as incomplete when it starts and completed only after the reports are on disk,
    # so a store that fails at the end cannot cost the user the run's reports.
    listeners: list[Listener] = [progress, store_start]
    runner = Runner(
        registry,
        listeners=listeners,
        concurrency=options.concurrency,
        check_timeout=options.check_timeout,
        options=options.suite_options,
    )
    with progress:
        result = asyncio.run(runner.run(plan, target, info))
    report_dir = report_dir or Path("reports") / run_id
    written = write_reports(
        result,
        report_dir,
        json_path=options.json_path,
        junit_path=options.junit_path,
        html_path=options.html_path,
        testreport_path=options.testreport_path,
    )
    print_summary(console, result, report_dir)
    store.finish_run(result)
    if store.signer is None:
        console.print("[yellow]evidence: run sealed unsigned (integrity only): no signing key; "
                      "`conformance keys init` creates one[/yellow]")
    store.close()
    return RunOutcome(result=result, report_dir=report_dir, written=written)
