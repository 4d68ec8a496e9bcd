"""bench/fhir_base_mutations.py's mutants on a small synthetic Patient, typed by R4's own definitions read raw:
each class lands where base R4 defines it, and the validator rejects every mutant while the harmless edits pass."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.fhirval.scripts import load_script

BENCH = Path(__file__).resolve().parents[2] / "bench"
Json = dict[str, Any]
PATIENT: Json = {
    "resourceType": "Patient", "id": "p1", "active": True, "gender": "female", "birthDate": "1970-01-01",
    "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">p</div>'},
    "name": [{"family": "Doe", "given": ["Jane"], "period": {"start": "2000-01-01", "end": "2001-01-01"}}],
    "telecom": [{"system": "phone", "value": "123"}],
    "contact": [{"name": {"text": "Bob"}, "organization": {"reference": "#org"}}],
    "contained": [{"resourceType": "Organization", "id": "org", "name": "Org"}],
    "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace", "valueAddress": {"city": "X"}}],
}


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    return load_script("bench/fhir_base_mutations.py")


@pytest.fixture(scope="module")
def made(bench: ModuleType) -> list[tuple[str, str, Json]]:
    types = bench.Types(bench.RawDefinitions(bench.R4, []))
    return [(cls, element, make()) for cls, element, make in bench.mutants_of(PATIENT, types, bench.Picker(99))]


def test_sites_are_typed_by_r4(bench: ModuleType) -> None:
    types = bench.Types(bench.RawDefinitions(bench.R4, []))
    sites = {(s.path, s.tcode) for s in types.sites(PATIENT)}
    assert ("Patient.gender", "code") in sites and ("HumanName.period", "Period") in sites
    assert ("Period.start", "dateTime") in sites and ("Extension.value[x]", "Address") in sites
    assert ("Patient.contact.organization", "Reference") in sites and ("Organization.name", "string") in sites


def test_each_class_is_made_where_r4_defines_it(made: list[tuple[str, str, Json]]) -> None:
    classes = {(cls, element) for cls, element, _ in made}
    for want in [("binding-required", "Patient.gender"), ("lexical-date", "Patient.birthDate"),
                 ("lexical-boolean", "Patient.active"), ("array-for-single", "Patient.gender"),
                 ("object-for-array", "Patient.name"), ("min-removed", "Narrative.status"),
                 ("invariant", "per-1 HumanName.period"), ("invariant", "cpt-2 Patient.telecom"),
                 ("contained-target", "Patient.contact.organization"), ("dom-3", "Patient"),
                 ("ext-1", "Patient.extension"), ("reorder", "Patient")]:
        assert want in classes, want
    mutated = {(c, e): doc for c, e, doc in made}
    assert mutated[("binding-required", "Patient.gender")]["gender"] == "mutant-code"
    assert mutated[("contained-target", "Patient.contact.organization")]["contained"][0]["resourceType"] == "Basic"


def test_the_validator_rejects_every_mutant_and_passes_the_harmless(bench: ModuleType,
                                                                     made: list[tuple[str, str, Json]]) -> None:
    bench.alarms.load([], None)
    assert bench.judged(json.dumps(PATIENT).encode()) == []
    for cls, element, doc in made:
        errors = bench.judged(json.dumps(doc).encode())
        assert bool(errors) != (cls in bench.HARMLESS), (cls, element, errors)


def test_a_bundle_type_given_as_an_array_is_an_error_not_a_crash() -> None:
    # found by the bench (array-for-single on Bundle.type): reference_targets.strict_entry hashed the list
    from conformance.fhirval.base import base_source
    from conformance.fhirval.validate import validate_bytes

    bundle = {"resourceType": "Bundle", "type": ["document", "document"], "entry": [
        {"fullUrl": "urn:uuid:3f8a1c52-5f43-4b52-9b1a-0c2b6f0a7d11",
         "resource": {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                      "subject": {"reference": "urn:uuid:3f8a1c52-5f43-4b52-9b1a-0c2b6f0a7d12"}}}]}
    errors = [i for i in validate_bytes(json.dumps(bundle).encode(), base_source()) if i.is_error]
    assert any(i.location == "Bundle.type" for i in errors), errors


def test_invariant_shapes_are_read_from_the_fhirpath_text(bench: ModuleType) -> None:
    # app-2 'start.exists() = end.exists()': with both present, end is taken out, and app-2 must fail
    types = bench.Types(bench.RawDefinitions(bench.R4, []))
    appointment: Json = {"resourceType": "Appointment", "status": "booked", "start": "2020-01-01T10:00:00Z",
                         "end": "2020-01-01T11:00:00Z", "participant": [{"status": "accepted",
                                                                         "actor": {"display": "x"}}]}
    made = {key: make() for _, key, make in bench.invariant_shape_mutants(appointment, list(types.sites(appointment)),
                                                                           types)}
    assert "end" not in made["app-2"] and "start" in made["app-2"]
    bench.alarms.load([], None)
    assert bench.judged(json.dumps(appointment).encode()) == []
    assert any("app-2" in e for e in bench.judged(json.dumps(made["app-2"]).encode()))


def test_a_crash_is_neither_caught_nor_named(bench: ModuleType) -> None:
    assert bench.crashed(["CRASH TypeError: x"]) and not bench.crashed(["Patient.gender: bad"])
    assert bench.named_in("Patient.value[x]", ["Patient.valueString: wrong"])
    assert bench.named_in("per-1 HumanName.period", ["HumanName.period: per-1 failed"])
    assert not bench.named_in("Patient.gender", ["Patient.name: other"])
