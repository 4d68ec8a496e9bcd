"""Console output on rich: live progress while a run goes, and a summary when it ends.

:class:`ConsoleProgress` is an event sink. On a terminal it shows a progress bar (or, verbose, a
line per finished check); failures and errors are always printed as they happen, with id and
message. When stdout is not a terminal (CI logs, pipes) there is no live display at all, so no cursor
movement or colour codes reach the log: only plain lines, one per check (status, id, full title, duration,
message), never wrapped (:func:`make_console`), and a progress line every ``PROGRESS_EVERY`` seconds.

Messages come from the system under test, so everything printed is a :class:`rich.text.Text` built
from :func:`visible` text: rich markup in a message is shown, not interpreted, and escape sequences
or carriage returns from a hostile server cannot repaint the user's terminal.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import TracebackType
from typing import Self

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from conformance.model import CheckResult, RunResult, Status
from conformance.reporting.common import (
    STATUS_ORDER,
    by_suite,
    count,
    one_line,
    passed_verdict,
    required_problems,
    target_text,
    visible,
)
from conformance.runner.events import CheckFinished, CheckStarted, Event, RunFinished, RunStarted
from conformance.scrub import RUN

PROGRESS_EVERY = 30.0  # seconds between progress lines in a log (no terminal)


def make_console() -> Console:
    """The run's console on stderr; without a terminal (CI) lines are never wrapped at 80 columns."""
    console = Console(stderr=True)
    if console.is_terminal:
        return console
    return Console(stderr=True, soft_wrap=True, width=max(console.width, 200))


STYLES = {Status.PASS: "green", Status.FAIL: "bold red", Status.SKIP: "yellow", Status.ERROR: "bold magenta"}


def status_text(status: Status) -> Text:
    return Text(f"{status.value.upper():<5}", style=STYLES[status])


def check_line(check: CheckResult, *, with_message: bool = True, single: bool = False) -> Text:
    """``FAIL  fhir-rest.read.x  Title (12 ms)`` and the message, indented, below (``single``: on the
    same line after `` -- ``, the title whole: a log line per check)."""
    line = Text.assemble(status_text(check.status), " ", (visible(check.id), "bold"))
    if check.title:
        line.append(f"  {one_line(RUN.text(check.title), 100_000 if single else 120)}")
    line.append(f" ({check.duration_ms:,.0f} ms)", style="dim")
    if not check.required and check.status in (Status.FAIL, Status.ERROR):
        line.append(" optional", style="dim")
    # Scrubbed here, before the console wraps a long line and splits a secret across two.
    if with_message and check.message and single:
        line.append(f" -- {' / '.join(x.strip() for x in visible(RUN.text(check.message)).splitlines() if x.strip())}")
    elif with_message and check.message:
        for message_line in visible(RUN.text(check.message)).splitlines() or [""]:
            line.append(f"\n      {message_line}")
    return line


class ConsoleProgress:
    """An event sink: ``runner = Runner(registry, sinks=[ConsoleProgress(console)])``."""

    def __init__(self, console: Console, verbose: bool = False) -> None:
        self.console = console
        self.verbose = verbose
        self.finished: dict[Status, int] = dict.fromkeys(STATUS_ORDER, 0)
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self.total = 0
        self._started_at = self._last_progress = time.monotonic()

    @property
    def live(self) -> bool:
        """A live bar only on a real, capable terminal and when not printing every check."""
        return not self.verbose and self.console.is_terminal and not self.console.is_dumb_terminal

    def on_event(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._started(event)
        elif isinstance(event, CheckStarted):
            if self._progress is not None and self._task is not None:
                self._progress.update(self._task, description=self._description(visible(event.check_id)))
        elif isinstance(event, CheckFinished):
            self._check_finished(event.result)
        elif isinstance(event, RunFinished):
            self.close()
            total = sum(self.finished.values())
            self.console.print(Text(f"Finished {total} checks.", style="dim"), highlight=False)

    def _started(self, event: RunStarted) -> None:
        self.total = event.total
        self._started_at = self._last_progress = time.monotonic()
        name = target_text(event.run.target, "name") or "the target"
        self.console.print(
            Text.assemble(
                "Run ",
                (visible(event.run.id), "bold"),
                f": {event.total} checks against ",
                (one_line(name, 200), "bold"),
            ),
            highlight=False,
        )
        if self.live:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self._task = self._progress.add_task(self._description(""), total=event.total)
            self._progress.start()

    def _description(self, current: str) -> str:
        # Progress descriptions are markup; the counts are ours, the check id is escaped by visible()
        # and may only contain [a-z0-9.-] anyway, but never trust that: drop brackets.
        bad = self.finished[Status.FAIL] + self.finished[Status.ERROR]
        tally = f"{bad} failed/errored" if bad else "no failures"
        shown = current.replace("[", "(").replace("]", ")")[:60]
        return f"{tally} {shown}".strip()

    def _check_finished(self, check: CheckResult) -> None:
        self.finished[check.status] += 1
        if not self.console.is_terminal:  # a log: every check, one line each
            self.console.print(check_line(check, single=True), highlight=False)
            self._progress_line()
        elif self.verbose or check.status in (Status.FAIL, Status.ERROR):
            self.console.print(check_line(check), highlight=False)
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, description=self._description(""))

    def _progress_line(self) -> None:
        now = time.monotonic()
        if now - self._last_progress < PROGRESS_EVERY:
            return
        self._last_progress = now
        done, bad = sum(self.finished.values()), self.finished[Status.FAIL] + self.finished[Status.ERROR]
        self.console.print(Text(f"progress: {done}/{self.total} checks done, {bad} failed/errored, "
                                f"{now - self._started_at:.0f} s"), highlight=False)

    def close(self) -> None:
        """Stop the live display; safe to call twice, and needed if a run ends without RunFinished."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._task = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def summary_table(result: RunResult) -> Table:
    table = Table(title="Results", box=box.SIMPLE_HEAD, title_justify="left", show_footer=True)
    totals = count(result.results)
    table.add_column("Suite", footer="total")
    for status in STATUS_ORDER:
        table.add_column(status.value, justify="right", footer=str(totals[status]), style=STYLES[status])
    table.add_column("checks", justify="right", footer=str(len(result.results)))
    for suite, checks in by_suite(result).items():
        counts = count(checks)
        cells = [Text(str(counts[s]), style=STYLES[s] if counts[s] else "dim") for s in STATUS_ORDER]
        table.add_row(Text(visible(suite)), *cells, str(len(checks)))
    return table


def print_summary(console: Console, result: RunResult, report_dir: Path | None) -> None:
    """The closing table, the required failures and errors, the verdict and where the reports are."""
    console.print(summary_table(result), highlight=False)
    if result.run.aborted:  # no verdict: listing every check that never ran would only hide the reason
        console.print(Text(f"ABORTED: {visible(result.run.aborted)}; what ran is reported, not scored.",
                           style="bold magenta"), highlight=False)
        if report_dir is not None:
            console.print(Text.assemble("Reports: ", (visible(report_dir), "bold")), highlight=False)
        return
    problems = required_problems(result)
    if problems:
        console.print(Text("Required checks that failed or errored:", style="bold"), highlight=False)
        for check in problems:
            console.print(check_line(check), highlight=False)
    optional = [r for r in result.results if not r.required and r.status in (Status.FAIL, Status.ERROR)]
    if optional:
        noun = "check" if len(optional) == 1 else "checks"
        console.print(
            Text(f"{len(optional)} optional {noun} failed or errored (see the report).", style="yellow"),
            highlight=False,
        )
    if problems:
        noun = "check" if len(problems) == 1 else "checks"
        verdict = Text(f"FAILED: {len(problems)} required {noun} failed or errored.", style="bold red")
    else:
        words = passed_verdict(result)
        verdict = Text(f"PASSED: {words[0].lower()}{words[1:]}", style="bold green")
    console.print(verdict, highlight=False)
    if report_dir is not None:
        console.print(Text.assemble("Reports: ", (visible(report_dir), "bold")), highlight=False)
