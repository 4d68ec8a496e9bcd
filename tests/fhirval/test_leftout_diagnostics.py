"""bench/fhir_leftout_diagnostics.py on a synthetic manifest: left-out cases run with their need ignored, and a
left-out case that shares its file with a measured held-out step dropped unseen."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import ModuleType

from conformance.fhirval.packages import PackageCache
from tests.fhirval.scripts import load_script


def _bench() -> ModuleType:
    return load_script("bench/fhir_leftout_diagnostics.py")


def _named(odd: bool) -> str:
    """A file name on the held-out (odd hash) or the tuning (even) side of the bench's split."""
    return next(f"f{i}.json" for i in range(100)
                if (int(hashlib.sha256(f"f{i}.json".encode()).hexdigest(), 16) % 2 == 1) == odd)


def test_left_out_cases_run_with_their_need_and_held_out_files_are_dropped(tmp_path: Path) -> None:
    v = tmp_path / "validator"
    (v / "outcomes" / "java").mkdir(parents=True)
    held, tune = _named(True), _named(False)
    for name in (held, tune):
        (v / name).write_text(json.dumps({"resourceType": "Patient", "birthDate": "1980-13-01"}))
    (v / "outcomes" / "java" / "bad.json").write_text(json.dumps({"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "invalid", "details": {"text": "birthDate"}}]}))
    manifest = {"test-cases": [
        {"name": "measured-held-out", "file": held, "version": "4.0", "java": "java/bad.json"},
        {"name": "same-file-option", "file": held, "version": "4.0", "validateReference": "CHECK_VALID",
         "java": "java/bad.json"},
        {"name": "option", "file": tune, "version": "4.0", "advisor": "x.json", "java": "java/bad.json"},
        {"name": "fetch", "file": tune, "version": "4.0", "fetcher": "standalone", "java": "java/bad.json"},
        {"name": "text", "file": "x.txt", "version": "4.0", "java": "java/bad.json"}]}
    (v / "manifest.json").write_text(json.dumps(manifest))
    bench = _bench()
    cases, dropped, unrunnable = bench.leftout_steps(tmp_path, PackageCache(v / "packages"))
    assert (dropped, unrunnable) == (1, 1)
    assert [(c.step.name, c.need) for c in cases] == [("option [base]", "option advisor"),
                                                       ("fetch [base]", "fetcher")]
    bench._run(cases, PackageCache(v / "packages"))
    assert all(c.step.got_errors == c.step.expected_errors == 1 for c in cases)
