"""The CapabilityStatement is accurate: what it declares exists and works, and nothing else is claimed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance.fhir.searchparams import lookup
from conformance.sandbox.faults import SERVED_TYPES, TYPES
from conformance.sandbox.fhir import gen_elements
from conformance.sandbox.fhir.capability import data
from tests.sandbox.conftest import sandbox


async def _statement(*faults: str) -> dict[str, Any]:
    async with sandbox(*faults) as client:
        response = await client.get("metadata", headers={"Accept": "application/fhir+json"})
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body


async def test_statement_declares_the_served_types() -> None:
    cs = await _statement()
    assert cs["resourceType"] == "CapabilityStatement"
    assert (cs["status"], cs["kind"], cs["fhirVersion"], cs["format"]) == ("active", "instance", "4.0.1", ["json"])
    assert cs["date"]
    rest = cs["rest"][0]
    assert rest["mode"] == "server"
    assert [r["type"] for r in rest["resource"]] == list(SERVED_TYPES)
    # the fhir-rest fixture types, plus the gs1 suite's Medication and gs1-bedside's MedicationAdministration
    assert SERVED_TYPES == (*TYPES, "Medication", "MedicationAdministration")
    for resource in rest["resource"]:
        codes = {i["code"] for i in resource["interaction"]}
        assert codes == {"read", "vread", "update", "delete", "history-instance", "create", "search-type"}
        assert resource["versioning"] == "versioned-update" and resource["conditionalCreate"] is True
        names = {p["name"] for p in resource["searchParam"]}
        assert {"_id", "_lastUpdated", "_tag", "identifier"} <= names
        for param in resource["searchParam"]:
            if param["name"] == "_has":  # reverse chaining (gs1-bedside's recall): no SearchParameter defines it
                assert (resource["type"], param["type"]) == ("Patient", "special") and "definition" not in param
                continue
            found = lookup(resource["type"], param["name"])
            assert found is not None and found.type == param["type"] in {"string", "token", "date", "reference"}
            assert param["definition"].startswith("http://hl7.org/fhir/SearchParameter/")
    patient = rest["resource"][0]
    assert "Observation:subject" in patient["searchRevInclude"]
    observation = next(r for r in rest["resource"] if r["type"] == "Observation")
    assert {"Observation:subject", "Observation:patient"} <= set(observation["searchInclude"])


async def test_every_declared_parameter_is_accepted_in_strict_mode() -> None:
    cs = await _statement()
    async with sandbox() as client:
        for resource in cs["rest"][0]["resource"]:
            for param in resource["searchParam"]:
                if param["name"] == "_has":
                    url = f"{resource['type']}?_has:MedicationAdministration:patient:status=a"
                else:
                    value = {"string": "a", "token": "a", "date": "2020", "reference": "Patient/1"}[param["type"]]
                    url = f"{resource['type']}?{param['name']}={value}"
                response = await client.get(url, headers={"Prefer": "handling=strict"})
                assert response.status_code == 200, (url, response.text)
            for spec in resource["searchInclude"]:
                strict = {"Prefer": "handling=strict"}
                response = await client.get(f"{resource['type']}?_include={spec}", headers=strict)
                assert response.status_code == 200, spec


@pytest.mark.parametrize(("fault", "path", "value"), [
    ("metadata-fhir-version-3", ["fhirVersion"], "3.0.2"),
    ("metadata-no-json-format", ["format"], ["xml"]),
    ("xml-declared-not-served", ["format"], ["json", "xml"]),
    ("metadata-not-capabilitystatement", ["resourceType"], "Conformance"),
])
async def test_metadata_faults(fault: str, path: list[str], value: Any) -> None:
    assert (await _statement(fault))[path[0]] == value
    assert (await _statement())[path[0]] != value


def test_elements_json_is_generated_from_the_r4_definitions() -> None:
    if not gen_elements.SOURCE.exists():
        pytest.skip(f"{gen_elements.SOURCE} not present")
    assert gen_elements.generate() == data()
    assert data()["elements"]["Observation"]["valueQuantity"] == [False, "Quantity"]
    assert Path(gen_elements.TARGET).name == "elements.json"
