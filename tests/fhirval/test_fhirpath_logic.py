"""fhirpath_logic.py: a collection read as a boolean as HL7's FHIRPathEngine.asBool reads it, the left-first short
cuts of preOperate, and the singleton errors that fail an invariant (InstanceValidator.checkInvariant), each
with fhirpathpy's own answer beside ours."""

from __future__ import annotations

from typing import Any

import pytest
from fhirpathpy import evaluate as fhirpathpy_evaluate

from conformance.fhirval.fhirpath_logic import EvaluationError
from conformance.fhirval.invariants import check_constraints, evaluate
from conformance.fhirval.issues import Sink

PATIENT: dict[str, Any] = {
    "resourceType": "Patient", "gender": "male", "active": False,
    "name": [{"family": "Alpha", "given": ["Peter", "James"]}, {"family": "Beta"}],
}


def ours(expression: str, resource: dict[str, Any] = PATIENT) -> list[Any]:
    return evaluate(expression, resource, resource["resourceType"], resource, resource)


@pytest.mark.parametrize(("expression", "expected"), [
    ("gender.exists() and gender", [True]),  # one item that is not a boolean is true (asBool)
    ("(true and 'foo').empty()", [False]),  # the FHIRPath suite's from-zulip-1
    ("gender and active", [False]),
    ("active or gender", [True]),
    ("gender xor true", [False]),
    ("true implies gender", [True]),
    ("gender.not()", [False]),
    ("name.where(family).count()", [2]),
    ("name.where(given.first()).family", ["Alpha"]),
    ("false and name.given", [False]),  # preOperate: the left decides, the right's several items never read
    ("true or name.given", [True]),
    ("false implies name.given", [True]),
    ("{} and name.family.exists()", []),
])
def test_a_collection_read_as_a_boolean(expression: str, expected: list[Any]) -> None:
    assert ours(expression) == expected


def test_fhirpathpy_needed_booleans_and_read_a_criterion_by_its_first_item() -> None:
    with pytest.raises(Exception, match="Expected boolean"):
        fhirpathpy_evaluate(PATIENT, "gender.exists() and gender")
    assert fhirpathpy_evaluate(PATIENT, "name.where(given).count()") == [1]  # HL7: several items raise
    assert fhirpathpy_evaluate(PATIENT, "Patient.name.single().exists()") == [True]  # HL7: raises


@pytest.mark.parametrize("expression", [
    "name.family.not()",  # funcNot: asBool of two items
    "name.single().exists()",  # funcSingle: FHIRPATH_NO_COLLECTION
    "name.iif(true, 1, 2)",  # funcIif: several items in the focus
    "iif(name, 1, 2)",  # the criterion has two items
    "name.where(given).exists()",  # Alpha's two given names as a criterion
    "name.exists(given)",
    "name.all(given)",
    "name.given and true",
    "true implies name.given",
])
def test_what_hl7s_engine_throws_raises_an_evaluation_error(expression: str) -> None:
    with pytest.raises(EvaluationError):
        ours(expression)


def _check(expression: str, severity: str = "error") -> list[tuple[str, str]]:
    sink = Sink()
    check_constraints((("x-1", severity, expression, "the rule"),), PATIENT, "Patient", PATIENT, PATIENT, "Patient",
                      sink, lambda key: True)
    return [(i.severity, i.defect) for i in sink.issues]


def test_an_invariant_whose_evaluation_hl7_also_throws_on_fails_with_its_severity() -> None:
    """checkInvariant catches the exception and sets invOK = false: the invariant fails at its own severity."""
    assert _check("name.single().exists()") == [("error", "invariant")]
    assert _check("name.family.not()", "warning") == [("warning", "invariant")]
    assert _check("gender.exists() and gender") == []  # evaluated now (was not evaluated: "Expected boolean")


def test_what_only_our_engine_lacks_stays_not_evaluated() -> None:
    # one item: HL7 validates it against the profile (hostServices.conformsToProfile), which is not done here; on
    # several items funcConformsTo is false without any validation (fhirpath_singletons)
    assert _check("name.first().conformsTo('http://example.org/x')") == [("information", "invariant-not-evaluated")]
