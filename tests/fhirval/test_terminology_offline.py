"""Terminology HL7's validator judges with its server but whose answer follows from local knowledge (fvterm3):
a SNOMED CT code that is no SCTID is unknown in every edition. Each case a small synthetic resource that
passed on main 6dbef5e."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.terminology_grammars import sctid
from conformance.fhirval.validate import validate_resource

SCT = "http://snomed.info/sct"


def _errors(resource: dict[str, Any]) -> list[tuple[str, str]]:
    return [(i.defect, i.location) for i in validate_resource(resource, base_source()) if i.is_error]


@pytest.mark.parametrize(("code", "verdict"), [
    ("404684003", None), ("24484000", None), ("50631000087105", None),  # well-formed: not judged here
    ("276885007x", False), ("1", False), ("something", False), ("012345", False),  # no SCTID
    ("276885008", False),  # a wrong Verhoeff check digit
    ("128045006:{363698007=56459004}", None), ("73211009 |Diabetes mellitus|", None),  # expressions: not judged
])
def test_an_sctid_is_six_to_eighteen_digits_with_a_verhoeff_check_digit(code: str, verdict: bool | None) -> None:
    assert sctid(code) is verdict


def _observation(code: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": SCT, "code": code}]}}


def test_a_coding_whose_snomed_code_is_no_sctid_is_an_unknown_code() -> None:
    # HL7's recorded outcome for such a coding (its server): "Unknown code '...' in the CodeSystem
    # 'http://snomed.info/sct'", an error, at the coding, whatever the binding (Observation.code's is example)
    assert _errors(_observation("404684003")) == []
    assert _errors(_observation("404684003x")) == [("code-unknown", "Observation.code.coding[0]")]


def test_a_value_set_listing_a_code_that_is_no_sctid() -> None:
    # ValueSetValidator.validateValueSetIncludeConcept: VALUESET_INCLUDE_INVALID_CONCEPT_CODE, an error
    vs = {"resourceType": "ValueSet", "url": "https://conformance.example/vs/sct", "status": "active",
          "compose": {"include": [{"system": SCT, "concept": [{"code": "1"}, {"code": "404684003"}]}]}}
    assert _errors(vs) == [("code-unknown", "ValueSet.compose.include[0].concept[0]")]

