"""UK Core 2.0.2's own examples validate without errors against UK Core, and broken variants are caught.

Reference data is read from ../shared/data (never copied here). Each example is validated against base
R4 and the UK Core profile of its type. Six examples use extensions whose definitions the package does
not ship (one differs from the shipped URL only in case): against the package as shipped those are
errors, as in HL7's validator, and they are pinned exactly below; with
``--extension-domain https://fhir.hl7.org.uk/`` (HL7's ``-extension``) they validate clean.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.fhirval.layered import LayeredSource, load_definitions
from conformance.fhirval.validate import validate_bytes, validate_resource
from conformance.fhirval.xml import xml_to_json

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
UKCORE = SHARED / "ukcore-2.0.2"
EXAMPLES = sorted((UKCORE / "examples").glob("*.xml")) if UKCORE.exists() else []
UK = "https://fhir.hl7.org.uk/StructureDefinition/"
DOMAIN = ("https://fhir.hl7.org.uk/",)

pytestmark = pytest.mark.skipif(not UKCORE.exists(), reason="UK Core reference data (../shared/data) not present")

# Examples citing extensions the package does not define: file -> (location, extension URL).
UPSTREAM_UNDEFINED_EXTENSION = {
    "UKCore-Encounter-Extension-OutcomeofAttendance-Example.xml":
        ("Encounter.extension[0]", UK + "Extension-UKCore-OutcomeofAttendance"),  # shipped: ...OutcomeOfAttendance
    "UKCore-Extension-MedicationChangeSummary-Example.xml":
        ("MedicationStatement.extension[0]", UK + "Extension-UKCore-MedicationChangeSummary"),
    "UKCore-Patient-Extension-MedicalApplianceSupplier-Example.xml":
        ("Patient.extension[0]", UK + "Extension-UKCore-MedicalApplianceSupplier"),
    "UKCore-Patient-Extension-OverseasVisitorChargingCategory-Example.xml":
        ("Patient.extension[0]", UK + "Extension-UKCore-OverseasVisitorChargingCategory"),
    "UKCore-Patient-Extension-PreferredDispenserOrganization-Example.xml":
        ("Patient.extension[0]", UK + "Extension-UKCore-PreferredDispenserOrganization"),
    "UKCore-RelatedPerson-Extension-EffectivePeriod-Example.xml":
        ("RelatedPerson.extension[0]", UK + "Extension-UKCore-EffectivePeriod"),
}


@functools.cache
def source() -> LayeredSource:
    return load_definitions([UKCORE])


def profile_for(resource_type: str) -> tuple[str, ...]:
    url = f"{UK}UKCore-{resource_type}"
    return (url,) if source().structure(url) is not None else ()


def example(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = xml_to_json((UKCORE / "examples" / f"UKCore-{name}-Example.xml").read_bytes(), source(),
                                      allow_no_namespace=True)
    return doc


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_validates_against_uk_core(path: Path) -> None:
    data = path.read_bytes()
    kind = xml_to_json(data, source(), allow_no_namespace=True)["resourceType"]
    strict = [(i.defect, i.location, i.message) for i in validate_bytes(data, source(), profile_for(kind))
              if i.is_error]
    if path.name in UPSTREAM_UNDEFINED_EXTENSION:
        location, url = UPSTREAM_UNDEFINED_EXTENSION[path.name]
        assert [(d, loc) for d, loc, _ in strict] == [("extension-unknown", location)]
        assert url in strict[0][2] and source().structure(url) is None
        lenient = validate_bytes(data, source(), profile_for(kind), extension_domains=DOMAIN)
        assert [i for i in lenient if i.is_error] == []
    else:
        assert strict == []


def test_the_examples_are_all_there() -> None:
    assert len(EXAMPLES) == 140
    assert {p.name for p in EXAMPLES} >= set(UPSTREAM_UNDEFINED_EXTENSION)


# ---- broken variants: each realistic mistake, caught where it is -------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(path: tuple[Any, ...], value: Any) -> Mutation:
    def apply(res: dict[str, Any]) -> None:
        target: Any = res
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    return apply


def _drop(path: tuple[Any, ...]) -> Mutation:
    def apply(res: dict[str, Any]) -> None:
        target: Any = res
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]
    return apply


def _verification_status(code: str) -> Mutation:
    return _set(("identifier", 0, "extension", 0, "valueCodeableConcept", "coding", 0, "code"), code)


BROKEN: dict[str, tuple[str, Mutation, str, str]] = {
    # name: (example, mutation, defect, location)
    "patient gender as a local code": ("Patient-RichardSmith", _set(("gender",), "F"), "code-invalid",
                                       "Patient.gender"),
    "patient birth date in UK display format": ("Patient-RichardSmith", _set(("birthDate",), "12/03/1984"),
                                                "primitive-format", "Patient.birthDate"),
    "patient with a vendor element": ("Patient-RichardSmith", _set(("legacyId",), "L-1"), "unknown-element",
                                      "Patient.legacyId"),
    "patient name as a string": ("Patient-RichardSmith", _set(("name",), "Richard Smith"), "array-expected",
                                 "Patient.name"),
    "observation without status": ("Observation-Lab-WhiteCellCount", _drop(("status",)), "cardinality-min",
                                   "Observation"),
    "observation with an unknown status": ("Observation-Lab-WhiteCellCount", _set(("status",), "done"),
                                           "code-invalid", "Observation.status"),
    "observation with two value[x]": ("Observation-Lab-WhiteCellCount", _set(("valueString",), "6.2"),
                                      "choice-multiple", "Observation.value"),
    "medication request without subject": ("MedicationRequest-EyeDrops", _drop(("subject",)), "cardinality-min",
                                           "MedicationRequest"),
    "medication request intent outside its value set": ("MedicationRequest-EyeDrops", _set(("intent",), "maybe"),
                                                        "code-invalid", "MedicationRequest.intent"),
    "encounter without class": ("Encounter-InpatientEncounter", _drop(("class",)), "cardinality-min", "Encounter"),
    "encounter period ending before it starts": (
        "Encounter-InpatientEncounter", _set(("period",), {"start": "2022-02-02T10:00:00Z", "end": "2022-02-01"}),
        "invariant", "Encounter.period"),
    "allergy clinical status code unknown": (
        "AllergyIntolerance-Amoxicillin", _set(("clinicalStatus", "coding", 0, "code"), "gone"), "code-invalid",
        "AllergyIntolerance.clinicalStatus"),
    "allergy reference to a type that does not exist": (
        "AllergyIntolerance-Amoxicillin", _set(("patient",), {"reference": "Pateint/1"}), "reference-format",
        "AllergyIntolerance.patient.reference"),
    "condition entered in error but still active": (
        "Condition-HipReplacement", _set(("verificationStatus",), {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "entered-in-error"}]}),
        "invariant", "Condition"),
    "ethnic category extension with a string value": (
        "Patient-Extension-EthnicCategory", _set(("extension", 0, "valueString"), "A"), "choice-type",
        "Patient.extension[0].valueString"),
    "NHS number verification status outside UK Core's value set": (
        "Patient-RichardSmith", _verification_status("99"), "code-invalid",
        "Patient.identifier[0].extension[0].value.ofType(CodeableConcept)"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_variant_is_caught(name: str) -> None:
    base, mutate, defect, location = BROKEN[name]
    resource = example(base)
    profiles = profile_for(resource["resourceType"])
    assert [i for i in validate_resource(resource, source(), profiles) if i.is_error] == []
    broken = copy.deepcopy(resource)
    mutate(broken)
    errors = [(i.defect, i.location) for i in validate_resource(broken, source(), profiles) if i.is_error]
    assert (defect, location) in errors, errors


# ---- US Core 5.0.1: synthetic instances (fixtures/fhir/validation/uscore/) and broken variants ---------

USCORE = SHARED / "uscore-5.0.1" / "structuredefinitions.json"
US_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fhir" / "validation" / "uscore"
US = "http://hl7.org/fhir/us/core/StructureDefinition/"


@functools.cache
def us_source() -> LayeredSource:
    return load_definitions([USCORE])


def us_fixture(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((US_FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return doc


@pytest.mark.parametrize("name", ["patient", "blood-pressure", "medicationrequest"])
def test_us_core_instances_are_valid_by_meta_profile_and_by_request(name: str) -> None:
    resource = us_fixture(name)
    (profile,) = resource["meta"]["profile"]
    assert us_source().structure(profile) is not None
    assert [i for i in validate_resource(resource, us_source()) if i.is_error] == []
    del resource["meta"]
    assert [i for i in validate_resource(resource, us_source(), (profile,)) if i.is_error] == []


def _without_extension_part(url: str, part: str) -> Mutation:
    def apply(res: dict[str, Any]) -> None:
        ext = next(e for e in res["extension"] if e["url"] == url)
        ext["extension"] = [x for x in ext["extension"] if x["url"] != part]
    return apply


def _component_value(index: int, key: str, value: Any) -> Mutation:
    return _set(("component", index, "valueQuantity", key), value)


US_BROKEN: dict[str, tuple[str, Mutation, str, str]] = {
    "patient without identifier": ("patient", _drop(("identifier",)), "cardinality-min", "Patient"),
    "patient identifier without system": ("patient", _drop(("identifier", 0, "system")), "cardinality-min",
                                          "Patient.identifier[0]"),
    "patient without name": ("patient", _drop(("name",)), "cardinality-min", "Patient"),
    "patient without gender": ("patient", _drop(("gender",)), "cardinality-min", "Patient"),
    "race without its text": ("patient", _without_extension_part(US + "us-core-race", "text"), "slice-min",
                              "Patient.extension[0]"),
    "birth sex as a string": ("patient", _set(("extension", 2), {"url": US + "us-core-birthsex", "valueString": "F"}),
                              "choice-type", "Patient.extension[2].valueString"),
    "blood pressure without diastolic": ("blood-pressure", _drop(("component", 1)), "slice-min", "Observation"),
    "systolic in mmHg instead of UCUM mm[Hg]": ("blood-pressure", _component_value(0, "code", "mmHg"),
                                                "fixed-value", "Observation.component[0].value.ofType(Quantity).code"),
    "blood pressure not precise to the day": ("blood-pressure", _set(("effectiveDateTime",), "2024-07"),
                                              "invariant", "Observation.effective.ofType(dateTime)"),
    "medication request without requester": ("medicationrequest", _drop(("requester",)), "cardinality-min",
                                             "MedicationRequest"),
}


@pytest.mark.parametrize("name", sorted(US_BROKEN))
def test_us_core_broken_variant_is_caught(name: str) -> None:
    base, mutate, defect, location = US_BROKEN[name]
    broken = us_fixture(base)
    mutate(broken)
    errors = [(i.defect, i.location) for i in validate_resource(broken, us_source()) if i.is_error]
    assert (defect, location) in errors, errors
