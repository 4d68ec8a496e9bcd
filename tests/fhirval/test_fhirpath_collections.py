"""fhirpath_collections.py: ``|`` / ``union()`` / ``distinct()`` return the items themselves, typed, as HL7's
FHIRPathEngine.opUnion / funcDistinct do; fhirpathpy rebuilt them from their JSON alone, so a choice element
after a union was never found and R4's qrs-2 held on every QuestionnaireResponse."""

from __future__ import annotations

from typing import Any

import pytest
from fhirpathpy import evaluate as fhirpathpy_evaluate
from fhirpathpy.engine.invocations import existence
from fhirpathpy.engine.nodes import ResourceNode

from conformance.fhirval.fhirpath_logic import EvaluationError
from conformance.fhirval.invariants import check_constraints, evaluate
from conformance.fhirval.issues import Sink

OBS: dict[str, Any] = {
    "resourceType": "Observation", "status": "final", "code": {"text": "bp"},
    "valueQuantity": {"value": 1, "system": "http://unitsofmeasure.org", "code": "mg"},
    "component": [{"code": {"text": "a"}, "valueString": "y"},
                  {"code": {"text": "b"}, "valueQuantity": {"value": 2, "system": "http://unitsofmeasure.org",
                                                            "code": "mg"}}],
}


def ours(expression: str, resource: dict[str, Any] = OBS) -> list[Any]:
    return evaluate(expression, resource, resource["resourceType"], resource, resource)


def test_fhirpathpy_rebuilt_the_nodes_without_their_type() -> None:
    nodes = [ResourceNode.create_node(c, "Observation.component") for c in OBS["component"]]
    rebuilt = existence.distinct_fn({}, nodes)  # type: ignore[no-untyped-call]
    assert [n.path for n in rebuilt] == [None, None]


def test_a_choice_element_is_found_after_a_union_or_distinct() -> None:
    both = ["y", OBS["component"][1]["valueQuantity"]]
    assert ours("component.value") == both
    assert ours("(component | component).value") == both  # was []
    assert ours("component.union(component).value") == both  # was []
    assert ours("component.distinct().value") == both  # was []
    assert ours("({} | component).value") == both


def test_type_tests_see_the_type_after_a_union() -> None:
    assert ours("(value | component.value).ofType(Quantity).value") == [1, 2]  # was []
    assert ours("(component | component).value.ofType(string)") == ["y"]


def test_union_keeps_the_first_of_equal_items_and_distinct_the_last() -> None:
    doc = {"resourceType": "Patient", "name": [{"family": "A"}, {"family": "B"}, {"family": "A"}]}
    assert ours("(name | name).family", doc) == ["A", "B"]  # opUnion: each once, in order
    assert ours("name.distinct().family", doc) == ["B", "A"]  # funcDistinct: an item no later item equals
    assert ours("(1 | 2 | 1)") == [1, 2]  # literals: fhirpathpy's own, as before
    assert ours("name.family.distinct().count()", doc) == [2]


def _qr(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "QuestionnaireResponse", "status": "completed", "item": [{"linkId": "g", "item": items}]}


QRS_2 = "repeat(answer|item).select(item.where(answer.value.exists()).linkId.isDistinct()).allTrue()"
SDCQR_2 = ("(QuestionnaireResponse|repeat(answer|item)).select(item.where(answer.value.exists()).linkId.isDistinct())"
           ".allTrue()")


def test_qrs_2_is_evaluated() -> None:
    twice = _qr([{"linkId": "a", "answer": [{"valueString": "x"}]}, {"linkId": "a", "answer": [{"valueString": "y"}]}])
    assert ours(QRS_2, twice) == [False]  # was [True]: answer.value was never found
    once = _qr([{"linkId": "a", "answer": [{"valueString": "x"}]}, {"linkId": "b", "answer": [{"valueString": "y"}]}])
    assert ours(QRS_2, once) == [True]
    unanswered = _qr([{"linkId": "a", "answer": [{"valueString": "x"}]}, {"linkId": "a"}])
    assert ours(QRS_2, unanswered) == [True]  # only items with an answer value count


def _failed(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """SDC's sdcqr-2 (qrs-2 from the response itself) checked as the validator checks an invariant."""
    sink = Sink()
    check_constraints((("sdcqr-2", "error", SDCQR_2, "no repeated answered item"),), doc,
                      "QuestionnaireResponse", doc, doc, "QuestionnaireResponse", sink, lambda key: True)
    return [(i.severity, i.defect) for i in sink.issues]


def test_sdcqr_2_fails_a_response_repeating_an_answered_item() -> None:
    twice = _qr([{"linkId": "a", "answer": [{"valueString": "x"}]}, {"linkId": "a", "answer": [{"valueString": "y"}]}])
    assert _failed(twice) == [("error", "invariant")]  # was []
    top = {"resourceType": "QuestionnaireResponse", "status": "completed",
           "item": [{"linkId": "a", "answer": [{"valueBoolean": True}]},
                    {"linkId": "a", "answer": [{"valueDate": "2020"}]}]}
    assert _failed(top) == [("error", "invariant")]  # the response's own items (QuestionnaireResponse | ...)
    once = _qr([{"linkId": "a", "answer": [{"valueString": "x"}, {"valueString": "y"}]}])
    assert _failed(once) == []


def test_in_and_contains_as_hl7s_operators() -> None:
    assert ours("(1 | 2 | 3) contains (1 | 2)") == [True]  # fhirpathpy: "Expected singleton on right side"
    assert ours("(1 | 2) contains (1 | 4)") == [False]
    assert ours("{} contains 1") == [False]
    assert ours("(1 | 2) contains {}") == []
    assert ours("status in ('final' | 'amended')") == [True]
    assert ours("status in {}") == [False]
    assert ours("{} in ('final')") == []
    assert ours("@2020-01 in (@2020-01-01 | @2021)") == [False]  # an undecided date (doEquals null) is no match
    with pytest.raises(EvaluationError, match="FHIRPATH_LEFT_VALUE"):
        ours("component.code.text in ('a' | 'b')")


def _fails_or_not(expression: str) -> list[tuple[str, str]]:
    sink = Sink()
    check_constraints((("x-1", "error", expression, "the rule"),), OBS, "Observation", OBS, OBS, "Observation", sink,
                      lambda key: True)
    return [(i.severity, i.defect) for i in sink.issues]


def test_in_on_several_items_fails_the_invariant_as_in_hl7s_validator() -> None:
    with pytest.raises(Exception, match="Expected singleton"):  # fhirpathpy's plain exception: "not evaluated"
        fhirpathpy_evaluate(OBS, "Observation.component.code.text in ('a' | 'b')")
    assert _fails_or_not("component.code.text in ('a' | 'b')") == [("error", "invariant")]
    assert _fails_or_not("component.code.text contains 'a'") == []


def test_extension_url_finds_modifier_extensions_too() -> None:
    """FHIRPathEngine.funcExtension reads an item's ``extension`` and ``modifierExtension`` children alike."""
    doc = {"resourceType": "Patient", "modifierExtension": [{"url": "http://example.test/m", "valueBoolean": True}],
           "extension": [{"url": "http://example.test/e", "valueString": "e"}]}
    assert fhirpathpy_evaluate(doc, "Patient.modifierExtension.where(url = 'http://example.test/m').exists()") == [True]
    assert ours("extension('http://example.test/m').value", doc) == [True]  # was []
    assert ours("extension('http://example.test/e').value", doc) == ["e"]
    assert ours("extension.where(url = 'http://example.test/m').exists()", doc) == [False]  # the member: extension only
