"""bench/fhir_invariants_not_evaluated.py on a synthetic guide: what a definition's constraint needs that the engine
lacks is found without examples, and an example's invariant-not-evaluated is counted by invariant and reason."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fhirpathpy.parser import parse

from tests.fhirval.scripts import load_script

CORE = "http://hl7.org/fhir/StructureDefinition/"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script("bench/fhir_invariants_not_evaluated.py")


@pytest.mark.parametrize(("expression", "expected"), [
    ("name.exists() and birthDate.precision() = 8", []),
    ("name.frobnicate()", ["function frobnicate() missing"]),
    ("name.first(1)", ["first() with 1 argument(s)"]),
    ("%nowhere.exists()", ["%nowhere undefined"]),
    ("%resource.is(Patient) and %`vs-x`.exists()", []),
    ("name.ofType(NoSuchType).exists()", ["type NoSuchType unknown"]),
])
def test_finds_what_the_engine_cannot_run(bench: ModuleType, expression: str, expected: list[str]) -> None:
    assert bench.problems(parse(expression)) == expected


def _profile(constraints: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": "http://example.org/sd/P", "name": "P", "status": "draft",
            "kind": "resource", "abstract": False, "type": "Patient", "derivation": "constraint",
            "baseDefinition": CORE + "Patient", "differential": {"element": [
                {"id": "Patient", "path": "Patient", "constraint": constraints}]}}


def test_counts_definitions_and_examples(bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    human = {"severity": "error", "human": "h"}
    (tmp_path / "guide").mkdir()
    (tmp_path / "guide" / "sd.json").write_text(json.dumps(_profile([
        {"key": "p-1", "expression": "name.frobnicate()", **human},
        {"key": "p-2", "expression": "name.exists(", **human},
        {"key": "p-3", "expression": "name.exists()", **human}])))
    (tmp_path / "ex").mkdir()
    (tmp_path / "ex" / "Patient-a.json").write_text(json.dumps(
        {"resourceType": "Patient", "id": "a", "meta": {"profile": ["http://example.org/sd/P"]},
         "name": [{"text": "A"}]}))
    assert bench.main(["--package", str(tmp_path / "guide"), "--examples", str(tmp_path / "ex")]) == 0
    out = capsys.readouterr().out
    # a function HL7's parser does not know is a parse error there (FHIRPathEngine.parse), and so here: the
    # example's p-1 is an invariant error (PROBLEM_PROCESSING_EXPRESSION), no longer "not evaluated"
    assert "p-1          does not parse: the name frobnicate is not a known function name" in out
    assert "p-2          does not parse" in out
    last = out.strip().splitlines()[-1]
    # and R4's own questionnaire-minOccurs / -maxOccurs context invariants read %extension, which only HL7's
    # extensions package (not loaded here) rewrites
    assert out.count("%extension undefined") == 2
    assert last.startswith("not evaluated: 4 of ")
    assert last.endswith("0 invariant-not-evaluated in 0 of 1 examples (0 invariants)")
