"""Coding.system forms HL7's InstanceValidator.checkCode refuses when no code system answers for them (errors
there, offline or not): each synthetic Coding fails without the rule; the forms beside them stay valid. checkCode
judges a standalone Coding (here Meta.tag, bound only by example) but not a CodeableConcept's coding: checkCoding
skips those unless their element has a binding of its own (the CodeableConcept goes whole to the terminology
service, where an unknown system is a warning), nor a Coding checked against a binding's value set."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.bindings import check_coding
from conformance.fhirval.issues import Sink
from conformance.fhirval.terminology import Terminology
from conformance.fhirval.validate import validate_resource


def errors_of(res: dict[str, Any]) -> list[tuple[str, str]]:
    return [(i.defect, i.location) for i in validate_resource(res, base_source()) if i.is_error]


def system_errors(system: str, code: str | None = "x") -> list[tuple[str, str]]:
    tag = {"system": system} if code is None else {"system": system, "code": code}
    return errors_of({"resourceType": "Observation", "meta": {"tag": [tag]}, "status": "final",
                      "code": {"text": "x"}})


REFUSED = [
    "http://build.fhir.org/codesystem-usage-context-type",  # TERMINOLOGY_TX_SYSTEM_WRONG_BUILD
    "http://hl7.org/fhir/observation-status.html",  # TERMINOLOGY_TX_SYSTEM_WRONG_HTML
    "http://snomed.info/sct/900000000000207008",  # TERMINOLOGY_TX_SYSTEM_INVALID
    "http://loinc.org/",
    "https://loinc.org",  # TERMINOLOGY_TX_SYSTEM_HTTPS (NO_HTTPS_LIST)
    "https://terminology.hl7.org/CodeSystem/v3-ActCode",  # https for a system held by http
    # TERMINOLOGY_TX_SYSTEM_UNKNOWN: under HL7's namespace written https or www (no CodeSystem and no terminology
    # server has such a URL); TraumaIG's pattern Coding, an error in its qa.txt (publisher 1.8.15)
    "https://hl7.org/fhir/R4/v3/ActEncounterCode",
    "https://hl7.org/fhir/administrative-gender",
    "http://www.hl7.org/fhir/observation-status",
    # TERMINOLOGY_TX_SYSTEM_RELATIVE (checkCodedElement, isCodeSystemReferenceValid): http:, https: or urn: only
    # (oid: and uuid: are the uri type's own errors, TYPE_SPECIFIC_CHECKS_DT_URI_OID/_UUID)
    "ftp://example.org/codes",
    "tag:example.org,2026:codes",
]


@pytest.mark.parametrize("system", REFUSED)
def test_system_refused(system: str) -> None:
    assert system_errors(system) == [("coding-system", "Observation.meta.tag[0].system")]


@pytest.mark.parametrize("system", REFUSED)
def test_system_in_codeable_concept_left_to_the_service(system: str) -> None:
    """InstanceValidator.checkCoding: ``if (!inCodeableConcept || theElementCntext.hasBinding())``."""
    res = {"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": system, "code": "x"}]}}
    assert errors_of(res) == []


def test_system_without_code_not_judged() -> None:
    """checkCodedElement judges a Coding only when it has both a system and a code."""
    assert system_errors("https://loinc.org", code=None) == []


@pytest.mark.parametrize("system", [
    "http://loinc.org", "http://snomed.info/sct", "http://hl7.org/fhir/sid/icd-10",
    "http://hl7.org/fhir/us/core/CodeSystem/us-core-category",  # an IG's own: its package, or a server, knows it
    "http://hl7.org/fhir/test-codes", "https://example.org/codes", "urn:oid:1.2.3.4",
    # TERMINOLOGY_TX_SYSTEM_UNKNOWN only without a server that supports it; HL7's runs have one (R5's systems...)
    "http://hl7.org/fhir/fhir-types",
])
def test_system_left_alone(system: str) -> None:
    # the system's form is what is judged here: SNOMED CT's and LOINC's codes must still have their form ("x" is an
    # unknown code in both)
    code = {"http://snomed.info/sct": "404684003", "http://loinc.org": "8310-5"}.get(system, "x")
    assert system_errors(system, code=code) == []


@pytest.mark.parametrize("system", ["https://unitsofmeasure.org", "http://unitsofmeasure.org/"])
def test_quantity_system_refused(system: str) -> None:
    """InstanceValidator.checkQuantity -> checkCodedElement -> checkCode: the same system forms as a Coding's."""
    res = {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
           "valueQuantity": {"value": 1, "system": system, "code": "mg"}}
    assert errors_of(res) == [("coding-system", "Observation.value.ofType(Quantity).system")]
    res["valueQuantity"]["system"] = "http://unitsofmeasure.org"
    assert errors_of(res) == []


@pytest.mark.parametrize("vs", ["http://loinc.org/vs", "http://snomed.info/sct?fhir_vs", "http://example.org/vs/x"])
def test_scheme_not_judged_under_a_value_set_hl7_may_resolve(vs: str) -> None:
    """A value set this harness cannot expand may be one HL7 resolves (its implicit LOINC / SNOMED value sets, a
    package not loaded here): the binding is then checked, and TERMINOLOGY_TX_SYSTEM_RELATIVE not reached (review14)."""
    sink = Sink()
    term = Terminology(base_source())
    check_coding(term, {"system": "ftp://example.org/codes", "code": "x"}, "X.code", sink,
                 binding={"strength": "extensible", "valueSet": vs})
    assert [i.defect for i in sink.issues if i.is_error] == []
    check_coding(term, {"system": "ftp://example.org/codes", "code": "x"}, "X.code", sink,
                 binding={"strength": "example", "valueSet": vs})
    assert [i.defect for i in sink.issues if i.is_error] == ["coding-system"]
