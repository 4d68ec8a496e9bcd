"""What HL7's snapshot generator refuses (no snapshot: an instance gets the no-snapshot error) and what it reports
and goes on past (a problem: the snapshot is kept), snapshot_checks.py; each case fails without its rule."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.snapshot import Refused, apply_differential
from conformance.fhirval.source import MemorySource
from conformance.fhirval.validate import validate_resource

FHIR = "http://hl7.org/fhir/StructureDefinition/"


def make(base: str, *diff: dict[str, Any], url: str = "http://x/SD/p", rtype: str | None = None) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": url, "type": rtype or diff[0]["path"].split(".")[0],
            "derivation": "constraint", "baseDefinition": base if "/" in base else FHIR + base,
            "differential": {"element": [{"id": d.get("id", d["path"]), **d} for d in diff]}}


def problems(sd: dict[str, Any], *extra: dict[str, Any], cautions: bool = False) -> list[str]:
    builder, _ = apply_differential(sd, LayeredSource([base_source(), MemorySource(list(extra))]))
    return [str(p) for p in (builder.cautions if cautions else builder.problems)]


def test_a_type_the_base_element_does_not_allow_is_refused() -> None:
    # ProfileUtilities.checkTypeDerivation (HL7's obs-3, ihe1): a type not among the base's, nor under an abstract one
    with pytest.raises(Refused, match="illegal constrained type ContactPoint"):
        problems(make("Observation", {"path": "Observation.value[x]", "type": [{"code": "ContactPoint"}]}))
    with pytest.raises(Refused, match="illegal constrained type Reference"):
        problems(make("Bundle", {"path": "Bundle.entry.resource", "type": [{"code": "Reference"}]}))
    assert problems(make("Observation", {"path": "Observation.value[x]", "type": [{"code": "Quantity"}]})) == []
    assert problems(make("Bundle", {"path": "Bundle.entry.resource", "type": [{"code": "Patient"}]})) == []  # Resource


def test_a_system_type_is_read_by_its_fhir_type() -> None:
    # Extension.url is System.String whose structuredefinition-fhir-type is uri (getWorkingCode): fixedUri fits it
    ext = {"resourceType": "StructureDefinition", "url": "http://x/ext", "type": "Extension",
           "derivation": "constraint", "baseDefinition": FHIR + "Extension", "differential": {"element": [
               {"id": "Extension.url", "path": "Extension.url", "fixedUri": "http://x/ext"},
               {"id": "Extension.value[x]", "path": "Extension.value[x]", "type": [{"code": "string"}]}]}}
    assert problems(ext) == []


def test_a_target_profile_outside_the_base_targets_is_a_message() -> None:
    # ERROR_AT__THE_TARGET_PROFILE__IS_NOT__VALID_CONSTRAINT_ON_THE_BASE_ (HL7's mi-use-distinct): the snapshot is kept,
    # and ours only cautions (published guides' profiles carry it: zib2020's zib-NutritionAdvice, no word in its qa)
    sd = make("Observation", {"path": "Observation.subject", "type": [
        {"code": "Reference", "targetProfile": [FHIR + "Practitioner"]}]})
    assert problems(sd) == []
    assert len(problems(sd, cautions=True)) == 1
    assert "target profile " + FHIR + "Practitioner is not a valid" in problems(sd, cautions=True)[0]
    ok = make("Observation", {"path": "Observation.subject", "type": [
        {"code": "Reference", "targetProfile": ["http://x/SD/my-patient"]}]})
    patient = {**make("Patient", {"path": "Patient.gender", "min": 1}, url="http://x/SD/my-patient")}
    assert problems(ok, patient) == []  # derives from Patient, one of the base's targets
    versioned = make("http://x/SD/obs", {"path": "Observation.subject", "type": [
        {"code": "Reference", "targetProfile": [FHIR + "Patient"]}]})
    base = make("Observation", {"path": "Observation.subject", "type": [
        {"code": "Reference", "targetProfile": [FHIR + "Patient|4.0.1", FHIR + "Group|4.0.1"]}]}, url="http://x/SD/obs")
    assert problems(versioned, base) == []  # hasTargetProfile: a version of the url matches (AU Base's imaging report)


def _sliced_base(rules: str = "open") -> dict[str, Any]:
    return make("Observation", {"path": "Observation.category", "slicing": {
        "discriminator": [{"type": "pattern", "path": "$this"}], "rules": rules}},
                {"id": "Observation.category:a", "path": "Observation.category", "sliceName": "a"},
                url="http://x/SD/sliced")


def test_slicing_restated_against_the_base_is_refused() -> None:
    # ProfilePathProcessor.processPathWithSlicedBaseDefault: SLICING_RULES_ON_DIFFERENTIAL__DO_NOT_MATCH_THOSE_ON_BASE
    def derived(slicing: dict[str, Any]) -> dict[str, Any]:
        return make("http://x/SD/sliced", {"path": "Observation.category", "slicing": slicing},
                    {"id": "Observation.category:b", "path": "Observation.category", "sliceName": "b"})
    with pytest.raises(Refused, match=r"\(discriminator\) do not match"):
        other = {"discriminator": [{"type": "value", "path": "coding.code"}], "rules": "open"}
        problems(derived(other), _sliced_base())
    with pytest.raises(Refused, match=r"\(rules\) do not match"):
        problems(derived({"rules": "open"}), _sliced_base("closed"))
    with pytest.raises(Refused, match=r"\(ordered\) do not match"):
        problems(derived({"ordered": True}), {**_sliced_base(), "differential": {"element": [
            {**_sliced_base()["differential"]["element"][0], "slicing": {
                "discriminator": [{"type": "pattern", "path": "$this"}], "ordered": False, "rules": "open"}}]}})
    more = {"discriminator": [{"type": "pattern", "path": "$this"}, {"type": "value", "path": "text"}],
            "rules": "closed"}
    assert problems(derived(more), _sliced_base()) == []  # the base's first, more after; open may close


def test_a_required_type_slice_before_another_is_refused() -> None:
    # INVALID_SLICING__THERE_IS_MORE_THAN_ONE_TYPE_SLICE_AT__BUT_ONE_OF_THEM__HAS_MIN__1 (HL7's obs-5)
    def sd(first_min: int, second_min: int) -> dict[str, Any]:
        return make("Observation", {"path": "Observation.value[x]", "slicing": {
            "discriminator": [{"type": "type", "path": "$this"}], "rules": "open"}},
                    {"id": "Observation.value[x]:valueString", "path": "Observation.value[x]",
                     "sliceName": "valueString", "min": first_min, "type": [{"code": "string"}]},
                    {"id": "Observation.value[x]:valueQuantity", "path": "Observation.value[x]",
                     "sliceName": "valueQuantity", "min": second_min, "type": [{"code": "Quantity"}]})
    with pytest.raises(Refused, match="more than one type slice"):
        problems(sd(1, 0))
    problems(sd(0, 1))  # HL7 checks a required slice against the slices after it only


def test_slicing_at_the_root_and_a_base_of_another_type_are_refused() -> None:
    with pytest.raises(Refused, match="slicing at the root"):
        problems(make("Patient", {"path": "Patient", "slicing": {"rules": "open"}}, {"path": "Patient.gender"}))
    with pytest.raises(Refused, match="constrains OperationOutcome"):  # BASE__DERIVED_PROFILES_HAVE_DIFFERENT_TYPES
        problems(make("Parameters", {"path": "Parameters.parameter"}, rtype="OperationOutcome"))


def test_fixed_value_of_another_type_and_must_support_dropped_are_messages() -> None:
    # ProfileUtilities.checkTypeOk (HL7's obs-badfixed, obs-badpattern) and updateFromDefinition (obs-ms-bad)
    assert "the fixed value has type 'uri', which is not valid" in problems(
        make("Observation", {"path": "Observation.value[x]", "fixedUri": "http://x"}))[0]
    assert "the pattern value has type 'uri'" in problems(
        make("Observation", {"path": "Observation.value[x]", "patternUri": "http://x"}))[0]
    assert problems(make("Observation", {"path": "Observation.status", "fixedCode": "final"})) == []
    base = make("Observation", {"path": "Observation.status", "mustSupport": True}, url="http://x/SD/ms")
    assert "must-support = false" in problems(make("http://x/SD/ms", {"path": "Observation.status",
                                                                      "mustSupport": False}), base)[0]


def _source(*sds: dict[str, Any]) -> LayeredSource:
    return LayeredSource([base_source(), MemorySource(list(sds))])


def test_an_instance_against_a_refused_profile_gets_the_no_snapshot_error() -> None:
    """InstanceValidator.startInner: VALIDATION_VAL_PROFILE_NOSNAPSHOT, a rule (error), for a profile HL7's generator
    threw on (ProfileUtilities.generateSnapshot set its snapshot to null); whether claimed or asked for."""
    refused = make("Observation", {"path": "Observation.value[x]", "type": [{"code": "ContactPoint"}]})
    obs = {"resourceType": "Observation", "status": "final", "code": {"text": "x"},
           "meta": {"profile": [refused["url"]]}}
    issues = validate_resource(obs, _source(refused))
    assert [(i.severity, i.location) for i in issues if i.defect == "profile-no-snapshot"] == [("error", "Observation")]
    assert "has no snapshot" in next(i.message for i in issues if i.defect == "profile-no-snapshot")
    asked = validate_resource({k: v for k, v in obs.items() if k != "meta"}, _source(refused), [refused["url"]])
    assert [i.severity for i in asked if i.defect == "profile-no-snapshot"] == ["error"]
    # a profile with messages only is used as generated (HL7 keeps its snapshot): nothing about it on the instance
    messages_only = make("Observation", {"path": "Observation.value[x]", "fixedUri": "http://x"})
    issues = validate_resource({**obs, "meta": {"profile": [messages_only["url"]]}}, _source(messages_only))
    assert not [i for i in issues if i.defect in ("profile-no-snapshot", "unknown-profile")]
    # an unknown profile stays what it was: a warning when claimed
    issues = validate_resource({**obs, "meta": {"profile": ["http://x/SD/none"]}}, _source())
    assert [i.severity for i in issues if i.defect == "unknown-profile"] == ["warning"]


def test_a_refused_type_profile_gets_the_no_snapshot_error() -> None:
    """checkChild: a type profile without a snapshot is VALIDATION_VAL_PROFILE_NOSNAPSHOT too."""
    refused = make("HumanName", {"path": "HumanName", "slicing": {"rules": "open"}}, {"path": "HumanName.family"},
                   url="http://x/SD/name")
    refused["kind"] = "complex-type"
    patient = make("Patient", {"path": "Patient.name", "type": [{"code": "HumanName", "profile": [refused["url"]]}]},
                   url="http://x/SD/pat")
    res = {"resourceType": "Patient", "name": [{"family": "x"}]}
    issues = validate_resource(res, _source(refused, patient), [patient["url"]])
    assert [(i.severity, i.location) for i in issues if i.defect == "profile-no-snapshot"] == [
        ("error", "Patient.name[0]")]


def test_an_invariant_that_does_not_parse_is_an_error_on_the_instance() -> None:
    """InstanceValidator.checkInvariant: fpe.parse throws, PROBLEM_PROCESSING_EXPRESSION__IN_PROFILE__PATH__, a rule
    whatever the invariant's severity (FR Core's fr-core-patient-ins: "Premature ExpressionNode termination at
    unexpected token ')'", an error in its publisher's qa.txt). fhirpathpy's parser drops the trailing ``)``."""
    sd = make("Patient", {"path": "Patient", "constraint": [
        {"key": "p-1", "severity": "warning", "human": "x", "expression": "name.exists())"}]})
    issues = validate_resource({"resourceType": "Patient", "name": [{"family": "x"}]}, _source(sd), [sd["url"]])
    found = [i for i in issues if "p-1" in i.message]
    assert [(i.severity, i.defect, i.location) for i in found] == [("error", "invariant", "Patient")]
    assert "problem processing expression" in found[0].message and sd["url"] in found[0].message


def test_one_id_on_two_differential_elements_is_a_message() -> None:
    """ProfileUtilities.setIds: SAME_ID_ON_MULTIPLE_ELEMENTS__IN_, a message, the snapshot kept (HL7's sushi3)."""
    twice = make("Observation", {"path": "Observation.component", "min": 1},
                 {"path": "Observation.component", "min": 1, "max": "1"})
    assert [p.split(": ", 1)[1] for p in problems(twice)] == [
        "differential element Observation.component: the same id is on more than one differential element "
        "(SAME_ID_ON_MULTIPLE_ELEMENTS)"]


def test_a_differential_element_out_of_the_base_order_is_not_applied() -> None:
    """ProfileUtilities.generateSnapshot: "No match found for ... (including order)", a message; the snapshot is built
    without that element (HL7's t23a). The validator's context sorts a differential first only when the base is a
    constraint (ContextUtilities.generateSnapshot), so a profile on a core resource keeps the order it was given."""
    unsorted = make("Patient", {"path": "Patient.gender", "min": 1}, {"path": "Patient.name", "max": "1"})
    issues = validate_resource({"resourceType": "Patient", "name": [{"family": "x"}]}, _source(unsorted),
                               [unsorted["url"]])
    assert not [i for i in issues if i.is_error]  # gender 1..1 passed over, as HL7's generator passes it over
    two_names = {"resourceType": "Patient", "name": [{"family": "x"}, {"family": "y"}]}
    assert [i.location for i in validate_resource(two_names, _source(unsorted), [unsorted["url"]]) if i.is_error] \
        == ["Patient.name"]  # name's max 1 is applied
