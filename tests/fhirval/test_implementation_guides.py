"""An ImplementationGuide's dependencies, as HL7's ImplementationGuideValidator (IG_DEPENDENCY_DIRECT,
IG_DEPENDENCY_CAN_VERSION_NONE / _ALONE, IG_DEPENDENCY_INVALID_PACKAGEID)."""

from __future__ import annotations

from typing import Any

from tests.fhirval.test_agreement_classes import errors

TX = "http://terminology.hl7.org/ImplementationGuide/hl7.terminology"


def guide(**dependency: Any) -> dict[str, Any]:
    return {"resourceType": "ImplementationGuide", "url": "http://example.org/ImplementationGuide/synthetic",
            "name": "Synthetic", "status": "draft", "packageId": "example.synthetic", "fhirVersion": ["4.0.1"],
            "dependsOn": [{"id": "d"} | dependency]}


def codes(ig: dict[str, Any]) -> list[tuple[str, str]]:
    return [e for e in errors(ig) if e[0] == "implementation-guide"]


def test_a_dependency_on_a_guide_by_its_canonical_and_package_is_accepted() -> None:
    assert codes(guide(uri=TX, packageId="hl7.terminology.r4", version="7.0.1")) == []
    assert codes(guide(uri=TX + "|7.0.1", packageId="hl7.terminology.r4", version="7.0.1")) == []


def test_a_uri_that_is_not_the_guide_or_a_bad_package_id_is_an_error() -> None:
    assert codes(guide(uri="http://terminology.hl7.org", packageId="hl7.terminology.r4", version="7.0.1")) == [
        ("implementation-guide", "ImplementationGuide.dependsOn[0]")]
    assert codes(guide(uri=TX, packageId="terminology", version="7.0.1")) == [
        ("implementation-guide", "ImplementationGuide.dependsOn[0]")]


def test_a_version_in_the_uri_is_not_empty_and_is_also_the_dependency_version() -> None:
    assert codes(guide(uri=TX + "|", packageId="hl7.terminology.r4", version="7.0.1")) == [
        ("implementation-guide", "ImplementationGuide.dependsOn[0]")]
    assert codes(guide(uri=TX + "|7.0.1", packageId="hl7.terminology.r4")) == [
        ("implementation-guide", "ImplementationGuide.dependsOn[0]")]
