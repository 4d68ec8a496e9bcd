"""bench/fhir_other_versions_diagnostics.py on a synthetic manifest: R5 and version-less cases run through the R4
validator, a case sharing a file with a measured held-out step (or using one as a supporting file) dropped unseen,
and a case whose resource R4 does not fit counted as a version artefact."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import ModuleType

from conformance.fhirval.packages import PackageCache
from tests.fhirval.scripts import load_script


def _bench() -> ModuleType:
    return load_script("bench/fhir_other_versions_diagnostics.py")


def _named(odd: bool, skip: int = 0) -> str:
    """A file name on the held-out (odd hash) or the tuning (even) side of the bench's split."""
    return [f"f{i}.json" for i in range(100)
            if (int(hashlib.sha256(f"f{i}.json".encode()).hexdigest(), 16) % 2 == 1) == odd][skip]


def test_other_version_cases_run_held_out_files_dropped_and_artefacts_labelled(tmp_path: Path) -> None:
    v = tmp_path / "validator"
    (v / "outcomes" / "java").mkdir(parents=True)
    held, tune, r5 = _named(True), _named(False), _named(False, 1)
    for name in (held, tune):
        (v / name).write_text(json.dumps({"resourceType": "Patient", "birthDate": "1980-13-01"}))
    (v / r5).write_text(json.dumps({"resourceType": "Patient", "active": True, "newR5Element": True}))
    (v / "outcomes" / "java" / "bad.json").write_text(json.dumps({"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "invalid", "details": {"text": "birthDate"}}]}))
    (v / "outcomes" / "java" / "ok.json").write_text(json.dumps({"resourceType": "OperationOutcome", "issue": []}))
    manifest = {"test-cases": [
        {"name": "measured-held-out", "file": held, "version": "4.0", "java": "java/bad.json"},
        {"name": "r5-same-file", "file": held, "version": "5.0", "java": "java/bad.json"},
        {"name": "r5-supporting-held", "file": tune, "supporting": [held], "java": "java/bad.json"},
        {"name": "r5-plain", "file": tune, "version": "5.0", "java": "java/bad.json"},
        {"name": "r5-element", "file": r5, "java": "java/ok.json"},
        {"name": "r3", "file": tune, "version": "3.0", "java": "java/bad.json"}]}
    (v / "manifest.json").write_text(json.dumps(manifest))
    bench = _bench()
    cache = PackageCache(v / "packages")
    cases, dropped, unrunnable = bench.other_version_steps(tmp_path, cache)
    assert (dropped, unrunnable) == (2, 0)
    assert [c.step.name for c in cases] == ["r5-plain [base]", "r5-element [base]"]
    bench._run(cases, cache)
    r5core = bench.R5Core(cache)  # no hl7.fhir.r5.core here: only what R4 itself says is judged
    labels = [bench.artefact(c, r5core) for c in cases]
    assert labels[0] == "" and cases[0].step.got_errors == 1
    assert labels[1].startswith("element R4 lacks")


def test_a_format_error_is_no_version_artefact_a_logical_root_is(tmp_path: Path) -> None:
    """JSON/XML syntax, namespaces and encodings are read alike by every FHIR version (fvov): such a case is R4
    material; a document whose root is no FHIR resource (CDA) stays apart, as does an R5 element."""
    v = tmp_path / "validator"
    (v / "outcomes" / "java").mkdir(parents=True)
    names = [_named(False, k) for k in range(3)]
    (v / names[0]).write_text('{"resourceType": "List", "status": "current" "mode": "working"}')
    (v / names[1]).write_text('<?xml version="1.0"?>\n<!-- x -->\n<ClinicalDocument xmlns="urn:hl7-org:v3"><id/>'
                              '</ClinicalDocument>')
    (v / names[2]).write_text('<List xmlns="http://hl7.org/fhirx"><status value="current"/></List>')
    (v / "outcomes" / "java" / "bad.json").write_text(json.dumps({"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "invalid", "details": {"text": "syntax"}}]}))
    manifest = {"test-cases": [{"name": f"c{k}", "file": names[k], "version": "5.0", "java": "java/bad.json"}
                               for k in range(3)]}
    (v / "manifest.json").write_text(json.dumps(manifest))
    bench = _bench()
    cache = PackageCache(v / "packages")
    cases, _, _ = bench.other_version_steps(tmp_path, cache)
    bench._run(cases, cache)
    labels = [bench.artefact(c, bench.R5Core(cache)) for c in cases]
    assert labels[0] == "" and labels[2] == ""
    assert labels[1].startswith("not a FHIR resource")
