"""An invariant HL7's engine cannot evaluate cleanly: what InstanceValidator.checkInvariant then reports, against ours.

Each case follows org.hl7.fhir.r5 ``fhirpath/FHIRPathEngine.java`` (HL7's validator evaluates every invariant with
it): where it throws, checkInvariant fails the invariant at its own severity (``invOK = false``); where it answers,
the answer is judged; where its parser rejects the expression, PROBLEM_PROCESSING_EXPRESSION__IN_PROFILE__PATH__ is an
error whatever the severity. fhirpathpy raised a plain exception in most of these places (the invariant was "not
evaluated", information), so each test below failed before conformance/fhirval/fhirpath_singletons.py."""

from __future__ import annotations

from typing import Any

import pytest
from fhirpathpy import evaluate as fhirpathpy_evaluate
from fhirpathpy.models import models

from conformance.fhirval.expression_fixes import fixed
from conformance.fhirval.fhirpath_logic import EvaluationError
from conformance.fhirval.invariants import check_constraints, evaluate
from conformance.fhirval.issues import Sink

PATIENT: dict[str, Any] = {
    "resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1974-12-25", "multipleBirthInteger": 2,
    "name": [{"family": "Smith", "given": ["Peter", "James"]}, {"family": "Jones"}],
}


def ours(expression: str) -> list[Any]:
    return evaluate(expression, PATIENT, "Patient", PATIENT, PATIENT)


def judged(expression: str, severity: str = "error") -> list[tuple[str, str]]:
    """The issues check_constraints reports for one profile constraint on PATIENT."""
    sink = Sink()
    check_constraints((("x-1", severity, expression, "the rule"),), PATIENT, "Patient", PATIENT, PATIENT, "Patient",
                      sink, lambda key: True)
    return [(i.severity, i.defect) for i in sink.issues]


def fhirpathpy_raises(expression: str) -> None:
    with pytest.raises(Exception):  # noqa: B017 - fhirpathpy's own plain exceptions: "not evaluated" before
        fhirpathpy_evaluate(PATIENT, expression, {}, models["r4"])


# ---- arithmetic (opPlus, opMinus, opTimes, opDivideBy, opDiv, opMod, opConcatenate) -----------------------

@pytest.mark.parametrize("expression", [
    "name.family + 'x'",  # FHIRPATH_LEFT_VALUE
    "'x' + name.family",  # FHIRPATH_RIGHT_VALUE
    "name.family & 'x'",
    "birthDate + 'x'",  # FHIRPATH_OP_INCOMPATIBLE: a date and a string
    "1 + 'a'",
    "1 * 'a'",
    "multipleBirth - 'a'",
])
def test_arithmetic_hl7_throws_on_fails_the_invariant(expression: str) -> None:
    with pytest.raises(EvaluationError):
        ours(expression)
    assert judged(f"({expression}).exists()") == [("error", "invariant")]
    assert judged(f"({expression}).exists()", "warning") == [("warning", "invariant")]  # at its own severity


def test_arithmetic_hl7_answers_is_unchanged() -> None:
    assert ours("name.family.first() + 'x'") == ["Smithx"]
    assert ours("multipleBirth + 1") == [3]
    assert ours("'a' & {}") == ["a"]  # an empty side is '' to opConcatenate
    assert ours("'a' + {}") == []  # and empty to opPlus
    assert ours("(birthDate + 1 'day').toString()") == ["1974-12-26"]


def test_fhirpathpy_raised_a_plain_exception_there() -> None:
    fhirpathpy_raises("name.family + 'x'")
    fhirpathpy_raises("birthDate + 'x'")


# ---- comparison (opLessThan ... opGreaterOrEqual) ----------------------------------------------------------

@pytest.mark.parametrize("expression", ["birthDate > 5", "gender > 5", "multipleBirth > 'a'", "true < 1"])
def test_primitives_that_do_not_compare_fail_the_invariant(expression: str) -> None:
    """FHIRPATH_CANT_COMPARE; fhirpathpy: 'Type of ... did not match' (not evaluated)."""
    fhirpathpy_raises(expression)
    with pytest.raises(EvaluationError, match="FHIRPATH_CANT_COMPARE"):
        ours(expression)
    assert judged(expression) == [("error", "invariant")]


def test_a_primitive_against_a_complex_item_is_empty() -> None:
    fhirpathpy_raises("name < 5")
    assert ours("name.first() < 5") == []  # not both primitives, not two Quantities: opLessThan's final empty
    assert ours("1 'mg' < 5") == []
    assert ours("1 'mg' < 2 'mg'") == [True]
    assert ours("name.family > 'a'") == []  # several items: empty, as before
    assert ours("gender < 'x'") == [True]


def test_less_than_takes_no_positive_int() -> None:
    """opLessThan names integer and decimal only (opGreater and the others add unsignedInt and positiveInt)."""
    doc = {"resourceType": "Timing", "repeat": {"count": 3}}
    with pytest.raises(EvaluationError, match="FHIRPATH_CANT_COMPARE"):
        evaluate("count < 5", doc["repeat"], "Timing.repeat", doc, doc)
    assert evaluate("count > 5", doc["repeat"], "Timing.repeat", doc, doc) == [False]


# ---- string functions --------------------------------------------------------------------------------------

def test_string_functions_on_several_items_answer_as_hl7() -> None:
    for expression in ("name.family.upper()", "name.family.lower()", "name.family.toChars()", "name.family.trim()",
                       "name.family.split(',')", "name.family.toQuantity()", "name.family.endsWith('h')",
                       "name.family.indexOf('m')"):
        fhirpathpy_raises(expression)
    assert ours("name.family.upper()") == []  # funcUpper: focus.size() == 1, else nothing
    assert ours("name.family.first().upper()") == ["SMITH"]
    assert ours("birthDate.upper()") == []  # not of FHIR_TYPES_STRING
    assert ours("name.family.lower()") == []
    assert ours("name.family.toChars()") == []
    assert ours("name.family.trim()") == []
    assert ours("name.family.split(',')") == []
    assert ours("name.family.toQuantity()") == []
    assert ours("name.family.endsWith('h')") == [False]  # funcEndsWith: several items false
    assert ours("name.family.endsWith('')") == [True]
    assert ours("name.family.first().endsWith('h')") == [True]
    assert ours("name.family.indexOf('m')") == [1]  # funcIndexOf reads focus.get(0)
    assert judged("name.family.endsWith('h')") == [("error", "invariant")]


@pytest.mark.parametrize("expression", ["name.family.replace('S', 'X')", "name.family.toString()",
                                        "name.family.toDateTime()"])
def test_no_collection_functions_fail_the_invariant(expression: str) -> None:
    """funcReplace, funcToString, funcToDateTime: FHIRPATH_NO_COLLECTION on several items."""
    with pytest.raises(EvaluationError, match="FHIRPATH_NO_COLLECTION"):
        ours(expression)
    assert judged(f"{expression}.empty()") == [("error", "invariant")]


# ---- math functions ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("function", ["abs()", "ceiling()", "floor()", "sqrt()", "truncate()", "round()", "ln()",
                                      "exp()", "log(2)", "power(2)", "lowBoundary()", "highBoundary()", "precision()"])
def test_math_functions_on_several_items_fail_the_invariant(function: str) -> None:
    with pytest.raises(EvaluationError, match="FHIRPATH_FOCUS"):
        ours(f"(1 | 2).{function}")


def test_math_functions_give_a_non_number_nothing() -> None:
    """funcAbs...: the WRONG_PARAM_TYPE exception is made, not thrown: the result is empty."""
    fhirpathpy_raises("name.family.first().abs()")
    assert ours("name.family.first().abs()") == []
    assert ours("name.family.first().round()") == []
    assert ours("multipleBirth.abs() = 2") == [True]
    assert ours("(-5.5 'mg').abs() = 5.5 'mg'") == [True]


# ---- parse time: an unknown function -----------------------------------------------------------------------

@pytest.mark.parametrize("expression", ["name.frobnicate()", "birthDate.toDate().exists()", "gender.isString()"])
def test_a_function_hl7s_parser_does_not_know_is_an_error_whatever_the_severity(expression: str) -> None:
    """FHIRPathEngine.parse: "The name X is not a known function name" (toDate() is FHIRPath's, not in HL7's
    Function enum); checkInvariant reports the parse failure as an error (PROBLEM_PROCESSING_EXPRESSION)."""
    assert judged(expression, "warning") == [("error", "invariant")]


def test_the_validators_host_functions_are_known() -> None:
    """InstanceValidator.ValidatorHostServices.resolveFunction: slice() parses; fhirpathpy cannot run it, so the
    invariant is not evaluated (information), never the parse error an unknown function gets."""
    assert judged("name.slice('http://example.org/sd', 'a').empty()") == [("information", "invariant-not-evaluated")]


# ---- constants -----------------------------------------------------------------------------------------------

def test_an_unknown_constant_is_empty() -> None:
    """The validator's host services answer any constant the engine does not know with an empty list."""
    with pytest.raises(ValueError, match="undefined environment variable"):
        fhirpathpy_evaluate(PATIENT, "%nothing.exists()")
    assert ours("%nothing.exists()") == [False]
    assert judged("%nothing.exists()") == [("error", "invariant")]


# ---- FHIRPathExpressionFixer: the texts it replaces whatever the version ------------------------------------

@pytest.mark.parametrize(("key", "text", "expected"), [
    ("eld-11", "binding.empty() or type.code.empty() or type.code.contains(\":\") or type.select((code = 'code') or "
               "(code = 'Coding') or (code='CodeableConcept') or (code = 'Quantity') or (code = 'string') or (code = "
               "'uri') or (code = 'Duration')).exists()",
     "binding.empty() or type.code.empty() or type.code.contains(':') or type.select((code = 'code') or "
     "(code = 'Coding') or (code='CodeableConcept') or (code = 'Quantity') or (code = 'string') or (code = "
     "'uri') or (code = 'Duration')).exists()"),
    ("x", "url.matches('([^|#])*')", "$this.matches('([^|#])*')"),
    ("x", "telecom or endpoint", "telecom.exists() or endpoint.exists()"),
    ("x", "element.all(definition and min and max)",
     "element.all(definition.exists() and min.exists() and max.exists())"),
    ("ras-2", "probability is decimal implies probability.as(decimal) <= 100",
     "probability.empty() or (probability is decimal implies probability.as(decimal) <= 100)"),
    ("x", "(%resource.kind = 'logical' or element.first().path.startsWith(%resource.type)) and (element.tail().not() "
          "or  element.tail().all(path.startsWith(%resource.differential.element.first().path.replaceMatches("
          "'\\\\..*','')&'.')))",
     "(%resource.kind = 'logical' or element.first().path.startsWith(%resource.type)) and (element.tail().empty() "
     "or  element.tail().all(path.startsWith(%resource.differential.element.first().path.replaceMatches("
     "'\\\\..*','')&'.')))"),
])
def test_fixer_texts_of_any_version(key: str, text: str, expected: str) -> None:
    assert fixed(key, text) == expected


def test_ras_2_fix_is_keyed() -> None:
    text = "probability is decimal implies probability.as(decimal) <= 100"
    assert fixed("other", text) == text


@pytest.mark.parametrize("expression", ["name.exists(given, family)", "name.family.substring()",
                                        "name.family.toQuantity('mg').exists()", "gender.trace().exists()"])
def test_a_wrong_number_of_parameters_is_an_error_whatever_the_severity(expression: str) -> None:
    """FHIRPathEngine.checkParameters / checkParamCount: "The function X requires N parameters", at parse time
    (toQuantity takes no unit there); fhirpathpy raised only when it ran, so the invariant was "not evaluated"."""
    assert judged(expression, "warning") == [("error", "invariant")]


# ---- memberOf() / conformsTo() on other than one item ------------------------------------------------------

def test_member_of_several_items_is_empty_before_any_value_set_is_looked_for() -> None:
    """funcMemberOf: ``nl.size() != 1 || focus.size() != 1`` is empty, before the value set is resolved; ours raised
    for a value set not held (not evaluated), so ``.memberOf(...).not()`` style invariants went unjudged."""
    assert ours("name.family.memberOf('http://example.org/ValueSet/not-held')") == []
    assert judged("name.family.memberOf('http://example.org/ValueSet/not-held')") == [("error", "invariant")]
    with pytest.raises(ValueError, match="memberOf"):  # one item and a value set not held: still not evaluated
        ours("gender.memberOf('http://example.org/ValueSet/not-held')")


def test_conforms_to_on_other_than_one_item_is_false() -> None:
    """funcConformsTo: ``focus.size() != 1`` is false; one item needs a validation (not done: not evaluated)."""
    assert ours("name.conformsTo('http://hl7.org/fhir/StructureDefinition/HumanName')") == [False]
    assert ours("deceased.conformsTo('http://hl7.org/fhir/StructureDefinition/boolean')") == [False]
    with pytest.raises(NotImplementedError):
        ours("conformsTo('http://hl7.org/fhir/StructureDefinition/Patient')")


def test_a_primitive_with_extensions_only_fails_a_comparison() -> None:
    """opLessOrEqual reads ``primitiveValue()``, null for a primitive with only extensions: HL7's engine throws and
    checkInvariant fails the invariant (fhirpathpy: "Type of {...} did not match", not evaluated)."""
    period = {"resourceType": "Period", "end": "2020-01-01",
              "_start": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                                        "valueCode": "unknown"}]}}
    with pytest.raises(EvaluationError, match="without a value"):
        evaluate("start.exists() implies start <= end", period, "Period", period, period)
    with_value = {**period, "start": "2019-01-01"}
    assert evaluate("start <= end", with_value, "Period", with_value, with_value) == [True]
    # per-1 guards with hasValue(): not reached
    assert evaluate("start.hasValue().not() or end.hasValue().not() or (start <= end)", period, "Period", period,
                    period) == [True]


@pytest.mark.parametrize("expression", ["name.family.allTrue()", "(1 | 0).anyTrue()", "name.family.allFalse()",
                                        "name.family.anyFalse()", "'10:00'.toTime().exists()"])
def test_boolean_aggregates_of_non_booleans_and_to_time_fail_the_invariant(expression: str) -> None:
    """funcAllTrue...: "Unable to convert '...' to a boolean" (canConvertToBoolean); funcToTime:
    FHIRPATH_NOT_IMPLEMENTED. fhirpathpy raised a TypeError on the first (not evaluated) and converted the last."""
    with pytest.raises(EvaluationError):
        ours(expression)
    assert judged(expression) == [("error", "invariant")]


def test_boolean_aggregates_of_booleans_are_unchanged() -> None:
    assert ours("(true | false).anyTrue()") == [True]
    assert ours("(true | false).allTrue()") == [False]
    assert ours("{}.allTrue()") == [True]
