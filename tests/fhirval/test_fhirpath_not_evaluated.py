"""Invariants our engine could not evaluate where HL7's validator judges them (``invariant-not-evaluated``, a
latent missed error), found by bench/fhir_invariants_not_evaluated.py on the spec's and the IGs' examples; each
with a synthetic resource the invariant fails on, which went unjudged before."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.invariants import evaluate
from conformance.fhirval.validate import validate_resource


def issues(resource: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(i.severity, i.defect, i.message.split(":")[1].strip() if ":" in i.message else i.message)
            for i in validate_resource(resource, base_source())
            if i.defect in ("invariant", "invariant-not-evaluated") and "dom-6" not in i.message]


# ---- rng-2 on quantities without units (FHIRPathEngine.opLessThan compares ``code`` first) -------------------

OBSERVATION: dict[str, Any] = {"resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "x"},
                               "valueRange": {"low": {"value": 42523949}, "high": {"value": 42533891}}}


def test_a_range_of_bare_numbers_is_judged_by_rng_2() -> None:
    # genomics-reporting's variant positions: no unit, no code; opLessThan compares the values when the two
    # ``code`` children are deep-equal (both absent here); ours raised "cannot compare quantities in None and None"
    assert issues(OBSERVATION) == []
    wrong = copy.deepcopy(OBSERVATION)
    wrong["valueRange"]["low"]["value"] = 42533892
    assert issues(wrong) == [("error", "invariant", "rng-2")]


@pytest.mark.parametrize(("low", "high", "expected"), [
    ({"value": 5, "code": "mg", "system": "http://example.org/units"}, {"value": 3, "code": "mg"}, [False]),
    ({"value": 5, "code": "mg", "system": "http://unitsofmeasure.org"}, {"value": 5000, "code": "mg"}, [True]),
    ({"code": "mg"}, {"value": 3, "code": "mg"}, []),  # a side without a value: empty, as opLessThan on no values
])
def test_same_code_compares_values_whatever_the_system(low: Any, high: Any, expected: list[Any]) -> None:
    r = {"resourceType": "Observation"}
    assert evaluate("low <= high", {"low": low, "high": high}, "Range", r, r) == expected


def test_different_codes_without_ucum_stay_not_evaluated() -> None:
    r = {"resourceType": "Observation"}
    with pytest.raises(ValueError):
        evaluate("low <= high", {"low": {"value": 1, "unit": "mg"}, "high": {"value": 2, "code": "g"}}, "Range", r, r)


# ---- resolve(): ctm-1 and SDC's sdc-t1 (FHIRPathEngine.funcResolve, InstanceValidator.resolveReference) -------

CTM_1 = "onBehalfOf.exists() implies (member.resolve().iif(empty(), true, ofType(Practitioner).exists()))"


def _care_team(member: str) -> dict[str, Any]:
    return {"resourceType": "CareTeam", "id": "c1",
            "contained": [{"resourceType": "Patient", "id": "p"}, {"resourceType": "Practitioner", "id": "d"},
                          {"resourceType": "Organization", "id": "o", "name": "O"}],
            "participant": [{"member": {"reference": member}, "onBehalfOf": {"reference": "#o"}}]}


def test_ctm_1_resolves_contained_members() -> None:
    good, bad = _care_team("#d"), _care_team("#p")
    assert issues(good) == []
    assert issues(bad) == [("error", "invariant", "ctm-1")]  # a contained Patient on behalf of an organisation


def test_resolve_finds_bundle_entries_by_hl7s_fullurl_rules() -> None:
    team = _care_team("Practitioner/x")
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "http://example.org/fhir/CareTeam/c1", "resource": team},
        {"fullUrl": "http://example.org/fhir/Practitioner/x", "resource": {"resourceType": "Practitioner", "id": "x"}}]}
    part = team["participant"][0]
    assert evaluate(CTM_1, part, "CareTeam.participant", team, bundle) == [True]
    bundle["entry"][1] = {"fullUrl": "http://example.org/fhir/Practitioner/x", "resource": {"resourceType": "Patient"}}
    part["member"]["reference"] = "http://example.org/fhir/Practitioner/x"
    assert evaluate(CTM_1, part, "CareTeam.participant", team, bundle) == [False]


def test_a_reference_resolved_elsewhere_stays_not_evaluated() -> None:
    # the IG publisher finds a guide's other examples, the CLI validator fetches: neither is here
    team = _care_team("Practitioner/elsewhere")
    with pytest.raises(ValueError):
        evaluate(CTM_1, team["participant"][0], "CareTeam.participant", team, team)
    found = issues(team)
    assert [(s, d) for s, d, _ in found] == [("information", "invariant-not-evaluated")]


def test_resolve_on_an_unknown_contained_id_is_empty() -> None:
    team = _care_team("#nobody")
    assert evaluate("member.resolve()", team["participant"][0], "CareTeam.participant", team, team) == []
    assert evaluate("member.resolve().is(Practitioner)", {"member": {"reference": "#d"}}, "CareTeam.participant",
                    team, team) == [True]


def test_a_reference_inside_a_contained_resource_finds_its_siblings() -> None:
    # findContainingResource skips contained resources: ``#d`` from a contained resource is the container's
    container = _care_team("#d")
    inner = {"resourceType": "CareTeam", "id": "inner", "participant": [{"member": {"reference": "#d"}}]}
    container["contained"].append(inner)
    assert evaluate("participant.member.resolve().is(Practitioner)", inner, "CareTeam", inner,
                    container) == [True]


def test_hl7s_cs_constant() -> None:
    r = {"resourceType": "Patient"}
    assert evaluate("%`cs-administrative-gender`", r, "Patient", r, r) == ["http://hl7.org/fhir/administrative-gender"]


def test_a_bundle_constraint_resolves_an_entrys_contained_reference() -> None:
    # fhir-test-cases bundle-resolve-deep: a constraint on the Bundle reaching each Observation's ``#device``;
    # findContainingResource walks up from the Reference to the entry's Observation, not to the Bundle
    device = {"resourceType": "Device", "id": "dev"}
    obs = {"resourceType": "Observation", "id": "o", "contained": [device], "device": {"reference": "#dev"}}
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"fullUrl": "http://example.org/Observation/o", "resource": obs}]}
    expression = "entry.resource.ofType(Observation).all(device.resolve().exists())"
    assert evaluate(expression, bundle, "Bundle", bundle, bundle) == [True]
    obs["device"]["reference"] = "#other"
    assert evaluate(expression, bundle, "Bundle", bundle, bundle) == [False]
