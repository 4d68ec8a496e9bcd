"""bench/fhir_profile_mutations.py's mutants on a synthetic profile: each class comes from the snapshot alone, and
what is ambiguous (an element under a sliced ancestor, a slice's discriminator) is never mutated."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.fhirval.scripts import load_script

CORE = "http://hl7.org/fhir/StructureDefinition/"
Json = dict[str, Any]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script("bench/fhir_profile_mutations.py")


def _el(path: str, lo: int, hi: str, base: tuple[int, str], **more: Any) -> Json:
    return {"id": more.pop("id", path), "path": path, "min": lo, "max": hi,
            "base": {"path": path.split(":")[0], "min": base[0], "max": base[1]}, **more}


def _types(*codes: str, targets: tuple[str, ...] = ()) -> list[Json]:
    return [{"code": c, **({"targetProfile": list(targets)} if targets else {})} for c in codes]


BASE = [
    _el("Patient", 0, "*", (0, "*")),
    _el("Patient.identifier", 0, "*", (0, "*"), type=_types("Identifier")),
    _el("Patient.identifier.use", 0, "1", (0, "1"), type=_types("code")),
    _el("Patient.identifier.system", 0, "1", (0, "1"), type=_types("uri")),
    _el("Patient.gender", 0, "1", (0, "1"), type=_types("code"),
        binding={"strength": "required", "valueSet": "http://hl7.org/fhir/ValueSet/administrative-gender|4.0.1"}),
    _el("Patient.birthDate", 0, "1", (0, "1"), type=_types("date")),
    _el("Patient.deceased[x]", 0, "1", (0, "1"), type=_types("boolean", "dateTime")),
    _el("Patient.photo", 0, "*", (0, "*"), type=_types("Attachment")),
    _el("Patient.generalPractitioner", 0, "*", (0, "*"),
        type=_types("Reference", targets=(CORE + "Organization", CORE + "Practitioner"))),
]
PROFILE = [
    BASE[0],
    _el("Patient.identifier", 1, "*", (0, "*"), type=_types("Identifier"),
        slicing={"discriminator": [{"type": "value", "path": "system"}], "rules": "open"}),
    _el("Patient.identifier.use", 1, "1", (0, "1"), type=_types("code")),  # under a sliced ancestor: ambiguous
    _el("Patient.identifier", 1, "1", (0, "*"), id="Patient.identifier:nhs", sliceName="nhs",
        type=_types("Identifier")),
    _el("Patient.identifier.system", 1, "1", (0, "1"), id="Patient.identifier:nhs.system", type=_types("uri"),
        fixedUri="https://nhs.example"),
    _el("Patient.gender", 0, "1", (0, "1"), type=_types("code"),
        binding={"strength": "required", "valueSet": "http://example.org/ValueSet/binary"}),
    _el("Patient.birthDate", 1, "1", (0, "1"), type=_types("date")),
    _el("Patient.deceased[x]", 0, "1", (0, "1"), type=_types("boolean")),
    _el("Patient.photo", 0, "0", (0, "*"), type=_types("Attachment")),
    _el("Patient.generalPractitioner", 0, "*", (0, "*"), type=_types("Reference", targets=(CORE + "Organization",))),
]
PATIENT = {"resourceType": "Patient", "id": "p", "identifier": [{"system": "https://nhs.example", "value": "1"}],
           "gender": "male", "birthDate": "1970-01-01", "deceasedBoolean": False,
           "generalPractitioner": [{"reference": "Organization/o"}]}


def _raw(tmp_path: Path) -> Any:
    import profile_raw

    raw = profile_raw.RawDefinitions(tmp_path, [])
    raw.r4[CORE + "Patient"] = {"url": CORE + "Patient", "snapshot": {"element": BASE}}
    for kind in ("Organization", "Practitioner"):
        raw._add({"resourceType": "StructureDefinition", "url": CORE + kind, "type": kind})
    raw._add({"resourceType": "ValueSet", "url": "http://example.org/ValueSet/binary", "compose": {"include": [
        {"system": "http://hl7.org/fhir/administrative-gender", "concept": [{"code": "male"}, {"code": "female"}]}]}})
    raw._add({"resourceType": "CodeSystem", "url": "http://hl7.org/fhir/administrative-gender", "content": "complete",
              "concept": [{"code": c} for c in ("male", "female", "other", "unknown")]})
    return raw


def test_each_class_from_the_snapshot(bench: ModuleType, tmp_path: Path) -> None:
    import profile_mutants

    sd = {"url": "http://example.org/sd/P", "type": "Patient", "snapshot": {"element": PROFILE}}
    found = {(m.cls, m.element): m.doc for m in profile_mutants.mutants(PATIENT, profile_mutants.Profile(
        sd, _raw(tmp_path)))}
    assert set(found) == {
        ("min-removed", "Patient.birthDate"), ("min-removed", "Patient.identifier"), ("max0-added", "Patient.photo"),
        ("choice-type-removed", "Patient.deceased[x]"), ("binding-required", "Patient.gender"),
        ("reference-target", "Patient.generalPractitioner"), ("slice-min", "Patient.identifier:nhs"),
        ("slice-max", "Patient.identifier:nhs")}
    assert "birthDate" not in found["min-removed", "Patient.birthDate"]
    assert found["max0-added", "Patient.photo"]["photo"] == [{"title": "mutant"}]
    assert found["choice-type-removed", "Patient.deceased[x]"]["deceasedDateTime"] == "2020-01-01"
    assert found["binding-required", "Patient.gender"]["gender"] == "other"  # in the CodeSystem, not the ValueSet
    changed = found["reference-target", "Patient.generalPractitioner"]
    assert changed["generalPractitioner"] == [{"reference": "#mutant-target"}]
    assert changed["contained"][0]["resourceType"] == "Location"
    assert "identifier" not in found["slice-min", "Patient.identifier:nhs"]
    assert len(found["slice-max", "Patient.identifier:nhs"]["identifier"]) == 2


def test_a_bundle_entry_is_mutated_in_place(bench: ModuleType) -> None:
    bundle = {"resourceType": "Bundle", "entry": [{"fullUrl": "urn:uuid:1", "resource": dict(PATIENT)}]}
    copied = bench.put(bundle, ["entry", 0, "resource"], {"resourceType": "Patient", "id": "q"})
    assert copied["entry"][0]["resource"]["id"] == "q" and bundle["entry"][0]["resource"]["id"] == "p"
    assert bench.entries(bundle) == [("urn:uuid:1", "Patient")]
    assert bench.token("Observation.component:x.value[x]") == "value"
