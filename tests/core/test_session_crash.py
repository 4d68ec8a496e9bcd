"""The harness itself breaking mid-run leaves the run stored aborted with what ran, never incomplete-as-evidence."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

from conformance.checks import Links
from conformance.evidence import records
from conformance.evidence.store import ABORTED, EvidenceStore
from conformance.runner.execute import Runner
from conformance.sandbox.faults import parse_faults
from conformance.sandbox.fhir import create_app
from conformance.session import RunOptions, execute
from conformance.targets import from_url


def test_a_harness_failure_mid_run_stores_the_run_aborted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken_clean_up(self: Runner, suite_id: str, ctx: Any) -> None:
        raise RuntimeError("the clean-up code has a bug")

    monkeypatch.setattr(Runner, "_clean_up", broken_clean_up)
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    options = RunOptions(suites=["fhir-rest"], select=["fhir-rest.capability.*"], out_dir=tmp_path / "out",
                         store_url=store_url,
                         links=Links(http_transport=httpx.ASGITransport(app=create_app(parse_faults([])))))
    with pytest.raises(RuntimeError, match="the clean-up code has a bug"):
        execute(from_url("http://sandbox.test/fhir"), options, Console(file=io.StringIO()))
    with EvidenceStore(store_url) as store:
        (run,) = store.list_runs()
        result, status = store.get_result(run["id"])
        assert status == ABORTED
        assert result.run.aborted == "the harness failed: RuntimeError: the clean-up code has a bug"
        assert any(r.id == "fhir-rest.capability.metadata" and r.status.value == "pass" for r in result.results)
        assert records.run_outcomes(store) == []
    assert (tmp_path / "out" / "report.json").exists()
