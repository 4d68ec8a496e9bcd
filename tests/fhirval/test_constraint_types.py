"""A profile's own invariant naming an element its context lacks is HL7's ED_INVARIANT_EXPRESSION_ERROR
(FHIRPathEngine.checkOnTypes: FHIRPATH_UNKNOWN_NAME), on small synthetic profiles beside their mended forms."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fhirval.test_agreement_classes import errors

FHIR = "http://hl7.org/fhir/StructureDefinition/"
URL = "http://example.org/StructureDefinition/syn-patient"


def _profile(expression: str, path: str = "Patient") -> dict[str, Any]:
    constraint = {"key": "syn-1", "severity": "error", "human": "synthetic", "expression": expression}
    root: dict[str, Any] = {"id": "Patient", "path": "Patient", "min": 0, "max": "*",
                            "base": {"path": "Patient", "min": 0, "max": "*"}}
    elements = [root]
    if path == "Patient":
        root["constraint"] = [constraint]
    else:
        elements.append({"id": path, "path": path, "min": 0, "max": "*", "base": {"path": path, "min": 0, "max": "*"},
                         "constraint": [constraint]})
    return {"resourceType": "StructureDefinition", "url": URL, "name": "SynPatient", "status": "draft",
            "kind": "resource", "abstract": False, "type": "Patient", "baseDefinition": FHIR + "Patient",
            "derivation": "constraint", "differential": {"element": [{"id": "Patient", "path": "Patient"}]},
            "snapshot": {"element": elements}}


def _syntax(resource: dict[str, Any]) -> list[tuple[str, str]]:
    return [e for e in errors(resource) if e[0] == "fhirpath-syntax"]


@pytest.mark.parametrize("bad", [
    "telecom[Email].empty()",                                       # an indexer is typed on the outer $this
    "telecom.where(sytem = 'email').exists()",                      # where() on the items
    "name.family.exists() and contact.relation.exists()",          # a backbone's children
    "exists(telecom.valeu)",
    "name.given.contains(family)",                                  # a plain function's argument: on $this
    "deceased.exists() implies deceasedBoolean.exists() and adress.exists()",
])
def test_an_unknown_name_is_an_error(bad: str) -> None:
    where = "StructureDefinition.snapshot.element[0].constraint[0].expression"
    assert _syntax(_profile(bad)) == [("fhirpath-syntax", where)]


@pytest.mark.parametrize("good", [
    "name.given.contains(%resource.name.family.first())",
    "telecom[0].empty() or telecom.where(system = 'email').value.matches('@')",
    "name.family.exists() and contact.relationship.exists()",
    "deceased.exists() implies deceasedBoolean.exists() and address.exists()",
    "Patient.name.exists()",                                 # a type name: not typed here
    "%resource.foo.exists() and $this.gender.exists()",      # constants are not typed here
    "extension('http://x').value.bar.exists()",              # extension(): not typed here
    "deceased.ofType(boolean).exists() and (deceased as dateTime).exists() and deceased is boolean",
    "gender.value.exists() and birthDate.extension.exists()",  # past a primitive: not typed here
    "iif(active, name.given, name.family).exists()",
    "generalPractitioner.resolve().foo.exists()",
    "contact.select(name).family.exists() and contact.all(gender.exists())",
    "(name | contact.name).given.exists()",
    "(Patient | repeat(answer | contact)).exists()",         # repeat's argument: typed with canBeNone in HL7
])
def test_known_or_untyped_names_pass(good: str) -> None:
    assert _syntax(_profile(good)) == []


def test_a_constraint_on_an_inner_element_is_typed_on_it() -> None:
    assert _syntax(_profile("system.exists()", path="Patient.telecom")) == []
    assert _syntax(_profile("systen.exists()", path="Patient.telecom")) != []
    assert _syntax(_profile("relationship.exists()", path="Patient.contact")) == []
    assert _syntax(_profile("relation.exists()", path="Patient.contact")) != []
