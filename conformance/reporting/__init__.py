"""Reports from one :class:`~conformance.model.RunResult`: JSON (the contract), JUnit, HTML, console.

:func:`write_reports` writes the standard set into a run's directory (``reports/<run-id>/``) and any
extra file the user named (``--json``, ``--junit``, ``--html``). Each file is written whole or not at
all; a path that cannot be written raises :class:`ReportError` with one line naming it (exit 2).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conformance import wellformed
from conformance.model import RunResult
from conformance.reporting.common import ReportError
from conformance.reporting.html import write_html
from conformance.reporting.json_report import write_json
from conformance.reporting.junit import write_junit
from conformance.reporting.testreport import write_testreport
from conformance.runner.events import Event, RunFinished
from conformance.scrub import scrubbed

__all__ = [
    "STANDARD_NAMES",
    "ReportError",
    "ReportWriter",
    "write_html",
    "write_json",
    "write_junit",
    "write_reports",
    "write_testreport",
]

Writer = Callable[[RunResult, Path], None]

#: File names inside the run's report directory.
STANDARD_NAMES: dict[str, str] = {"json": "report.json", "junit": "junit.xml", "html": "report.html"}

_WRITERS: dict[str, Writer] = {"json": write_json, "junit": write_junit, "html": write_html}


def write_reports(
    result: RunResult,
    out_dir: Path,
    *,
    json_path: Path | None = None,
    junit_path: Path | None = None,
    html_path: Path | None = None,
    testreport_path: Path | None = None,
) -> dict[str, Path]:
    """Write report.json, junit.xml and report.html into ``out_dir`` and each extra path given.

    Returns what was written, keyed ``json``/``junit``/``html`` for the files in ``out_dir`` and
    ``json_path``/``junit_path``/``html_path`` for the extras. An extra path that is the same file
    as the standard one is not written twice (and not listed twice).
    """
    out_dir = Path(out_dir)
    result = wellformed.result(scrubbed(result))  # a peer's lone surrogate cannot stop a report
    if out_dir.exists() and not out_dir.is_dir():
        raise ReportError(f"cannot write reports into {out_dir}: it is a file, not a directory")
    written: dict[str, Path] = {}
    for fmt, name in STANDARD_NAMES.items():
        path = out_dir / name
        _WRITERS[fmt](result, path)
        written[fmt] = path
    extras = {"json": json_path, "junit": junit_path, "html": html_path}
    for fmt, extra in extras.items():
        if extra is None:
            continue
        extra = Path(extra)
        if _same_file(extra, written[fmt]):
            continue
        if extra.is_dir():
            raise ReportError(f"cannot write {extra}: it is a directory (name a file)")
        _WRITERS[fmt](result, extra)
        written[f"{fmt}_path"] = extra
    if testreport_path is not None:
        # Asked for by name only: FHIR tooling reads it, CI and people read the three above.
        write_testreport(result, Path(testreport_path))
        written["testreport_path"] = Path(testreport_path)
    return written


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


class ReportWriter:
    """An event sink writing the standard set and the named extras when the run finishes (write_reports)."""

    def __init__(self, out_dir: Path, *, json_path: Path | None = None, junit_path: Path | None = None,
                 html_path: Path | None = None, testreport_path: Path | None = None) -> None:
        self.out_dir = out_dir
        self.extras = {"json_path": json_path, "junit_path": junit_path, "html_path": html_path,
                       "testreport_path": testreport_path}
        self.written: dict[str, Path] = {}

    def on_event(self, event: Event) -> None:
        if isinstance(event, RunFinished):
            self.written = write_reports(event.result, self.out_dir, **self.extras)
