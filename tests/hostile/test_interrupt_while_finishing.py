"""After the checks ended, while the reports are written and the run is stored: a Ctrl-C, or a report
that cannot be written, must not leave the run ``incomplete`` for ever (the checks ran and wrote to the
target; what they found is kept). An output path that cannot be written is refused before the run."""

from __future__ import annotations

import io
import os
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

import conformance.reporting as reporting
import conformance.session as session
from conformance.checks import Links
from conformance.evidence.store import COMPLETE, EvidenceStore
from conformance.reporting import ReportError
from conformance.sandbox.faults import parse_faults
from conformance.sandbox.fhir import create_app
from conformance.targets import from_url


def options_for(tmp_path: Path, **extra: Any) -> session.RunOptions:
    return session.RunOptions(
        select=["fhir-rest.capability.*"], out_dir=tmp_path / "out", store_url=f"sqlite:///{tmp_path / 'store.db'}",
        links=Links(http_transport=httpx.ASGITransport(app=create_app(parse_faults([])))), **extra,
    )


def statuses(tmp_path: Path) -> list[str]:
    with EvidenceStore(f"sqlite:///{tmp_path / 'store.db'}") as store:
        return [store.get_result(str(run["id"]))[1] for run in store.list_runs()]


def test_a_report_that_cannot_be_written_still_stores_the_run(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ReportError("cannot write report.html: No space left on device")

    monkeypatch.setattr(reporting, "write_reports", broken)
    target = from_url("http://sandbox.test/fhir", sandbox=True)
    with pytest.raises(ReportError, match="No space left"):
        session.execute(target, options_for(tmp_path), Console(file=io.StringIO(), width=200))
    assert statuses(tmp_path) == [COMPLETE]


def test_an_output_path_under_a_file_is_refused_before_the_run(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    target = from_url("http://sandbox.test/fhir", sandbox=True)
    with pytest.raises(ReportError, match="afile is a file, not a directory"):
        session.execute(target, options_for(tmp_path, json_path=tmp_path / "afile" / "x.json"),
                        Console(file=io.StringIO(), width=200))
    assert not (tmp_path / "store.db").exists() or statuses(tmp_path) == []


def test_ctrl_c_while_the_reports_are_written_still_stores_the_run(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    real = reporting.write_reports

    def interrupted_while_writing(*args: Any, **kwargs: Any) -> Any:
        os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C as the reports are being written
        return real(*args, **kwargs)

    monkeypatch.setattr(reporting, "write_reports", interrupted_while_writing)
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    options = session.RunOptions(
        select=["fhir-rest.capability.*"], out_dir=tmp_path / "out", store_url=store_url,
        links=Links(http_transport=httpx.ASGITransport(app=create_app(parse_faults([])))),
    )
    target = from_url("http://sandbox.test/fhir", sandbox=True)
    try:
        outcome = session.execute(target, options, Console(file=io.StringIO(), width=200))
    except KeyboardInterrupt:
        outcome = None  # what happened before the fix: the interrupt tore through the store's commit
    with EvidenceStore(store_url) as store:
        (run,) = store.list_runs()
        _, status = store.get_result(str(run["id"]))
    assert status == COMPLETE, "the run was left incomplete by a Ctrl-C while its reports were written"
    assert outcome is not None and (tmp_path / "out" / "report.json").exists()
    assert {p.name for p in (tmp_path / "out").iterdir()} >= {"report.json", "report.html", "junit.xml"}
