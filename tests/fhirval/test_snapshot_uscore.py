"""US Core 5.0.1: regenerate each published snapshot from a differential and compare.

The shared US Core data ships snapshots only (no differential), so the differential is derived:
slices, plus every element whose compared properties (min, max, types with profiles and target
profiles, fixed/pattern, binding, mustSupport, slicing, new constraints) differ from what it would
inherit. The generator then has to rebuild everything else: the other elements, slice children,
datatype expansion, order. Agreement is checked on ids, order, paths and those properties.

Intentional differences: none for the 7 profiles whose base is available. us-core-blood-pressure's
base (us-core-vital-signs) is not in the shared data, so it cannot be regenerated: the test checks
that this is reported as a SnapshotError naming the missing base rather than guessed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.snapshot import SnapshotError, generate_snapshot
from conformance.fhirval.source import MemorySource
from tests.fhirval.snapshot_compare import derive_differential, differences
from tests.shared_data import SHARED_DATA

US_CORE = SHARED_DATA / "uscore-5.0.1" / "structuredefinitions.json"
VITAL_SIGNS = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-vital-signs"


def _profiles() -> list[dict[str, Any]]:
    if not US_CORE.exists():
        pytest.skip(f"{US_CORE} not available")
    profiles: list[dict[str, Any]] = json.loads(US_CORE.read_text())
    return profiles


def _regenerate(sd: dict[str, Any], source: LayeredSource) -> tuple[int, list[dict[str, Any]]]:
    diff = derive_differential(sd, source)
    without = {k: v for k, v in sd.items() if k != "snapshot"} | {"differential": {"element": diff}}
    return len(diff), generate_snapshot(without, source)["snapshot"]["element"]


def test_us_core_snapshots_agree_with_published() -> None:
    profiles = _profiles()
    source = LayeredSource([base_source(), MemorySource(profiles)])
    compared = {}
    for sd in profiles:
        if sd["baseDefinition"] == VITAL_SIGNS:
            continue
        diff_size, generated = _regenerate(sd, source)
        published = sd["snapshot"]["element"]
        assert differences(generated, published) == [], sd["url"]
        assert diff_size < len(published)  # the generator filled in the rest
        compared[sd["id"]] = len(published)
    assert compared == {
        "us-core-patient": 85,
        "us-core-race": 20,
        "us-core-ethnicity": 20,
        "us-core-birthsex": 5,
        "us-core-genderIdentity": 5,
        "us-core-implantable-device": 66,
        "us-core-medicationrequest": 83,
    }


def test_patient_key_elements() -> None:
    profiles = _profiles()
    source = LayeredSource([base_source(), MemorySource(profiles)])
    patient = next(p for p in profiles if p["id"] == "us-core-patient")
    _, generated = _regenerate(patient, source)
    els = {e["id"]: e for e in generated}
    race = els["Patient.extension:race"]
    assert race["type"] == [
        {"code": "Extension", "profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"]}
    ]
    assert els["Patient.identifier.system"]["min"] == 1 and els["Patient.identifier.system"]["mustSupport"] is True
    assert [c["key"] for c in els["Patient"]["constraint"]] == [
        "dom-2",
        "dom-3",
        "dom-4",
        "dom-5",
        "dom-6",
        "us-core-6",
    ]


def test_blood_pressure_without_its_base_is_reported() -> None:
    profiles = _profiles()
    bp = next(p for p in profiles if p["id"] == "us-core-blood-pressure")
    bare = {k: v for k, v in bp.items() if k != "snapshot"} | {"differential": {"element": []}}
    with pytest.raises(SnapshotError, match="us-core-vital-signs is not loaded"):
        generate_snapshot(bare, LayeredSource([base_source(), MemorySource(profiles)]))
