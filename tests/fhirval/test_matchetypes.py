"""Matchetypes (test patterns) are refused by default (InstanceValidator: RESOURCE_MATCHETYPE_DISALLOWED,
RESOURCE_NOT_MATCHETYPE_EXTENSION; issue 21 rule matrix). Both failed before: nothing was said."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.options import Options
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


def issues(res: dict[str, Any], status: str = "disallowed") -> list[tuple[str, str, str]]:
    return [(i.severity, i.defect, i.location)
            for i in validate_resource(res, base_source(), options=Options(matchetype=status))
            if i.defect not in ("extension-unknown", "invariant")]


def test_a_pattern_value_in_a_matchetype_is_no_value() -> None:
    """InstanceValidator.checkPrimitive: in a matchetype a "$" value is judged by its pattern alone (the type's
    format, a required binding, nothing else); matchetype-pattern-1/-2 gave '$instant$ is not a valid dateTime'."""
    marked = {"resourceType": "Patient", "extension": [{"url": TOOLS + "matchetype", "valueCode": "complete"}],
              "birthDate": "$date$", "gender": "$token$", "active": True,
              "meta": {"lastUpdated": "$instant$", "versionId": "$id$"},
              "name": [{"family": "$string$"}], "implicitRules": "$url$"}
    assert issues(marked, "allowed") == []
    assert issues(marked, "required") == []
    assert issues(marked) == [("error", "matchetype", "Patient")]  # refused, but its values are still patterns


def test_pattern_values_outside_a_matchetype_are_values() -> None:
    plain = {"resourceType": "Patient", "birthDate": "$date$", "meta": {"lastUpdated": "$instant$"}}
    assert sorted(issues(plain, "allowed")) == [("error", "primitive-format", "Patient.birthDate"),
                                                ("error", "primitive-format", "Patient.meta.lastUpdated")]
    # the marker must say partial, complete or true
    off = {**plain, "extension": [{"url": TOOLS + "matchetype", "valueCode": "no"}]}
    assert ("error", "primitive-format", "Patient.birthDate") in issues(off, "allowed")


def test_pattern_names_and_types() -> None:
    """A known pattern on a type it does not suit: RESOURCE_MATCHETYPE_SUSPECT_TYPE, a warning; an unknown one:
    RESOURCE_MATCHETYPE_UNKNOWN_PATTERN, an error; $external:/$choice:/$fragments: pass; the resource's own id is
    still judged as an id (validateResource), and a number's JSON type by the parser."""
    marked = {"resourceType": "Patient", "id": "$id$",
              "extension": [{"url": TOOLS + "matchetype", "valueBoolean": True}],
              "birthDate": "$uuid$", "gender": "$nonsense$", "multipleBirthInteger": "$integer$",
              "name": [{"family": "$choice:a|b$", "given": ["$external:x$", "$$"]}]}
    found = issues(marked, "allowed")
    assert ("warning", "matchetype", "Patient.birthDate") in found
    assert ("error", "matchetype", "Patient.gender") in found
    assert ("error", "json-type", "Patient.multipleBirth.ofType(integer)") in found
    assert any(loc == "Patient.id" and sev == "error" for sev, _, loc in found)
    assert not any(loc.startswith("Patient.name") for _, _, loc in found)


def test_a_required_matchetype_must_be_marked() -> None:
    """MatchetypeStatus.Required (HL7's runner, for a case whose "matchetype" is a JSON primitive): a resource
    without the marker is RESOURCE_MATCHETYPE_REQUIRED."""
    assert issues({"resourceType": "Patient"}, "required") == [("error", "matchetype", "Patient")]
    assert issues({"resourceType": "Patient"}, "allowed") == []
