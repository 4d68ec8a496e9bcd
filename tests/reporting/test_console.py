from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from conformance.model import RunResult, Status
from conformance.reporting.console import ConsoleProgress, print_summary
from conformance.runner.events import CheckFinished, CheckStarted, RunFinished, RunStarted


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(
        file=out, force_terminal=terminal, width=120, color_system="standard" if terminal else None
    ), out


def _replay(sink: ConsoleProgress, result: RunResult) -> None:
    sink.on_event(RunStarted(run=result.run, total=len(result.results)))
    for check in result.results:
        sink.on_event(CheckStarted(check_id=check.id))
        sink.on_event(CheckFinished(result=check))
    sink.on_event(RunFinished(result=result))


def test_ci_output_has_no_control_codes_and_shows_failures(result: RunResult) -> None:
    console, out = _console(terminal=False)
    _replay(ConsoleProgress(console), result)
    text = out.getvalue()
    assert "\x1b" not in text and "\r" not in text and "\x00" not in text and "\x07" not in text
    assert "FAIL  fhir-rest.read.not-found" in text
    assert "ERROR fhir-rest.search.by-identifier" in text
    assert "connection refused" in text
    lines = [x for x in text.splitlines() if x.split()[:1] in (["PASS"], ["FAIL"], ["SKIP"], ["ERROR"])]
    assert len(lines) == len(result.results)  # a log: one line per check, passes included
    assert all(re.search(r"\([\d,]+ ms\)", x) for x in lines)  # each with its duration
    assert "[bold]red[/bold]" in text  # markup in a server message is shown, not interpreted
    assert "\\x1b[31m" in text  # the escape sequence is made visible
    assert "Run run-20240101-abc: 6 checks against Trust EPR <test> é" in text


def test_verbose_prints_every_check(result: RunResult) -> None:
    console, out = _console(terminal=False)
    _replay(ConsoleProgress(console, verbose=True), result)
    text = out.getvalue()
    for check in result.results:
        assert check.id in text
    assert "PASS  fhir-rest.read.patient" in text
    assert "SKIP  fhir-rest.search.count" in text


def test_terminal_progress_stops_and_hostile_text_cannot_escape(result: RunResult) -> None:
    console, out = _console(terminal=True)
    sink = ConsoleProgress(console)
    assert sink.live
    _replay(sink, result)
    assert sink._progress is None
    text = out.getvalue()
    assert "fhir-rest.read.not-found" in text
    # rich's own styling uses ESC[...m; the server's ESC[2J / ESC[31m must not get through raw.
    assert "\x1b[2J" not in text and "\x1b[31mred" not in text and "\x07" not in text


def test_close_without_run_finished_is_safe(result: RunResult) -> None:
    console, _ = _console(terminal=True)
    with ConsoleProgress(console) as sink:
        sink.on_event(RunStarted(run=result.run, total=3))
        sink.on_event(CheckFinished(result=result.results[0]))
    assert sink._progress is None
    sink.close()


def test_summary_table_required_failures_and_report_path(result: RunResult, tmp_path: Path) -> None:
    console, out = _console(terminal=False)
    print_summary(console, result, tmp_path / "reports" / "run-1")
    text = out.getvalue()
    assert "\x1b" not in text
    lines = text.splitlines()
    fhir = next(line for line in lines if line.strip().startswith("fhir-rest"))
    assert fhir.split()[1:] == ["1", "2", "1", "1", "5"]
    gs1 = next(line for line in lines if line.strip().startswith("gs1"))
    assert gs1.split()[1:] == ["1", "0", "0", "0", "1"]
    assert "Required checks that failed or errored:" in text
    problems = text[text.index("Required checks") :]
    assert "fhir-rest.read.not-found" in problems and "fhir-rest.search.by-identifier" in problems
    assert "1 optional check failed or errored" in text
    assert "FAILED: 2 required checks failed or errored." in text
    assert str(tmp_path / "reports" / "run-1") in text.replace("\n", "")


def test_summary_of_a_clean_run(result: RunResult) -> None:
    for check in result.results:
        check.status = Status.PASS
    console, out = _console(terminal=False)
    print_summary(console, result, None)
    text = out.getvalue()
    assert "PASSED: every required check passed." in text
    assert "Required checks that failed" not in text and "Reports:" not in text


def test_summary_says_when_required_checks_did_not_run(result: RunResult) -> None:
    """A read-only run that skipped required checks must not read as a clean bill of health."""
    for check in result.results:
        check.status = Status.PASS
    skipped = [c for c in result.results if c.required][:2]
    for check in skipped:
        check.status = Status.SKIP
    console, out = _console(terminal=False)
    print_summary(console, result, None)
    text = out.getvalue()
    assert "every required check passed." not in text
    assert "every required check that ran passed; 2 required checks were skipped" in text


def test_ci_lines_are_never_wrapped_nor_titles_cut(result: RunResult, monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from conformance.reporting import console as console_module

    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=80, soft_wrap=True, color_system=None)
    long_title = "A title that is much longer than eighty columns " * 4 + "END"
    checks = [replace(c, title=long_title) for c in result.results]
    monkeypatch.setattr(console_module, "PROGRESS_EVERY", 0.0)  # a progress line after every check
    _replay(ConsoleProgress(console), replace(result, results=checks))
    text = out.getvalue()
    assert text.count("END (") == len(checks)  # the whole title, on the check's one line
    assert all(long_title in x for x in text.splitlines() if x.startswith(("PASS", "FAIL", "SKIP", "ERROR")))
    assert f"progress: {len(checks)}/{len(checks)} checks done" in text


def test_make_console_does_not_wrap_without_a_terminal() -> None:
    console = console_module_make()
    assert not console.is_terminal and console.soft_wrap


def console_module_make() -> Console:
    from conformance.reporting.console import make_console

    return make_console()
