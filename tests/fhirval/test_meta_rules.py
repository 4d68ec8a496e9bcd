"""Security labels are a set, as HL7's InstanceValidator (META_RES_SECURITY_DUPLICATE)."""

from __future__ import annotations

from typing import Any

from tests.fhirval.test_agreement_classes import PATIENT, errors

CONF = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


def labelled(*labels: tuple[str, str]) -> dict[str, Any]:
    return PATIENT | {"meta": {"security": [{"system": s, "code": c} for s, c in labels]}}


def test_distinct_labels_are_accepted() -> None:
    assert errors(labelled((CONF, "R"), (ACT, "HIV"), (CONF, "N"))) == []


def test_the_same_label_twice_is_an_error_also_in_a_contained_resource() -> None:
    assert errors(labelled((CONF, "R"), (ACT, "HIV"), (CONF, "R"))) == [
        ("security-duplicate", "Patient.meta.security[2]")]
    contained = labelled((CONF, "R"), (CONF, "R")) | {"id": "p2"}
    outer = PATIENT | {"contained": [contained], "link": [{"other": {"reference": "#p2"}, "type": "seealso"}]}
    assert ("security-duplicate", "Patient.contained[0].meta.security[1]") in errors(outer)
