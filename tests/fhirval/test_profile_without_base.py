"""A constraining profile with neither a snapshot nor a baseDefinition: HL7's ContextUtilities.generateSnapshot throws
PROFILE___HAS_NO_BASE_AND_NO_SNAPSHOT, the worker context logs it and hands the profile out without a snapshot, and
an instance validated against it gets InstanceValidator.startInner's VALIDATION_VAL_PROFILE_NOSNAPSHOT, an error
(issue 21, fvjpa15; HAPI FhirResourceDaoR4ValidateTest.testGenerateSnapshotOnStructureDefinitionWithNoBase). A base
that is named but not loaded stays what it was: the profile unknown, a warning when claimed."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.source import MemorySource
from conformance.fhirval.validate import validate_resource

URL = "https://conformance.example/sd/baseless"
DIFF = {"element": [{"id": "Observation.value[x]", "path": "Observation.value[x]", "type": [{"code": "string"}]}]}
OBS = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "meta": {"profile": [URL]},
       "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'},
       "valueString": "x"}


def _defects(sd: dict[str, Any], profiles: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    source = LayeredSource([base_source(), MemorySource([sd])])
    resource = OBS if not profiles else {k: v for k, v in OBS.items() if k != "meta"}
    return [(i.severity, i.defect) for i in validate_resource(resource, source, profiles)
            if i.defect in ("profile-no-snapshot", "unknown-profile")]


def test_a_profile_without_base_or_snapshot_gives_the_no_snapshot_error() -> None:
    sd = {"resourceType": "StructureDefinition", "url": URL, "derivation": "constraint", "differential": DIFF}
    assert _defects(sd) == [("error", "profile-no-snapshot")]
    assert _defects({**sd, "type": "Observation", "kind": "resource"}) == [("error", "profile-no-snapshot")]
    assert _defects(sd, (URL,)) == [("error", "profile-no-snapshot")]


def test_a_base_named_but_not_loaded_stays_unknown() -> None:
    sd = {"resourceType": "StructureDefinition", "url": URL, "derivation": "constraint", "type": "Observation",
          "baseDefinition": "https://conformance.example/sd/not-loaded", "differential": DIFF}
    assert _defects(sd) == [("warning", "unknown-profile")]
