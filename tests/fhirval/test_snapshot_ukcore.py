"""UK Core 2.0.2 (XML, differential only): every profile's snapshot generates, key elements right."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.fhirval.layered import LayeredSource, load_definitions
from tests.shared_data import SHARED_DATA

UKCORE = SHARED_DATA / "ukcore-2.0.2"
UK = "https://fhir.hl7.org.uk/StructureDefinition/"
pytestmark = pytest.mark.skipif(not UKCORE.exists(), reason="shared UK Core data not available")


@pytest.fixture(scope="module")
def source() -> LayeredSource:
    return load_definitions([UKCORE])


def elements(source: LayeredSource, name: str) -> dict[str, dict[str, Any]]:
    sd = source.structure(UK + name)
    assert sd is not None, name
    return {e["id"]: e for e in sd["snapshot"]["element"]}


def test_every_profile_generates(source: LayeredSource) -> None:
    sds = [r for r in source.loaded.packages[0].resources if r["resourceType"] == "StructureDefinition"]
    assert len(sds) == 78
    for raw in sds:
        assert "snapshot" not in raw
        sd = source.structure(raw["url"])
        assert sd is not None
        ids = [e["id"] for e in sd["snapshot"]["element"]]
        assert len(ids) == len(set(ids)), raw["url"]
        # every differential element is in the snapshot (renamed choices land on their [x] element)
        for diff in raw["differential"]["element"]:
            assert diff["id"] in ids or ("[x]" not in diff["id"] and any(i.endswith("[x]") for i in ids)), diff["id"]


def test_patient_nhs_number_slice(source: LayeredSource) -> None:
    els = elements(source, "UKCore-Patient")
    assert els["Patient.identifier"]["slicing"]["discriminator"] == [{"type": "value", "path": "system"}]
    nhs = els["Patient.identifier:nhsNumber"]
    assert nhs["sliceName"] == "nhsNumber" and nhs["max"] == "1"
    system = els["Patient.identifier:nhsNumber.system"]
    assert system["fixedUri"] == "https://fhir.nhs.uk/Id/nhs-number" and system["min"] == 1
    assert system["path"] == "Patient.identifier.system"
    assert els["Patient.identifier:nhsNumber.value"]["min"] == 1
    status = els["Patient.identifier:nhsNumber.extension:nhsNumberVerificationStatus"]
    assert status["type"][0]["profile"] == [UK + "Extension-UKCore-NHSNumberVerificationStatus"]
    # base elements survive untouched around the slice
    assert els["Patient.gender"]["binding"]["strength"] == "required"


def test_extension_profiles_and_complex_extensions(source: LayeredSource) -> None:
    els = elements(source, "Extension-UKCore-ContactPreference")
    assert els["Extension.url"]["fixedUri"] == UK + "Extension-UKCore-ContactPreference"
    sub = [i for i in els if i.startswith("Extension.extension:") and i.count(":") == 1 and "." not in i.split(":")[1]]
    assert "Extension.extension:PreferredContactMethod" in sub
    assert els["Extension.extension:PreferredContactMethod.url"]["fixedUri"] == "PreferredContactMethod"
    assert els["Extension.value[x]"]["max"] == "0"
    ethnic = elements(source, "Extension-UKCore-EthnicCategory")
    assert ethnic["Extension.value[x]"]["type"][0]["code"] == "CodeableConcept"


def test_profile_built_on_a_profile(tmp_path: Path) -> None:
    """A local profile on UKCore-Patient: the base's snapshot is generated first, then ours on it."""
    local = {
        "resourceType": "StructureDefinition",
        "url": "http://example.org/SD/local-patient",
        "type": "Patient",
        "kind": "resource",
        "derivation": "constraint",
        "baseDefinition": UK + "UKCore-Patient",
        "differential": {
            "element": [
                {
                    "id": "Patient.identifier:nhsNumber",
                    "path": "Patient.identifier",
                    "sliceName": "nhsNumber",
                    "min": 1,
                },
                {"id": "Patient.identifier:nhsNumber.period", "path": "Patient.identifier.period", "max": "0"},
            ]
        },
    }
    (tmp_path / "local.json").write_text(json.dumps(local))
    source = load_definitions([UKCORE, tmp_path / "local.json"])
    sd = source.structure("http://example.org/SD/local-patient")
    assert sd is not None
    els = {e["id"]: e for e in sd["snapshot"]["element"]}
    assert els["Patient.identifier:nhsNumber"]["min"] == 1 and els["Patient.identifier:nhsNumber"]["max"] == "1"
    assert els["Patient.identifier:nhsNumber.system"]["fixedUri"] == "https://fhir.nhs.uk/Id/nhs-number"
    assert els["Patient.identifier:nhsNumber.period"]["max"] == "0"
    assert set(elements(source, "UKCore-Patient")) == set(els)
