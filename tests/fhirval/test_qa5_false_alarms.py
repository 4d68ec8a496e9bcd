"""False alarms found on guides' committed IG publisher output, fifth batch (issue 21, s-fvqa5), each pinned with a
small synthetic resource that failed before its fix, next to one that must still fail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fhirval.test_agreement_classes import definitions, errors

CORE = "http://hl7.org/fhir/StructureDefinition/"


def _sliced(sd_type: str, element: str, discriminator: str, type_code: str | None = None) -> dict[str, Any]:
    sliced: dict[str, Any] = {"id": f"{sd_type}.{element}", "path": f"{sd_type}.{element}",
                              "slicing": {"discriminator": [{"type": "pattern", "path": discriminator}],
                                          "rules": "open"}}
    if type_code:
        sliced["type"] = [{"code": type_code}]
    return {"resourceType": "StructureDefinition", "url": "http://example.org/sd/P", "name": "P", "status": "draft",
            "kind": "resource", "abstract": False, "type": sd_type, "derivation": "constraint",
            "baseDefinition": CORE + sd_type, "differential": {"element": [
                {"id": sd_type, "path": sd_type}, sliced]}}


def test_a_discriminator_on_contained_may_name_any_resources_element() -> None:
    # DNPM's HistologyReport (publisher 1.2.5, no error) slices DiagnosticReport.contained by pattern on 'code'; HL7
    # types the path on Resource with every descendant type (FHIRPathEngine.getChildTypesByName:
    # addTypeAndDescendents), where Observation.code is found
    assert errors(_sliced("DiagnosticReport", "contained", "code")) == []
    # a backbone element's children are still judged
    assert errors(_sliced("DiagnosticReport", "media", "nonsense")) == [
        ("structure-slicing", "StructureDefinition.differential.element[1].slicing.discriminator[0]")]


def _panel_profile(system: str) -> list[dict[str, Any]]:
    vs = {"resourceType": "ValueSet", "url": "http://example.org/vs/panels", "status": "active",
          "compose": {"include": [{"system": system, "concept": [{"code": "O10-1"}, {"code": "O10-2"}]}]}}
    sd = {"resourceType": "StructureDefinition", "url": "http://example.org/sd/Dev", "name": "Dev", "status": "draft",
          "kind": "resource", "abstract": False, "type": "Device", "derivation": "constraint",
          "baseDefinition": CORE + "Device", "differential": {"element": [
              {"id": "Device", "path": "Device"},
              {"id": "Device.version.type.coding", "path": "Device.version.type.coding",
               "binding": {"strength": "required", "valueSet": "http://example.org/vs/panels"}}]}}
    return [vs, sd]


def _device(system: str) -> dict[str, Any]:
    return {"resourceType": "Device", "id": "d", "meta": {"profile": ["http://example.org/sd/Dev"]},
            "version": [{"type": {"coding": [{"system": system, "code": "O10-0"}]}, "value": "n/a"}]}


def test_a_code_of_a_system_nobody_knows_is_not_known_to_be_outside_a_listing_value_set(tmp_path: Path) -> None:
    # OSIRIS's sequencing devices (publisher 1.2.23: "Unable to check whether code is in value set", a warning):
    # the value set lists O10-1.. of https://github.com/siric-osiris/OSIRIS, a system no CodeSystem defines;
    # HL7's ValueSetValidator.inComponent answers null for an unlisted code of a system no one holds
    own = "https://github.com/siric-osiris/OSIRIS"
    assert errors(_device(own), definitions(tmp_path, *_panel_profile(own))) == []
    # a system HL7's server holds is still judged: LOINC's 'O10-0' is no LOINC code of the list
    loinc = "http://loinc.org"
    (tmp_path / "l").mkdir()
    assert ("code-invalid", "Device.version[0].type.coding[0]") in errors(
        _device(loinc), definitions(tmp_path / "l", *_panel_profile(loinc)))
