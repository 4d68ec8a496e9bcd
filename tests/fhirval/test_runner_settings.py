"""HL7's test runner's settings beside ours (fvrun9): the behaviour a setting the runner leaves at its default gives.

- ``codeSystemValidationSizeLimit`` (InstanceValidatorParameters, default ValidatorSettings.
  DEFAULT_CODESYSTEM_VALIDATION_SIZE_LIMIT = 1000; neither ValidationTests nor TestUtilities sets it): a ValueSet
  include with more concepts than the limit has none of them checked, a hint instead (ValueSetValidator.
  validateValueSetInclude, VALUESET_INC_TOO_MANY_CODES); so do a supplement's concepts (CodeSystemValidator,
  CODESYSTEM_CS_SUPP_TOO_MANY_CODES). 0: no limit (HL7's -codesystem-validation-size-limit).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.options import Options
from conformance.fhirval.source import MemorySource
from conformance.fhirval.validate import validate_resource

CS = "https://conformance.example/cs/numbers"
NUMBERS: dict[str, Any] = {"resourceType": "CodeSystem", "url": CS, "status": "active", "content": "complete",
                           "concept": [{"code": f"n{i}"} for i in range(1200)]}


def _issues(resource: dict[str, Any], options: Options | None = None) -> list[tuple[str, str, str]]:
    source = LayeredSource([base_source(), MemorySource([NUMBERS])])
    return [(i.severity, i.defect, i.location)
            for i in validate_resource(resource, source, options=options or Options())]


def _value_set(count: int, bad: str = "kiwi") -> dict[str, Any]:
    concepts = [{"code": f"n{i}"} for i in range(count - 1)] + [{"code": bad}]
    return {"resourceType": "ValueSet", "url": "https://conformance.example/vs/n", "status": "active",
            "compose": {"include": [{"system": CS, "concept": concepts}]}}


def _supplement(count: int, bad: str = "kiwi") -> dict[str, Any]:
    concepts = [{"code": f"n{i}", "display": "x"} for i in range(count - 1)] + [{"code": bad, "display": "x"}]
    return {"resourceType": "CodeSystem", "url": f"{CS}-fr", "status": "active", "content": "supplement",
            "supplements": CS, "concept": concepts}


def test_an_include_within_the_limit_has_its_codes_checked() -> None:
    found = _issues(_value_set(1000))
    assert ("error", "code-unknown", "ValueSet.compose.include[0].concept[999]") in found


def test_an_include_over_the_limit_has_none_checked_and_a_hint_says_so() -> None:
    found = _issues(_value_set(1001))
    assert not [i for i in found if i[0] == "error"]
    assert ("information", "too-many-codes", "ValueSet.compose.include[0]") in found


def test_a_limit_of_zero_checks_every_code_and_another_limit_is_kept() -> None:
    assert ("error", "code-unknown", "ValueSet.compose.include[0].concept[1000]") in _issues(
        _value_set(1001), Options(code_system_validation_size_limit=0))
    assert not [i for i in _issues(_value_set(20), Options(code_system_validation_size_limit=10)) if i[0] == "error"]


def test_a_supplement_over_the_limit_has_its_concepts_unchecked() -> None:
    assert ("error", "code-unknown", "CodeSystem.concept[999]") in _issues(_supplement(1000))
    found = _issues(_supplement(1001))
    assert not [i for i in found if i[0] == "error"]
    assert ("information", "too-many-codes", "CodeSystem") in found


def test_the_limit_is_a_count() -> None:
    with pytest.raises(ValueError):
        Options(code_system_validation_size_limit=-1)


def test_the_cli_flag_sets_the_limit(tmp_path: Path) -> None:
    concepts = [{"code": "male"}] * 1000 + [{"code": "kiwi"}]
    vs = {"resourceType": "ValueSet", "url": "https://conformance.example/vs/g", "status": "active",
          "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">g</div>'},
          "compose": {"include": [{"system": "http://hl7.org/fhir/administrative-gender", "concept": concepts}]}}
    path = tmp_path / "vs.json"
    path.write_text(json.dumps(vs), encoding="utf-8")
    run = CliRunner().invoke
    assert run(main, ["validate", "fhir", str(path)]).exit_code == 0
    assert run(main, ["validate", "fhir", "--codesystem-validation-size-limit", "0", str(path)]).exit_code == 1
    assert run(main, ["validate", "fhir", "--codesystem-validation-size-limit", "-1", str(path)]).exit_code == 2
