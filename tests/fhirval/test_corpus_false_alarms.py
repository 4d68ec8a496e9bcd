"""False alarms found on valid content not tried before (issue 21, s-fvcorp: US Core 9.0.0's source examples,
order-catalog 0.1.0, identity-matching 2.0.0, IPA 1.1.0; bench/fhir_examples_alarms.py --package), each pinned
with a small synthetic resource that failed before its fix, next to one that must still fail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fhirval.test_agreement_classes import definitions, errors, found

CORE = "http://hl7.org/fhir/StructureDefinition/"
PROV = "http://example.org/sd/Prov"
PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"


def _agent_profile(transmitter: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": PROV, "name": "Prov", "status": "draft",
            "kind": "resource", "abstract": False, "type": "Provenance", "derivation": "constraint",
            "baseDefinition": CORE + "Provenance", "differential": {"element": [
                {"id": "Provenance", "path": "Provenance"},
                {"id": "Provenance.agent", "path": "Provenance.agent",
                 "slicing": {"discriminator": [{"type": "value", "path": "type"}], "rules": "open"}},
                {"id": "Provenance.agent:author", "path": "Provenance.agent", "sliceName": "author", "max": "*"},
                {"id": "Provenance.agent:author.type", "path": "Provenance.agent.type", "min": 1,
                 "patternCodeableConcept": {"coding": [{"system": PARTICIPANT, "code": "author"}]}},
                {"id": "Provenance.agent:transmitter", "path": "Provenance.agent", "sliceName": "transmitter",
                 **transmitter},
                {"id": "Provenance.agent:transmitter.type", "path": "Provenance.agent.type", "min": 1,
                 "patternCodeableConcept": {"coding": [{"system": PARTICIPANT, "code": "transmitter"}]}}]}}


PROVENANCE: dict[str, Any] = {
    "resourceType": "Provenance", "id": "pv", "meta": {"profile": [PROV]}, "target": [{"reference": "Patient/p"}],
    "recorded": "2020-01-01T00:00:00Z",
    "agent": [{"type": {"coding": [{"system": PARTICIPANT, "code": "author"}]}, "who": {"reference": "Patient/p"}}]}


def test_open_slice_without_min_in_its_differential_is_optional(tmp_path: Path) -> None:
    # US Core 9.0.0's Provenance.agent:ProvenanceTransmitter states no min: HL7's ProfilePathProcessor gives a
    # new slice of open slicing min 0 ("only mandatory if it's explicitly marked so"), not Provenance.agent's 1
    assert errors(PROVENANCE, definitions(tmp_path, _agent_profile({}))) == []
    required = definitions(tmp_path, _agent_profile({"min": 1}))
    assert errors(PROVENANCE, required) == [("slice-min", "Provenance")]


def test_base64binary_has_no_one_megabyte_limit() -> None:
    # US Core 9.0.0's DocumentReference-polst carries a 1.3 MB PDF: R4 limits strings to 1 MB, not bytes
    # (HL7's InstanceValidator checks base64Binary's size only against a profile's maxSize)
    big = "QUJD" * 300_000  # 1,200,000 characters
    ref: dict[str, Any] = {"resourceType": "DocumentReference", "id": "d", "status": "current",
                           "content": [{"attachment": {"contentType": "application/pdf", "data": big}}]}
    assert errors(ref) == []
    ref["description"] = "x" * 1_048_577  # a string past 1 MB still fails
    assert errors(ref) == [("too-long", "DocumentReference.description")]


def test_element_id_met_again_by_a_profile_walk_is_no_duplicate(tmp_path: Path) -> None:
    # DEQM's MeasureReports (group.population.id 'numerator', meta.profile): the profile's walk met each element
    # the base walk had met and called its id a duplicate; HL7 reports DUPLICATE_ID only for another element
    profile = {"resourceType": "StructureDefinition", "url": "http://example.org/sd/P", "name": "P",
               "status": "draft", "kind": "resource", "abstract": False, "type": "Patient",
               "derivation": "constraint", "baseDefinition": CORE + "Patient", "differential": {"element": [
                   {"id": "Patient", "path": "Patient"}, {"id": "Patient.name", "path": "Patient.name", "min": 1}]}}
    source = definitions(tmp_path, profile)
    patient: dict[str, Any] = {"resourceType": "Patient", "id": "p", "meta": {"profile": ["http://example.org/sd/P"]},
                               "name": [{"id": "n1", "family": "A"}]}
    assert errors(patient, source) == []
    patient["name"].append({"id": "n1", "family": "B"})  # two elements with one id: still a duplicate
    assert set(errors(patient, source)) == {("duplicate-id", "Patient.name[1]")}


def test_differential_element_applies_by_its_path_when_its_id_strays(tmp_path: Path) -> None:
    # DEQM's careGapRemark writes Extension.extension:authorOrganization.value{x} for the path Extension.extension
    # .value[x]; HL7's generator matches by path under the active slice and regenerates ids, so the extension loads
    url = "http://example.org/sd/remark"
    ext = {"resourceType": "StructureDefinition", "url": url, "name": "Remark", "status": "draft",
           "kind": "complex-type", "abstract": False, "type": "Extension", "derivation": "constraint",
           "context": [{"type": "element", "expression": "Patient"}], "baseDefinition": CORE + "Extension",
           "differential": {"element": [
               {"id": "Extension", "path": "Extension"},
               {"id": "Extension.extension:org", "path": "Extension.extension", "sliceName": "org"},
               {"id": "Extension.extension:org.url", "path": "Extension.extension.url", "fixedUri": "org"},
               {"id": "Extension.extension:org.value{x}", "path": "Extension.extension.value[x]",
                "type": [{"code": "string"}]},
               {"id": "Extension.url", "path": "Extension.url", "fixedUri": url},
               {"id": "Extension.value[x]", "path": "Extension.value[x]", "max": "0"}]}}
    source = definitions(tmp_path, ext)
    patient: dict[str, Any] = {"resourceType": "Patient", "id": "p", "extension": [
        {"url": url, "extension": [{"url": "org", "valueString": "A"}]}]}
    assert list(found(patient, source)) == []  # was: the extension unknown (its snapshot failed on the stray id)
    patient["extension"][0]["extension"][0] = {"url": "org", "valueBoolean": True}  # the slice's type still holds
    assert errors(patient, source) != []


def test_value_of_a_primitive_in_an_invariant_is_its_value(tmp_path: Path) -> None:
    # DEQM's ra-3 on a Parameters part's valueString: value.startsWith('MeasureReport.group.where(id='); HL7's
    # engine answers a primitive's ``value`` with its value (elementmodel.Element.getProperty), fhirpathpy with none
    profile = {"resourceType": "StructureDefinition", "url": "http://example.org/sd/F", "name": "F",
               "status": "draft", "kind": "resource", "abstract": False, "type": "Patient",
               "derivation": "constraint", "baseDefinition": CORE + "Patient", "differential": {"element": [
                   {"id": "Patient", "path": "Patient"},
                   {"id": "Patient.name.family", "path": "Patient.name.family", "constraint": [
                       {"key": "fam-1", "severity": "error", "human": "starts with A",
                        "expression": "value.startsWith('A')"}]}]}}
    source = definitions(tmp_path, profile)
    patient: dict[str, Any] = {"resourceType": "Patient", "id": "p", "meta": {"profile": ["http://example.org/sd/F"]},
                               "name": [{"family": "Alpha"}]}
    assert errors(patient, source) == []
    patient["name"][0]["family"] = "Beta"
    assert errors(patient, source) == [("invariant", "Patient.name[0].family")]


def test_shadow_array_shorter_than_its_values_reads_the_rest_as_plain() -> None:
    # US Core 9.0.0's medicationdispense: six targetProfile, five _targetProfile. HL7's JsonParser reads a position
    # past the shorter array's end as null (arrI) and reports only a position null in both arrays
    given: dict[str, Any] = {"resourceType": "Patient", "id": "p",
                             "name": [{"given": ["B", "C"], "_given": [{"id": "g1"}]}]}
    assert errors(given) == []
    given["name"][0]["_given"] = [{"id": "g1"}, {"id": "g1"}]  # the shadows still walked: a duplicate id
    assert errors(given) == [("duplicate-id", "Patient.name[0].given[1]")]
