"""Definition-resource rules audited against HL7's type-specific validators (issue 21, s-fvaud5).

Each test is a small synthetic definition that was judged differently from HL7's validator before the audit:
a false alarm next to one that must still fail, or a missed error next to one that must still pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fhirval.test_agreement_classes import INHERIT, PATIENT_SD, _profile, definitions, errors, found
from tests.fhirval.test_code_system_rules import CS, errors_of, fruit
from tests.fhirval.test_concept_maps import concept_map
from tests.fhirval.test_implementation_guides import TX, codes, guide
from tests.fhirval.test_invariant_keys import _constraint, _keys
from tests.fhirval.test_invariant_keys import _profile as observation_profile
from tests.fhirval.test_structure_definition_rules import URL, profile, snapshot_profile

TOOLS = "http://hl7.org/fhir/tools/StructureDefinition/"


def structure_errors(sd: dict[str, Any], source: Any = None) -> list[str]:
    return [loc for s, d, loc in found(sd, source) if s == "error" and d == "structure-type"]


# ---- StructureDefinitionValidator.validateElementDefinition: snapshot values by id, base loaded ------

def test_a_snapshot_element_without_an_id_is_not_judged_for_its_types() -> None:
    # SD_NO_TYPES_OR_CONTENTREF is guarded by element.getIdBase() (the `id` child), never the path
    with_id = snapshot_profile()
    assert structure_errors(with_id) == ["StructureDefinition.snapshot.element[1]"]
    without_id = snapshot_profile()
    del without_id["snapshot"]["element"][1]["id"]
    assert structure_errors(without_id) == []


def test_snapshot_values_are_judged_only_with_the_base_loaded() -> None:
    # validateElementList runs inside `if (sd != null && base != null)`
    sd = snapshot_profile(type=[{"code": "code"}], patternString="male")
    assert structure_errors(sd) == ["StructureDefinition.snapshot.element[1].patternString"]
    sd["baseDefinition"] = "http://example.org/StructureDefinition/not-loaded"
    assert structure_errors(sd) == []


# ---- checkExtensionContext / hasJsonName: both of HL7's JSON-name extensions ------------------------

def _logical_with_context(name_extension: str | None) -> dict[str, Any]:
    root: dict[str, Any] = {"id": "synthetic", "path": "synthetic"}
    if name_extension is not None:
        root["extension"] = [{"url": name_extension, "valueString": "synthetic"}]
    return {"resourceType": "StructureDefinition", "url": URL, "name": "Synthetic", "status": "draft",
            "kind": "logical", "abstract": False, "type": URL, "derivation": "specialization",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Element",
            "context": [{"type": "element", "expression": "Patient"}], "differential": {"element": [root]}}


def test_a_logical_model_with_either_json_name_extension_keeps_its_context() -> None:
    assert structure_errors(_logical_with_context(TOOLS + "json-name")) == []
    assert structure_errors(_logical_with_context(TOOLS + "elementdefinition-json-name")) == []
    assert structure_errors(_logical_with_context(None)) == ["StructureDefinition.context[0]"]


# ---- validateInheritsObligationProfile: HL7's old (tools) extension URLs too ------------------------

def test_obligations_read_the_tools_urls_as_well(tmp_path: Path) -> None:
    flagged_old = _profile("http://example.org/sd/op-old", PATIENT_SD, False)
    flagged_old["extension"] = [{"url": TOOLS + "obligation-profile", "valueBoolean": True}]
    plain = _profile("http://example.org/sd/op-plain", PATIENT_SD, False)
    source = definitions(tmp_path, flagged_old, plain)
    child = _profile("http://example.org/sd/op-child", PATIENT_SD, False)
    child["extension"] = [{"url": INHERIT, "valueCanonical": flagged_old["url"]}]
    assert [e for e in errors(child, source) if e[0] == "obligation-profile"] == []  # was a false alarm
    child["extension"] = [{"url": TOOLS + "inherit-obligations", "valueCanonical": plain["url"]}]
    assert [e for e in errors(child, source) if e[0] == "obligation-profile"] == [
        ("obligation-profile", "StructureDefinition.extension[0]")]  # was not judged


def test_obligations_are_judged_only_with_the_base_loaded(tmp_path: Path) -> None:
    plain = _profile("http://example.org/sd/op-plain", PATIENT_SD, False)
    source = definitions(tmp_path, plain)
    child = _profile("http://example.org/sd/op-child", "http://example.org/sd/not-loaded", False)
    child["extension"] = [{"url": INHERIT, "valueCanonical": plain["url"]}]
    assert [e for e in errors(child, source) if e[0] == "obligation-profile"] == []


# ---- SearchParameterValidator: SEARCHPARAMETER_BASE_WRONG accepts only a Resource origin ------------

def _derived_from_domain_resource() -> dict[str, Any]:
    return {"resourceType": "SearchParameter", "url": "http://example.test/SearchParameter/text", "name": "Text",
            "status": "active", "description": "synthetic", "code": "text", "type": "string",
            "base": ["Patient"], "derivedFrom": "http://hl7.org/fhir/SearchParameter/DomainResource-text",
            "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">Synthetic</div>'}}


def test_a_derived_search_parameter_on_domain_resource_keeps_its_bases() -> None:
    sp = _derived_from_domain_resource()
    assert ("search-parameter", "SearchParameter") in errors(sp)
    sp["base"] = ["DomainResource"]
    assert [e for e in errors(sp) if e[0] == "search-parameter"] == []


def test_the_profile_helper_still_passes() -> None:
    assert structure_errors(profile()) == []


# ---- CodeSystemValidator: known property URIs, a supplement's caseSensitive and code properties --------

def _cs_errors(resource: dict[str, Any]) -> list[tuple[str, str]]:
    return errors_of(resource)


def _supplement(**changes: Any) -> dict[str, Any]:
    sup = {"resourceType": "CodeSystem", "url": f"{CS}-fr", "status": "active", "content": "supplement",
           "supplements": CS, "concept": [{"code": "pear", "display": "poire"}]}
    sup.update(changes)
    return sup


def test_a_known_property_uri_keeps_its_code_and_type() -> None:
    # CODESYSTEM_PROPERTY_URI_CODE_MISMATCH, _URI_TYPE_MISMATCH (checkPropertyDefinition, KnownProperty)
    status = {"code": "status", "uri": "http://hl7.org/fhir/concept-properties#status", "type": "code"}
    assert _cs_errors(fruit(property=[status])) == []
    renamed = {"code": "lifecycle", "uri": "http://hl7.org/fhir/concept-properties#status", "type": "code"}
    assert _cs_errors(fruit(property=[renamed])) == []  # a code of its own is fine; another known code is not
    assert _cs_errors(fruit(property=[status | {"code": "inactive"}])) == [
        ("code-system-content", "CodeSystem.property[0].code")]
    assert _cs_errors(fruit(property=[status | {"type": "string"}])) == [
        ("code-system-content", "CodeSystem.property[0].type")]


def test_a_supplement_states_no_case_sensitivity() -> None:
    # CODESYSTEM_CS_HL7_PRESENT_ELEMENT_SUPPL (metaChecks: an error whatever the options)
    assert _cs_errors(_supplement()) == []
    assert _cs_errors(_supplement(caseSensitive=True)) == [("code-system-content", "CodeSystem.caseSensitive")]


def test_a_supplements_code_property_names_a_code_of_the_supplemented_system() -> None:
    # checkCodeProperty: INTERNAL_CODE_WARNING (a code-typed property of no known URI) is an error in a supplement
    prop = {"code": "sameAs", "uri": "https://conformance.example/p/same-as", "type": "code"}
    good = _supplement(property=[prop], concept=[{"code": "pear", "property": [{"code": "sameAs",
                                                                               "valueCode": "apple"}]}])
    assert _cs_errors(good) == []
    bad = _supplement(property=[prop], concept=[{"code": "pear", "property": [{"code": "sameAs",
                                                                              "valueCode": "kiwi"}]}])
    assert _cs_errors(bad) == [("code-system-content", "CodeSystem.concept[0].property[0]")]
    # a property bound to a value set (codesystem-property-valueset) is judged by that value set instead
    # (checkCodeProperty's VS branch, CODESYSTEM_PROPERTY_BAD_PROPERTY_CODE): kiwi is in no fruit value set
    bound = dict(prop, extension=[{"url": "http://hl7.org/fhir/StructureDefinition/codesystem-property-valueset",
                                   "valueCanonical": "https://conformance.example/vs/fruit"}])
    assert _cs_errors(_supplement(property=[bound], concept=bad["concept"])) == [
        ("code-system-content", "CodeSystem.concept[0].property[0]")]
    assert _cs_errors(_supplement(property=[bound], concept=good["concept"])) == []


# ---- validateElementDefinitionInvariant / findInvariantInBase: every base structure's keys -------------

def test_a_differential_key_of_another_core_resource_keeps_its_expression() -> None:
    pat1 = "name.exists() or telecom.exists() or address.exists() or organization.exists()"
    assert _keys(observation_profile(_constraint("syn-1", "code.exists()"))) == []
    # pat-1 is Patient's, not Observation's: HL7 finds it among all base structures
    assert _keys(observation_profile(_constraint("pat-1", "code.exists()"))) == [
        ("invariant-key", "StructureDefinition.differential.element[0].constraint[0]")]
    assert _keys(observation_profile(_constraint("pat-1", pat1))) == []


# ---- MeasureValidator.validateMeasureReportGroups / _GroupStratifiers --------------------------------------

M_URL = "http://example.org/Measure/audit"
GROUP_CS = "http://example.org/CodeSystem/measure-groups"


def _measure_source(tmp_path: Path, groups: list[dict[str, Any]]) -> Any:
    return definitions(tmp_path, {"resourceType": "Measure", "url": M_URL, "status": "draft", "group": groups})


def _group(code: str | None, stratifiers: tuple[str, ...] = ()) -> dict[str, Any]:
    group: dict[str, Any] = {}
    if code is not None:
        group["code"] = {"coding": [{"system": GROUP_CS, "code": code}]}
    if stratifiers:
        group["stratifier"] = [{"code": {"coding": [{"system": GROUP_CS, "code": s}]}} for s in stratifiers]
    return group


def _measure_report(groups: list[dict[str, Any]], report_type: str = "summary") -> dict[str, Any]:
    return {"resourceType": "MeasureReport", "status": "complete", "type": report_type, "measure": M_URL,
            "period": {"start": "2020-01-01", "end": "2020-12-31"}, "group": groups}


def _mr_errors(report: dict[str, Any], source: Any) -> list[str]:
    return [loc for d, loc in errors(report, source) if d == "measure-report"]


def test_a_measure_without_groups_leaves_the_reports_groups_alone(tmp_path: Path) -> None:
    source = _measure_source(tmp_path, [])
    assert _mr_errors(_measure_report([_group("a"), _group(None)]), source) == []  # were 2 false alarms


def test_every_measure_group_is_reported_unless_a_data_collection(tmp_path: Path) -> None:
    source = _measure_source(tmp_path, [_group("a"), _group("b")])
    assert _mr_errors(_measure_report([_group("a"), _group("b")]), source) == []
    assert _mr_errors(_measure_report([]), source) == ["MeasureReport", "MeasureReport"]  # was not judged
    assert _mr_errors(_measure_report([_group("a")]), source) == ["MeasureReport"]
    assert _mr_errors(_measure_report([_group("a")], "data-collection"), source) == []  # was a false alarm
    assert _mr_errors(_measure_report([_group("a"), _group("a")]), source) == [
        "MeasureReport.group[1]", "MeasureReport"]  # a group reported twice (MEASURE_MR_GRP_DUPL_CODE)


def test_one_group_each_compares_their_codes(tmp_path: Path) -> None:
    source = _measure_source(tmp_path, [_group("a")])
    assert _mr_errors(_measure_report([_group("a")]), source) == []
    assert _mr_errors(_measure_report([_group(None)]), source) == []  # no code to compare
    assert _mr_errors(_measure_report([_group("b")]), source) == ["MeasureReport.group[0]"]
    unusable = {"code": {"coding": [{"code": "a"}]}}
    assert _mr_errors(_measure_report([unusable]), source) == ["MeasureReport.group[0]"]


def test_one_stratifier_each_is_matched_by_code(tmp_path: Path) -> None:
    source = _measure_source(tmp_path, [_group("a", ("s1",))])
    assert _mr_errors(_measure_report([_group("a", ("s1",))]), source) == []
    assert _mr_errors(_measure_report([_group("a", ("s2",))]), source) == [
        "MeasureReport.group[0].stratifier[0]", "MeasureReport.group[0]"]


# ---- OperationDefinitionValidator.validateOperationDefinition: OPDEF_CIRCULAR_DEFINITION -----------------

def _operation(url: str, base: str | None) -> dict[str, Any]:
    od: dict[str, Any] = {"resourceType": "OperationDefinition", "url": url, "name": "Synthetic", "status": "draft",
                          "kind": "operation", "code": "synthetic", "system": True, "type": False,
                          "instance": False}
    if base is not None:
        od["base"] = base
    return od


def test_an_operation_does_not_derive_from_itself(tmp_path: Path) -> None:
    a, b = "http://example.org/OperationDefinition/a", "http://example.org/OperationDefinition/b"
    # a -> b -> a over the loaded definitions (as HL7: each base is fetched from the context, the instance too)
    source = definitions(tmp_path, _operation(a, b), _operation(b, a))
    assert [e for e in errors(_operation(a, b), source) if e[0] == "operation-profile"] == [
        ("operation-profile", "OperationDefinition.base")]
    assert [e for e in errors(_operation(a, b)) if e[0] == "operation-profile"] == []  # b not loaded: no chain
    (tmp_path / "c").mkdir()
    straight = definitions(tmp_path / "c", _operation(b, None))
    assert [e for e in errors(_operation(a, b), straight) if e[0] == "operation-profile"] == []


# ---- ImplementationGuideValidator.checkDependency: IG_DEPENDENCY_INVALID_PACKAGE_VERSION -------------------

def test_a_dependency_names_a_well_formed_package_version() -> None:
    assert codes(guide(uri=TX, packageId="hl7.terminology.r4", version="7.0.1")) == []
    assert codes(guide(uri=TX, packageId="hl7.terminology.r4", version="current")) == []
    assert codes(guide(uri=TX, packageId="hl7.terminology.r4", version="7.0.1 beta")) == [
        ("implementation-guide", "ImplementationGuide.dependsOn[0]")]
    # judged only when nothing before it failed for the dependency (HL7's `ok &&`): one error, not two
    assert codes(guide(uri="http://terminology.hl7.org", packageId="hl7.terminology.r4", version="7.0.1 beta")) == [
        ("implementation-guide", "ImplementationGuide.dependsOn[0]")]


# ---- Utilities.isAbsoluteUrl for a ValueSet include system and a CodeSystem property uri ----------------

def test_include_systems_and_property_uris_are_absolute_as_hl7_reads_it() -> None:
    vs = {"resourceType": "ValueSet", "url": "http://example.org/ValueSet/audit", "status": "draft",
          "compose": {"include": [{"system": "http://example.org/cs"}]}}
    assert [e for e in errors(vs) if e[0] == "value-set-rule"] == []
    for system in ("HTTP://example.org/cs", "http://example.org/my cs", "Local+Scheme:cs"):
        vs["compose"]["include"][0]["system"] = system
        assert [e for e in errors(vs) if e[0] == "value-set-rule"] == [
            ("value-set-rule", "ValueSet.compose.include[0].system")], system
    sweet = {"code": "sweet", "uri": "HTTPS://conformance.example/p#sweet", "type": "boolean"}
    assert _cs_errors(fruit(property=[sweet])) == [("code-system-content", "CodeSystem.property[0].uri")]


def test_a_report_stratifiers_repeating_code_is_read_by_its_first(tmp_path: Path) -> None:
    # R4's MeasureReport.group.stratifier.code is 0..* (the Measure's is 0..1): HL7 reads the first
    source = _measure_source(tmp_path, [_group("a", ("s1",))])
    report = _measure_report([_group("a", ("s1",))])
    report["group"][0]["stratifier"][0]["code"] = [report["group"][0]["stratifier"][0]["code"]]
    assert _mr_errors(report, source) == []
    (tmp_path / "t").mkdir()
    text_only = _measure_source(tmp_path / "t", [{"stratifier": [{"code": {"text": "ages"}}]}])
    assert _mr_errors(_measure_report([{"stratifier": [{"code": [{"text": "ages"}]}]}]), text_only) == []
    assert _mr_errors(_measure_report([{"stratifier": [{"code": [{"text": "other"}]}]}]), text_only) == [
        "MeasureReport.group[0].stratifier[0]", "MeasureReport.group[0]"]


# ---- SD_PATH_TYPE_MISMATCH: judged in validateElementList, so only with the base loaded --------------------

def test_element_paths_are_judged_against_the_type_only_with_the_base_loaded() -> None:
    sd = profile()
    sd["differential"]["element"].append({"id": "Observation.status", "path": "Observation.status"})
    assert "StructureDefinition.differential.element[1]" in structure_errors(sd)
    sd["baseDefinition"] = "http://example.org/StructureDefinition/not-loaded"
    assert "StructureDefinition.differential.element[1]" not in structure_errors(sd)


def test_a_supplements_count_is_compared_with_the_supplemented_systems() -> None:
    # CODESYSTEM_CS_COUNT_SUPPLEMENT_WRONG: FRUIT states count 3 (apple, bramley, pear)
    three = [{"code": c} for c in ("apple", "bramley", "pear")]
    assert _cs_errors(_supplement(count=3, concept=three)) == []
    assert _cs_errors(_supplement(count=1)) == [("code-system-content", "CodeSystem.count")]


def test_locations_keep_the_report_groups_index(tmp_path: Path) -> None:
    # the second report group (index 1) matches; its stratifier error is located there, not at group[0]
    source = _measure_source(tmp_path, [_group("a", ("s1",)), _group("b")])
    report = _measure_report([_group("x"), _group("a"), _group("b")])
    assert "MeasureReport.group[1]" in _mr_errors(report, source)


def test_a_subject_list_populations_count_is_its_subjects(tmp_path: Path) -> None:
    # MEASURE_MR_GRP_POP_COUNT_MISMATCH (validateMeasureReportGroupPopulation, addToSubjectCount)
    pop = {"code": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/measure-population",
                                "code": "initial-population"}]}}
    source = _measure_source(tmp_path, [{"population": [pop]}])
    subjects = {"resourceType": "List", "id": "subjects", "status": "current", "mode": "snapshot",
                "entry": [{"item": {"reference": "Patient/1"}}, {"item": {"reference": "Patient/2"}}]}

    def report(count: int, ref: str) -> dict[str, Any]:
        mr = _measure_report([{"population": [pop | {"count": count, "subjectResults": {"reference": ref}}]}],
                             "subject-list")
        mr["contained"] = [subjects]
        return mr

    assert _mr_errors(report(2, "#subjects"), source) == []
    assert _mr_errors(report(3, "#subjects"), source) == ["MeasureReport.group[0].population[0]"]
    assert _mr_errors(report(3, "List/elsewhere"), source) == []  # not counted: HL7's hint only


# ---- ConceptMapValidator: codes looked up exactly (CodeSystemUtilities.getCode) ---------------------------

def test_a_concept_map_code_in_another_case_is_not_the_code() -> None:
    # FRUIT does not say caseSensitive: a value set would find 'Apple'; HL7's ConceptMap lookup does not
    cm = concept_map("apple", "final", source=CS)
    assert [e for e in errors_of(cm) if e[0] == "code-unknown"] == []
    cm["group"][0]["element"][0]["code"] = "Apple"
    assert [e for e in errors_of(cm) if e[0] == "code-unknown"] == [
        ("code-unknown", "ConceptMap.group[0].element[0].code")]
