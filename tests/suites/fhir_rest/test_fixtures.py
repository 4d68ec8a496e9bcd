"""The synthetic fixtures and the search probes built from them."""

from __future__ import annotations

import json
import re

from conformance.fhir import fixtures
from conformance.fhir import searchparams as sp
from conformance.fhir.fixtures import TYPES
from suites.fhir_rest.search_params import date_probes, escape, reference_probes, string_probes, token_probes


def _nhs_number_valid(number: str) -> bool:
    total = sum(int(d) * w for d, w in zip(number[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    return len(number) == 10 and check != 10 and (0 if check == 11 else check) == int(number[9])


def test_every_type_loads_and_refers_only_to_created_types() -> None:
    for rtype in TYPES:
        body = fixtures.build(rtype, {d: "x1" for d in fixtures.dependencies(rtype)})
        assert body["resourceType"] == rtype
        assert not re.search(r'"\{[A-Z][A-Za-z]+\}"', json.dumps(body))
        for dep in fixtures.dependencies(rtype):
            assert TYPES.index(dep) < TYPES.index(rtype)
        assert rtype in fixtures.UPDATES
        assert fixtures.updated(body) != body


def test_patient_is_synthetic_and_uk_flavoured() -> None:
    patient = fixtures.raw("Patient")
    ident = patient["identifier"][0]
    assert ident["system"] == "https://fhir.nhs.uk/Id/nhs-number"
    assert ident["value"].startswith("999") and _nhs_number_valid(ident["value"])
    assert patient["address"][0]["country"] == "GB"


def test_probes_cover_match_and_miss() -> None:
    patient = fixtures.raw("Patient")
    family = sp.lookup("Patient", "family")
    ident = sp.lookup("Patient", "identifier")
    birth = sp.lookup("Patient", "birthdate")
    assert family and ident and birth
    assert [(p.value, p.should_find) for p in string_probes("family", patient, family, "cf123456")] == [
        ("Hart", True), ("zqxw123456", False)]
    tokens = token_probes("identifier", patient, ident, "cf1")
    assert [p.should_find for p in tokens] == [True, True, False]
    assert tokens[1].value == "https://fhir.nhs.uk/Id/nhs-number|9994123009"
    assert [(p.value, p.should_find) for p in date_probes("birthdate", patient, birth, "")] == [
        ("1984-03-12", True), ("ge1984-03-10", True), ("le1984-03-14", True),
        ("gt1984-03-14", False), ("lt1984-03-10", False)]
    obs = fixtures.build("Observation", {"Patient": "p1", "Practitioner": "d1"})
    subject, patient_param = sp.lookup("Observation", "subject"), sp.lookup("Observation", "patient")
    assert subject and patient_param
    assert [p.value for p in reference_probes("subject", obs, subject, "cfX")] == ["Patient/p1", "Patient/cfX"]
    assert [p.value for p in reference_probes("patient", obs, patient_param, "cfX")] == [
        "Patient/p1", "p1", "Patient/cfX"]


def test_escape_and_contact_point_tokens() -> None:
    assert escape("a,b|c$d\\e") == "a\\,b\\|c\\$d\\\\e"
    phone = sp.lookup("Patient", "phone")
    assert phone and sp.tokens(fixtures.raw("Patient"), phone) == [(None, "01632960123")]


def test_subset_differences() -> None:
    sent = {"identifier": [{"system": "s", "value": "1"}], "birthDate": "1984-03-12", "x": 1.0}
    assert fixtures.subset_differences(sent, dict(sent, extra=True, x=1), "P") == []
    assert fixtures.subset_differences(sent, {"birthDate": "1984-03-12", "x": 1}, "P") == ["P.identifier missing"]
    assert fixtures.subset_differences({"d": "2024-01-01T10:00:00Z"}, {"d": "2024-01-01T10:00:00.000+00:00"}, "") == []
