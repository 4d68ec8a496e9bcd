"""The compact base R4 definitions: complete enough for validation, faithful to the spec, fast to open."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.fhirval.base import BASE_ZIP, ZipSource, base_source, base_type_names
from tests.shared_data import SHARED_DATA

ROOT = Path(__file__).resolve().parents[2]


def test_patient_snapshot_keeps_what_validation_needs() -> None:
    sd = base_source().structure("Patient")
    assert sd is not None
    assert sd["url"] == "http://hl7.org/fhir/StructureDefinition/Patient"
    assert sd["kind"] == "resource" and sd["derivation"] == "specialization"
    assert "differential" not in sd and "text" not in sd
    elements = {e["id"]: e for e in sd["snapshot"]["element"]}
    gender = elements["Patient.gender"]
    assert gender["binding"] == {
        "strength": "required",
        "valueSet": "http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1",
    }
    assert gender["type"] == [{"code": "code"}]
    assert gender["isModifier"] is False and "definition" not in gender and "mapping" not in gender
    assert elements["Patient.contact"]["constraint"][-1]["key"] == "pat-1"
    assert elements["Patient.link.other"]["type"][0]["targetProfile"] == [
        "http://hl7.org/fhir/StructureDefinition/Patient",
        "http://hl7.org/fhir/StructureDefinition/RelatedPerson",
    ]
    assert elements["Patient.deceased[x]"]["max"] == "1"
    assert elements["Patient.text"]["type"][0]["code"] == "Narrative"


def test_primitive_regex_and_representation_kept() -> None:
    sd = base_source().structure("date")
    assert sd is not None
    value = sd["snapshot"]["element"][-1]
    assert value["path"] == "date.value" and value["representation"] == ["xmlAttr"]
    extensions = {e["url"].rsplit("/", 1)[1]: e for e in value["type"][0]["extension"]}
    assert extensions["regex"]["valueString"].startswith("([0-9]([0-9]([0-9][1-9]|[1-9]0)")
    assert extensions["structuredefinition-fhir-type"]["valueUrl"] == "date"


def test_value_sets_code_systems_and_versions() -> None:
    source = base_source()
    vs = source.value_set("http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1")
    assert vs is not None and vs["compose"]["include"][0]["system"] == "http://hl7.org/fhir/administrative-gender"
    cs = source.code_system("http://hl7.org/fhir/administrative-gender")
    assert cs is not None and [c["code"] for c in cs["concept"]] == ["male", "female", "other", "unknown"]
    assert cs["content"] == "complete" and cs["caseSensitive"] is True
    # nested concepts survive (v3 ActCode is a hierarchy)
    act = source.code_system("http://terminology.hl7.org/CodeSystem/v3-ActCode")
    assert act is not None and any("concept" in c for c in act["concept"])
    assert source.code_system("http://terminology.hl7.org/CodeSystem/v2-0203") is not None
    assert source.structure("http://hl7.org/fhir/StructureDefinition/vitalsigns") is not None
    ext = source.structure("http://hl7.org/fhir/StructureDefinition/patient-birthPlace")
    assert ext is not None and ext["context"][0]["expression"] == "Patient"
    assert source.structure("NoSuchType") is None and source.value_set("http://example.org/vs") is None


def test_everything_in_the_official_bundles_is_indexed() -> None:
    source = base_source()
    expected: dict[str, set[str]] = {"StructureDefinition": set(), "ValueSet": set(), "CodeSystem": set()}
    for name in (
        "profiles-types.json",
        "profiles-resources.json",
        "profiles-others.json",
        "extension-definitions.json",
        "valuesets.json",
        "v2-tables.json",
        "v3-codesystems.json",
    ):
        path = SHARED_DATA / "fhir-r4" / name
        if not path.exists():
            pytest.skip(f"{path} not available")
        for entry in json.loads(path.read_text())["entry"]:
            kind = entry["resource"]["resourceType"]
            if kind in expected:
                expected[kind].add(entry["resource"]["url"])
    # Medplum's additions to its copy of R4 (not in HL7's package the zip is built from): not indexed.
    medplum = {"ValueSet": {"http://hl7.org/fhir/ValueSet/detectedissue-status"},
               "CodeSystem": {"http://hl7.org/fhir/detectedissue-status"}}
    for kind, urls in expected.items():
        assert urls - medplum.get(kind, set()) <= set(source.urls(kind)), kind
        assert not medplum.get(kind, set()) & set(source.urls(kind)), kind
    assert len(expected["StructureDefinition"]) == 649


def test_type_names_from_the_index() -> None:
    resources = base_type_names("resource")
    assert "Patient" in resources and "Bundle" in resources and "HumanName" not in resources
    assert len(resources) == 147  # 145 concrete resources + Resource + DomainResource
    assert "HumanName" in base_type_names("complex-type")
    assert "dateTime" in base_type_names("primitive-type")
    assert base_source().summary("http://hl7.org/fhir/StructureDefinition/Observation") == {
        "abstract": False,
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/DomainResource",
        "derivation": "specialization",
        "kind": "resource",
        "type": "Observation",
    }


def test_members_are_parsed_lazily_and_cached() -> None:
    source = ZipSource(BASE_ZIP)
    assert source._cache == {}
    first = source.structure("Observation")
    assert len(source._cache) == 1 and source.structure("Observation") is first


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_process_reads_through_its_own_handle() -> None:
    """A pre-fork pool's worker shares the parent's open zip and its file offset: a read in the child moved the
    parent's offset (BadZipFile when both read at once, as bench/fhir_examples_alarms.py --jobs 2 did)."""
    source = ZipSource(BASE_ZIP)
    fd = source._zip.fp.fileno()  # type: ignore[union-attr]
    before = os.lseek(fd, 0, os.SEEK_CUR)
    pid = os.fork()
    if pid == 0:  # the child: read members the parent has not cached, then leave at once
        ok = source.structure("Observation") is not None and source.structure("Patient") is not None
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert os.lseek(fd, 0, os.SEEK_CUR) == before  # the child did not move the parent's offset
    assert source.structure("Observation") is not None


def test_a_fresh_process_opens_the_base_without_the_official_files() -> None:
    """What a cold start does; how long it takes is measured in bench/fhir_validate_throughput.py, not here."""
    code = "from conformance.fhirval.base import base_source; assert base_source().structure('Patient')"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_data_file_is_compact() -> None:
    assert BASE_ZIP.stat().st_size < 4_000_000
