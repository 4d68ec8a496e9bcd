"""False alarms found on published guides taken from the npm registry (fvcorp5): each test a small synthetic
resource that failed before, next to one that must still fail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.fhirval.default_packages import with_defaults
from conformance.fhirval.packages import PackageCache
from conformance.fhirval.validate import validate_resource
from tests.fhirval.test_agreement_classes import definitions

XVER = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Observation.triggeredBy"
PROFILE = "http://example.org/fhir/StructureDefinition/obs-with-xver"


def _profile(type_profile: str) -> dict[str, Any]:
    """An Observation profile with an extension slice whose type profile is ``type_profile`` (as SDC 4.0.0-ballot's
    Questionnaire profiles name R5's ``extension-Questionnaire.versionAlgorithm[x]``)."""
    return {
        "resourceType": "StructureDefinition", "url": PROFILE, "name": "ObsWithXver", "status": "active",
        "kind": "resource", "abstract": False, "type": "Observation", "derivation": "constraint",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation",
        "differential": {"element": [
            {"id": "Observation.extension", "path": "Observation.extension",
             "slicing": {"discriminator": [{"type": "value", "path": "url"}], "rules": "open"}},
            {"id": "Observation.extension:later", "path": "Observation.extension", "sliceName": "later",
             "min": 0, "max": "1", "type": [{"code": "Extension", "profile": [type_profile]}]},
        ]},
    }


def _observation(url: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "meta": {"profile": [PROFILE]}, "status": "final", "code": {"text": "x"},
            "extension": [{"url": url, "valueString": "x"}]}


def _unknown_profile(tmp_path: Path, type_profile: str) -> list[tuple[str, str]]:
    source = definitions(tmp_path, _profile(type_profile))
    return [(i.severity, i.defect) for i in validate_resource(_observation(type_profile), source, ())
            if i.defect == "unknown-profile"]


def test_a_cross_version_type_profile_without_its_generator_is_not_judged(tmp_path: Path) -> None:
    """HL7's validator always loads hl7.fhir.xver-extensions (ValidationEngine.initContext, CommonPackages.ID_XVER)
    and generates such a definition when asked (InstanceValidator.checkExtension -> getXverExt,
    XVerExtensionManagerOld): it never finds it unknown. Without the tables we cannot tell: not checked."""
    assert [s for s, _ in _unknown_profile(tmp_path, XVER)] == ["information"]


def test_an_unknown_type_profile_of_no_version_is_still_an_error(tmp_path: Path) -> None:
    """VALIDATION_VAL_UNKNOWN_PROFILE (InstanceValidator.checkChild) for any other type profile found nowhere."""
    other = "http://example.org/fhir/StructureDefinition/not-loaded-anywhere"
    assert [s for s, _ in _unknown_profile(tmp_path, other)] == ["error"]


def _xver_cache(root: Path) -> Path:
    """A package cache holding a tiny hl7.fhir.xver-extensions#0.1.0 whose 5.0 table has Observation.triggeredBy."""
    folder = root / "hl7.fhir.xver-extensions#0.1.0" / "package"
    (folder / "other").mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps({"name": "hl7.fhir.xver-extensions", "version": "0.1.0"}))
    (folder / "other" / "xver-paths-5.0.json").write_text(json.dumps({
        "Observation.triggeredBy": {"elements": ["type"]}, "Observation.triggeredBy.type": {"types": ["code"]}}))
    return root


def test_the_package_caches_cross_version_tables_are_loaded_by_default(tmp_path: Path) -> None:
    """As ValidationEngine.initContext loads hl7.fhir.xver-extensions: a cross-version extension is then generated
    and judged (here a sub-extension its R5 element does not have), without being asked for with --package."""
    bad = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "extension": [
        {"url": XVER, "extension": [{"url": "type", "valueCode": "manual"}, {"url": "nothing", "valueCode": "x"}]}]}
    judged = validate_resource(bad, with_defaults((), PackageCache(_xver_cache(tmp_path / "cache"))), ())
    assert [i.defect for i in judged if i.is_error] == ["extension-unknown"]
    unjudged = validate_resource(bad, with_defaults((), PackageCache(tmp_path / "empty")), ())
    assert [i.defect for i in unjudged if i.is_error] == []


def test_damaged_cross_version_tables_in_the_cache_are_left_out_not_raised(tmp_path: Path) -> None:
    """review12 #4: a table that is not a JSON object (or not JSON) in the cache's xver package aborted every
    default validation with AttributeError; now the package is left out, as an unreadable default package is."""
    bad = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "extension": [
        {"url": XVER, "extension": [{"url": "nothing", "valueCode": "x"}]}]}
    for n, text in enumerate(("[]", "{not json")):
        root = _xver_cache(tmp_path / f"cache{n}")
        (root / "hl7.fhir.xver-extensions#0.1.0" / "package" / "other" / "xver-paths-5.0.json").write_text(text)
        issues = validate_resource(bad, with_defaults((), PackageCache(root)), ())
        assert [i.defect for i in issues if i.is_error] == []  # unjudged, as with no tables at all
