"""Ctrl-C after the checks ended, while the reports are written and the run is stored: the run must not
be left ``incomplete`` for ever with half its reports; the first Ctrl-C is held off until it is stored."""

from __future__ import annotations

import io
import os
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

import conformance.session as session
from conformance.evidence.store import COMPLETE, EvidenceStore
from conformance.sandbox.faults import parse_faults
from conformance.sandbox.fhir import create_app
from conformance.targets import from_url


def test_ctrl_c_while_the_reports_are_written_still_stores_the_run(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    real = session.write_reports

    def interrupted_while_writing(*args: Any, **kwargs: Any) -> Any:
        os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C as the reports are being written
        return real(*args, **kwargs)

    monkeypatch.setattr(session, "write_reports", interrupted_while_writing)
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    options = session.RunOptions(
        select=["fhir-rest.capability.*"], out_dir=tmp_path / "out", store_url=store_url,
        suite_options={"http_transport": httpx.ASGITransport(app=create_app(parse_faults([])))},
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
