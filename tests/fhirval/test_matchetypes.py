"""Matchetypes (test patterns) are refused by default (InstanceValidator: RESOURCE_MATCHETYPE_DISALLOWED,
RESOURCE_NOT_MATCHETYPE_EXTENSION; issue 21 rule matrix). Both failed before: nothing was said."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.validate import validate_resource

TOOLS = "http://hl7.org/fhir/tools/StructureDefinition/"


def found(res: dict[str, Any]) -> list[tuple[str, str]]:
    return [(i.defect, i.location) for i in validate_resource(res, base_source()) if i.defect == "matchetype"]


def test_a_matchetype_is_refused() -> None:
    marked = {"resourceType": "Patient", "extension": [{"url": TOOLS + "matchetype", "valueCode": "partial"}],
              "_birthDate": {"extension": [{"url": TOOLS + "matchetype-optional", "valueBoolean": True}]}}
    assert found(marked) == [("matchetype", "Patient")]  # the pattern extension is a matchetype's own


def test_pattern_extensions_outside_a_matchetype() -> None:
    plain = {"resourceType": "Patient",
             "_birthDate": {"extension": [{"url": TOOLS + "matchetype-optional", "valueBoolean": True}]},
             "name": [{"extension": [{"url": TOOLS + "matchetype-count", "valueInteger": 1}], "family": "x"}]}
    assert sorted(found(plain)) == [("matchetype", "Patient.birthDate.extension[0]"),
                                    ("matchetype", "Patient.name[0].extension[0]")]  # in the walker's order
    assert found({"resourceType": "Patient", "name": [{"family": "x"}]}) == []


def test_pattern_extension_in_a_contained_matchetype_is_its_own() -> None:
    """Each resource is judged by its own marker: a contained matchetype may use the pattern extensions, its
    container (not a matchetype) may not."""
    inner = {"resourceType": "Basic", "id": "m", "code": {"text": "x"},
             "extension": [{"url": TOOLS + "matchetype", "valueCode": "partial"}],
             "_created": {"extension": [{"url": TOOLS + "matchetype-optional", "valueBoolean": True}]}}
    outer = {"resourceType": "Patient", "contained": [inner],
             "generalPractitioner": [{"reference": "#m"}],
             "_birthDate": {"extension": [{"url": TOOLS + "matchetype-value", "valueString": "$date$"}]}}
    assert sorted(found(outer)) == [("matchetype", "Patient.birthDate.extension[0]"),
                                    ("matchetype", "Patient.contained[0]")]
