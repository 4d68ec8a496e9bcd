"""False alarms found on guides' committed IG publisher output, sixth batch (issue 21, s-fvqa6), each pinned with a
small synthetic resource that failed before its fix, next to one that must still fail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.fhirval.layered import load_definitions
from conformance.fhirval.packages import PackageCache
from conformance.fhirval.validate import validate_resource
from tests.fhirval.test_agreement_classes import definitions, errors

CORE = "http://hl7.org/fhir/StructureDefinition/"
EX = "http://example.org/sd/"


def _delivery(url: str, element: str) -> dict[str, Any]:
    """A SupplyDelivery profile that requires ``element``."""
    return {"resourceType": "StructureDefinition", "url": EX + url, "name": url, "status": "draft",
            "kind": "resource", "abstract": False, "type": "SupplyDelivery", "derivation": "constraint",
            "baseDefinition": CORE + "SupplyDelivery", "differential": {"element": [
                {"id": "SupplyDelivery", "path": "SupplyDelivery"},
                {"id": f"SupplyDelivery.{element}", "path": f"SupplyDelivery.{element}", "min": 1}]}}


def _bundle_profile(*profiles: str) -> dict[str, Any]:
    """A Bundle profile whose entry.resource may be a SupplyDelivery of any of ``profiles``."""
    return {"resourceType": "StructureDefinition", "url": EX + "Deliveries", "name": "Deliveries",
            "status": "draft", "kind": "resource", "abstract": False, "type": "Bundle", "derivation": "constraint",
            "baseDefinition": CORE + "Bundle", "differential": {"element": [
                {"id": "Bundle", "path": "Bundle"},
                {"id": "Bundle.entry.resource", "path": "Bundle.entry.resource",
                 "type": [{"code": "SupplyDelivery", "profile": [EX + p for p in profiles]}]}]}}


def _bundle(delivery: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "id": "b", "meta": {"profile": [EX + "Deliveries"]}, "type": "collection",
            "entry": [{"fullUrl": "http://example.org/fhir/SupplyDelivery/d",
                       "resource": {"resourceType": "SupplyDelivery", "id": "d", "status": "completed",
                                    **delivery}}]}


def test_an_entry_resource_with_several_profiles_has_to_conform_to_one_of_them(tmp_path: Path) -> None:
    # ANS's tracabilite-dmi 3.0.0 (publisher 2.1.1: "The entry resource matched more than one of the allowed
    # profiles", a hint) lists five SupplyDelivery profiles for Bundle.entry.resource; we held the entry to all
    # five. HL7's validateContains tries each and keeps none of their messages
    # (BUNDLE_BUNDLE_ENTRY_MULTIPLE_PROFILES_NO_MATCH only when none fits)
    source = definitions(tmp_path, _delivery("Line", "partOf"), _delivery("Header", "basedOn"),
                         _bundle_profile("Line", "Header"))
    ref = {"reference": "http://example.org/fhir/SupplyRequest/r"}
    assert errors(_bundle({"partOf": [ref]}), source) == []
    assert errors(_bundle({"basedOn": [ref]}), source) == []
    # one that fits none is still wrong: one error where the entry stands
    assert errors(_bundle({}), source) == [("type-profile", "Bundle.entry[0].resource")]


def _package(tmp_path: Path, name: str, dependency: str, declared: str, uri: str) -> Path:
    """A guide's package folder with one dependency (``dependency`` in package.json, ``declared`` at ``uri`` in its
    ImplementationGuide's dependsOn, at version 5.0.x)."""
    folder = tmp_path / "guide" / "package"
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps({
        "name": name, "version": "1.0.0", "fhirVersions": ["4.0.1"],
        "dependencies": {"hl7.fhir.r4.core": "4.0.1", dependency: "5.0.x"}}))
    (folder / f"ImplementationGuide-{name}.json").write_text(json.dumps({
        "resourceType": "ImplementationGuide", "url": f"http://{name}.test/ImplementationGuide/{name}",
        "packageId": name, "dependsOn": [{"uri": uri, "packageId": declared, "version": "5.0.x"}]}))
    return folder


def _guide(tmp_path: Path) -> Path:
    """A guide that depends on US Core, declared with SUSHI's registry stand-in for its canonical."""
    us_core = "hl7.fhir.us.core"
    folder = _package(tmp_path, "phr", us_core, us_core,
                      f"http://fhir.org/packages/{us_core}/ImplementationGuide/{us_core}")
    report = {"resourceType": "StructureDefinition", "url": "http://phr.test/sd/Report", "name": "Report",
              "status": "draft", "kind": "resource", "abstract": False, "type": "DiagnosticReport",
              "derivation": "constraint", "baseDefinition": CORE + "DiagnosticReport", "differential": {"element": [
                  {"id": "DiagnosticReport", "path": "DiagnosticReport"},
                  {"id": "DiagnosticReport.resultsInterpreter", "path": "DiagnosticReport.resultsInterpreter",
                   "type": [{"code": "Reference", "targetProfile": [
                       "http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitioner"]}]}]}}
    (folder / "StructureDefinition-Report.json").write_text(json.dumps(report))
    return tmp_path / "guide"


def test_a_dependency_declared_by_its_registry_address_is_still_a_missing_dependency(tmp_path: Path) -> None:
    # MHV PHR mapping 0.3.8 (publisher 1.6.16) declares US Core 5.0.x as http://fhir.org/packages/hl7.fhir.us.core/
    # ImplementationGuide/..., SUSHI's stand-in when it does not know the canonical; without US Core here, its
    # contained Practitioners' target profile us-core-practitioner was "unable to resolve", 150 errors
    source = load_definitions([_guide(tmp_path)], cache=PackageCache(tmp_path / "empty-cache"))
    report = {"resourceType": "DiagnosticReport", "id": "r", "meta": {"profile": ["http://phr.test/sd/Report"]},
              "status": "final", "code": {"text": "x"},
              "contained": [{"resourceType": "Practitioner", "id": "pr", "name": [{"family": "X"}]}],
              "resultsInterpreter": [{"reference": "#pr"}]}
    assert errors(report, source) == []
    infos = [i for i in validate_resource(report, source) if i.defect == "unknown-profile"]
    assert [i.severity for i in infos] == ["information"] and "hl7.fhir.us.core#5.0.x" in infos[0].message
    # nor one outside HL7's namespaces: the registry address does not say the canonical (FR Core 1.1.0's is
    # http://interopsante.org/fhir, not HL7's naming), so the dependency may define it
    fr = {**report, "extension": [{"url": "http://interopsante.org/fhir/StructureDefinition/FrOperator",
                                   "valueString": "x"}]}
    assert errors(fr, source) == []
    # a target profile under the guide's own canonical is still unknown: an error
    other = json.loads(json.dumps(report))
    other["meta"]["profile"] = ["http://phr.test/sd/Other"]
    sd = json.loads((tmp_path / "guide/package/StructureDefinition-Report.json").read_text())
    sd["url"], sd["differential"]["element"][1]["type"][0]["targetProfile"] = (
        "http://phr.test/sd/Other", ["http://phr.test/sd/NoSuchPractitioner"])
    (tmp_path / "guide/package/StructureDefinition-Other.json").write_text(json.dumps(sd))
    source = load_definitions([tmp_path / "guide"], cache=PackageCache(tmp_path / "empty-cache"))
    assert ("unknown-profile", "DiagnosticReport.resultsInterpreter[0]") in errors(other, source)


def test_hl7_terminology_not_loaded_at_its_version_leaves_other_extensions_judged(tmp_path: Path) -> None:
    # a guide on HL7's extensions pack 5.3.0, which depends on hl7.terminology.r4 6.5.0 while its ImplementationGuide
    # (R5) declares hl7.terminology.r5: the missing terminology had no canonical, so every extension outside HL7's
    # namespaces was put down to it, not judged (US interstate profiles' https://geojson.org/, "could not be found")
    _package(tmp_path, "ext", "hl7.terminology.r4", "hl7.terminology.r5",
             "http://terminology.hl7.org/ImplementationGuide/hl7.terminology")
    source = load_definitions([tmp_path / "guide"], cache=PackageCache(tmp_path / "empty-cache"))
    location = {"resourceType": "Location", "id": "l", "extension": [{"url": "https://geojson.org/",
                                                                     "valueString": "x"}]}
    assert errors(location, source) == [("extension-unknown", "Location.extension[0]")]
    # what the missing terminology would define is still not judged
    coded = {**location, "extension": [
        {"url": "http://terminology.hl7.org/StructureDefinition/ext-later", "valueString": "x"}]}
    assert errors(coded, source) == []


def test_a_dependency_declared_by_its_build_page_may_define_urls_outside_hl7s_namespaces(tmp_path: Path) -> None:
    # SSASUR's ASV (publisher 1.2.22) declares CL Core 'dev' as https://build.fhir.org/ig/HL7Chile/CL-Core/: no
    # canonical, and HL7's naming (http://hl7.org/fhir/cl/corecl) is not CL Core's https://hl7chile.cl/fhir/ig/...;
    # its Bundle's address extensions were "could not be found" once HL7 Terminology had its canonical
    corecl = "hl7.fhir.cl.corecl"
    _package(tmp_path, "asv", corecl, corecl, "https://build.fhir.org/ig/HL7Chile/CL-Core/")
    source = load_definitions([tmp_path / "guide"], cache=PackageCache(tmp_path / "empty-cache"))
    comuna = {"url": "https://hl7chile.cl/fhir/ig/corecl/StructureDefinition/ComunasCl", "valueString": "x"}
    patient = {"resourceType": "Patient", "id": "p", "address": [{"city": "Osorno", "_city": {"extension": [comuna]}}]}
    assert errors(patient, source) == []
    # the guide's own namespace is still its own: an extension there that it does not define is unknown
    own = {**comuna, "url": "http://asv.test/StructureDefinition/Nothing"}
    assert errors({**patient, "extension": [own]}, source) == [("extension-unknown", "Patient.extension[0]")]
