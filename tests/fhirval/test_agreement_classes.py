"""Classes of disagreement with HL7's reference validator fixed for issue 21 (second pass): each with an
instance that breaks the rule and one that keeps it. Synthetic resources; the bench measures the rest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import load_definitions
from conformance.fhirval.source import DefinitionSource
from conformance.fhirval.validate import validate_resource


def found(resource: dict[str, Any], source: DefinitionSource | None = None,
          profiles: tuple[str, ...] = ()) -> list[tuple[str, str, str]]:
    return [(i.severity, i.defect, i.location) for i in validate_resource(resource, source or base_source(), profiles)
            if i.severity != "information" and not (i.severity == "warning" and "dom-6" in i.message)]


def errors(resource: dict[str, Any], source: DefinitionSource | None = None,
           profiles: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [(d, loc) for s, d, loc in found(resource, source, profiles) if s == "error"]


def definitions(tmp_path: Path, *resources: dict[str, Any]) -> DefinitionSource:
    files = []
    for i, res in enumerate(resources):
        path = tmp_path / f"def{i}.json"
        path.write_text(json.dumps(res))
        files.append(path)
    return load_definitions(files)


PATIENT: dict[str, Any] = {"resourceType": "Patient", "id": "p1", "active": True}


# ---- extensions in HL7's core namespace that R4 does not define -----------------------------------

def test_core_namespace_extension_r4_lacks_is_a_warning_naming_the_package() -> None:
    url = "http://hl7.org/fhir/StructureDefinition/patient-synthetic-later-extension"
    res = {**PATIENT, "extension": [{"url": url, "valueString": "x"}]}
    issues = [i for i in validate_resource(res, base_source()) if i.defect == "extension-unknown"]
    assert [(i.severity, i.location) for i in issues] == [("warning", "Patient.extension[0]")]
    assert "hl7.fhir.uv.extensions" in issues[0].message and "--package" in issues[0].message
    assert errors(res) == []


def test_core_namespace_modifier_extension_unknown_stays_an_error() -> None:
    url = "http://hl7.org/fhir/StructureDefinition/patient-synthetic-later-modifier"
    res = {**PATIENT, "modifierExtension": [{"url": url, "valueBoolean": True}]}
    assert errors(res) == [("extension-unknown", "Patient.modifierExtension[0]")]


def test_unknown_extension_outside_the_core_namespace_stays_an_error() -> None:
    res = {**PATIENT, "extension": [{"url": "http://hl7.org/fhir/us/x/StructureDefinition/nothing",
                                     "valueString": "x"}]}
    assert errors(res) == [("extension-unknown", "Patient.extension[0]")]


# ---- inherit-obligations ---------------------------------------------------------------------------

OBLIGATION_PROFILE = "http://hl7.org/fhir/StructureDefinition/obligation-profile"
INHERIT = "http://hl7.org/fhir/StructureDefinition/inherit-obligations"
PATIENT_SD = "http://hl7.org/fhir/StructureDefinition/Patient"


def _profile(url: str, base: str, obligation: bool) -> dict[str, Any]:
    sd: dict[str, Any] = {
        "resourceType": "StructureDefinition", "url": url, "name": url.rsplit("/", 1)[-1].replace("-", ""),
        "status": "draft", "kind": "resource", "abstract": False, "type": "Patient", "baseDefinition": base,
        "derivation": "constraint",
        "differential": {"element": [{"id": "Patient.active", "path": "Patient.active", "mustSupport": True}]}}
    if obligation:
        sd["extension"] = [{"url": OBLIGATION_PROFILE, "valueBoolean": True}]
    return sd


def test_obligations_inherited_only_from_an_obligation_profile_of_the_same_base(tmp_path: Path) -> None:
    base = _profile("http://example.org/sd/op-base", PATIENT_SD, True)
    good = _profile("http://example.org/sd/op-good", base["url"], True)
    plain = _profile("http://example.org/sd/op-plain", base["url"], False)
    other_base = _profile("http://example.org/sd/op-other", PATIENT_SD, True)
    source = definitions(tmp_path, base, good, plain, other_base)
    inheriting = _profile("http://example.org/sd/op-child", base["url"], False)
    inheriting["extension"] = [{"url": INHERIT, "valueCanonical": good["url"]}]
    assert [e for e in errors(inheriting, source) if e[0] == "obligation-profile"] == []
    inheriting["extension"] += [{"url": INHERIT, "valueCanonical": plain["url"]},
                                {"url": INHERIT, "valueCanonical": other_base["url"]}]
    assert [e for e in errors(inheriting, source) if e[0] == "obligation-profile"] == [
        ("obligation-profile", "StructureDefinition.extension[1]"),
        ("obligation-profile", "StructureDefinition.extension[2]")]


# ---- a relative reference whose id is an entry's urn:uuid ------------------------------------------

UUID = "5d9588d8-0000-4b32-8fb7-ad13694e0001"


def _collection(target_type: str) -> dict[str, Any]:
    target: dict[str, Any] = {"resourceType": target_type, "name": [{"family": "Synthetic"}]}
    if target_type == "Organization":
        target["name"] = "Synthetic"
    return {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:54fc3e09-0000-4b74-a8ff-2649ec960002",
         "resource": {"resourceType": "Patient", "generalPractitioner": [{"reference": f"Practitioner/{UUID}"}]}},
        {"fullUrl": f"urn:uuid:{UUID}", "resource": target}]}


def test_relative_reference_to_a_uuid_entry_of_another_type_is_a_wrong_target() -> None:
    assert errors(_collection("Organization")) == [
        ("reference-target", "Bundle.entry[0].resource.generalPractitioner[0]")]


def test_relative_reference_to_a_uuid_entry_of_its_type_is_not_judged_wrong() -> None:
    assert errors(_collection("Practitioner")) == []


# ---- a choice of a type it does not allow is not also missing --------------------------------------

def test_required_choice_of_a_wrong_type_is_one_error_not_two(tmp_path: Path) -> None:
    sd = {"resourceType": "StructureDefinition", "url": "http://example.org/sd/obs-quantity", "name": "ObsQuantity",
          "status": "draft", "kind": "resource", "abstract": False, "type": "Observation",
          "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation", "derivation": "constraint",
          "differential": {"element": [{"id": "Observation.value[x]", "path": "Observation.value[x]", "min": 1,
                                        "type": [{"code": "Quantity"}]}]}}
    source = definitions(tmp_path, sd)
    obs: dict[str, Any] = {"resourceType": "Observation", "status": "final", "code": {"text": "synthetic"}}
    profile = ("http://example.org/sd/obs-quantity",)
    assert errors({**obs, "valueString": "high"}, source, profile) == [("choice-type", "Observation.valueString")]
    assert errors(obs, source, profile) == [("cardinality-min", "Observation")]
    assert errors({**obs, "valueQuantity": {"value": 1}}, source, profile) == []


# ---- narrative-language-control -------------------------------------------------------------------

def _narrative_profile(tmp_path: Path, control: str) -> tuple[DefinitionSource, tuple[str, ...]]:
    url = f"http://example.org/sd/narrative{control.strip('_')}"
    sd = {"resourceType": "StructureDefinition", "url": url, "name": "NarrativeControl", "status": "draft",
          "kind": "resource", "abstract": False, "type": "Patient",
          "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient", "derivation": "constraint",
          "differential": {"element": [{"id": "Patient.text", "path": "Patient.text", "extension": [
              {"url": "http://hl7.org/fhir/StructureDefinition/narrative-language-control", "valueCode": control}]}]}}
    return definitions(tmp_path, sd), (url,)


def _with_narrative(*langs: str, language: str | None = None) -> dict[str, Any]:
    inner = "".join(f'<div lang="{lang}" xml:lang="{lang}">synthetic</div>' for lang in langs) or "synthetic"
    res: dict[str, Any] = {**PATIENT, "text": {"status": "generated",
                                               "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{inner}</div>'}}
    if language:
        res["language"] = language
    return res


def test_language_sections_prohibited(tmp_path: Path) -> None:
    source, profile = _narrative_profile(tmp_path, "_no")
    assert errors(_with_narrative("de", "pt"), source, profile) == [("narrative", "Patient.text")]
    assert errors(_with_narrative(), source, profile) == []


def test_language_sections_required(tmp_path: Path) -> None:
    source, profile = _narrative_profile(tmp_path, "_yes")
    assert errors(_with_narrative(), source, profile) == [("narrative", "Patient.text")]
    assert errors(_with_narrative("de"), source, profile) == []


def test_language_section_for_the_resource_language(tmp_path: Path) -> None:
    source, profile = _narrative_profile(tmp_path, "_resource")
    assert errors(_with_narrative("de", "pt", language="en"), source, profile) == [("narrative", "Patient.text")]
    assert errors(_with_narrative("en", "de", language="en"), source, profile) == []


def test_language_section_for_a_named_language(tmp_path: Path) -> None:
    source, profile = _narrative_profile(tmp_path, "fr")
    assert errors(_with_narrative("de"), source, profile) == [("narrative", "Patient.text")]
    assert errors(_with_narrative("fr"), source, profile) == []


# ---- QuestionnaireResponse enableWhen ----------------------------------------------------------------

Q_URL = "http://example.org/Questionnaire/synthetic-enable-when"


def _questionnaire(tmp_path: Path, **enable: Any) -> DefinitionSource:
    dependent: dict[str, Any] = {"linkId": "dependent", "text": "dependent", "type": "boolean"}
    dependent.update(enable or {"enableWhen": [{"question": "condition", "operator": "=", "answerBoolean": True}]})
    q = {"resourceType": "Questionnaire", "url": Q_URL, "status": "draft", "item": [
        {"linkId": "group", "type": "group", "repeats": True, "item": [
            {"linkId": "condition", "text": "condition", "type": "boolean"}, dependent]}]}
    return definitions(tmp_path, q)


def _response(*groups: tuple[bool, bool | None]) -> dict[str, Any]:
    items = []
    for condition, dependent in groups:
        inner: list[dict[str, Any]] = [{"linkId": "condition", "answer": [{"valueBoolean": condition}]}]
        if dependent is not None:
            inner.append({"linkId": "dependent", "answer": [{"valueBoolean": dependent}]})
        items.append({"linkId": "group", "item": inner})
    return {"resourceType": "QuestionnaireResponse", "questionnaire": Q_URL, "status": "completed", "item": items}


def test_answer_to_an_item_not_enabled_in_its_own_group_instance(tmp_path: Path) -> None:
    source = _questionnaire(tmp_path)
    assert errors(_response((True, False), (False, True), (False, None)), source) == [
        ("questionnaire", "QuestionnaireResponse.item[1].item[1]")]
    assert errors(_response((True, False), (True, True), (False, None)), source) == []


def test_not_equal_with_no_answer_does_not_enable(tmp_path: Path) -> None:
    source = _questionnaire(tmp_path, enableWhen=[{"question": "absent", "operator": "!=", "answerBoolean": True}])
    assert errors(_response((True, False)), source) == [("questionnaire", "QuestionnaireResponse.item[0].item[1]")]


def test_enable_when_expression_extension(tmp_path: Path) -> None:
    expression = "QuestionnaireResponse.descendants().where(linkId='condition').answer.value.ofType(boolean)"
    source = _questionnaire(tmp_path, extension=[
        {"url": "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression",
         "valueExpression": {"language": "text/fhirpath", "expression": expression}}])
    assert errors(_response((False, True)), source) == [("questionnaire", "QuestionnaireResponse.item[0].item[1]")]
    assert errors(_response((True, True)), source) == []


def test_conditions_on_values_of_different_kinds_are_not_judged(tmp_path: Path) -> None:
    source = _questionnaire(tmp_path, enableWhen=[{"question": "condition", "operator": ">", "answerDate": "2020"}])
    assert errors(_response((True, True)), source) == []


def test_response_to_a_questionnaire_not_loaded_is_not_judged() -> None:
    assert errors(_response((False, True))) == []


# ---- MeasureReport against its Measure ---------------------------------------------------------------

M_URL = "http://example.org/Measure/synthetic"
POPULATION = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/measure-population",
                          "code": "initial-population"}]}


def _measure(tmp_path: Path) -> DefinitionSource:
    measure = {"resourceType": "Measure", "url": M_URL, "status": "draft", "group": [{
        "population": [{"code": POPULATION, "criteria": {"language": "text/cql", "expression": "Initial"}}],
        "stratifier": [{"id": "s1", "criteria": {"language": "text/cql", "expression": "A"}},
                       {"id": "s2", "criteria": {"language": "text/cql", "expression": "B"}}]}]}
    return definitions(tmp_path, measure)


def _report(groups: int = 1, stratifiers: int = 0, report_type: str = "summary",
            subjects: bool = False) -> dict[str, Any]:
    population: dict[str, Any] = {"code": POPULATION, "count": 3}
    if subjects:
        population["subjectResults"] = {"reference": "List/synthetic"}
    group: dict[str, Any] = {"population": [population]}
    if stratifiers:
        group["stratifier"] = [{"stratum": [{"value": {"text": "x"}}]} for _ in range(stratifiers)]
    return {"resourceType": "MeasureReport", "status": "complete", "type": report_type, "measure": M_URL,
            "period": {"start": "2020-01-01", "end": "2020-12-31"}, "group": [dict(group) for _ in range(groups)]}


# HL7's validateMeasureReportGroupStratifiers reports each of the Measure group's stratifiers the report lacks,
# with no exemption (s1 and s2 here): the group's own location, once each (fvaud5, against the Java source)
UNREPORTED_STRATIFIERS = [("measure-report", "MeasureReport.group[0]")] * 2


def test_report_groups_and_stratifiers_match_the_measure(tmp_path: Path) -> None:
    source = _measure(tmp_path)
    assert errors(_report(), source) == UNREPORTED_STRATIFIERS
    assert [e for e in errors(_report(groups=2), source)] == [
        ("measure-report", "MeasureReport.group[0]"), ("measure-report", "MeasureReport.group[1]"),
        ("measure-report", "MeasureReport")]
    assert errors(_report(stratifiers=2), source) == [
        ("measure-report", "MeasureReport.group[0].stratifier[0]"),
        ("measure-report", "MeasureReport.group[0].stratifier[1]"),
        ("measure-report", "MeasureReport.group[0]"), ("measure-report", "MeasureReport.group[0]")]


def test_subjects_listed_only_in_a_subject_list(tmp_path: Path) -> None:
    source = _measure(tmp_path)
    assert errors(_report(subjects=True), source) == [*UNREPORTED_STRATIFIERS,
                                                      ("measure-report", "MeasureReport.group[0].population[0]")]
    assert errors(_report(subjects=True, report_type="subject-list"), source) == UNREPORTED_STRATIFIERS


def test_report_on_a_measure_not_loaded_is_not_judged() -> None:
    assert errors(_report(groups=2, subjects=True)) == []


# ---- a StructureDefinition's type and paths -----------------------------------------------------------

def _logical(url: str, rtype: str, base: str, path: str) -> dict[str, Any]:
    derivation = "specialization" if base != "http://hl7.org/fhir/StructureDefinition/Base" else None
    sd: dict[str, Any] = {
        "resourceType": "StructureDefinition", "url": url, "name": url.rsplit("/", 1)[-1], "status": "draft",
        "kind": "logical", "abstract": False, "type": rtype, "baseDefinition": base,
        "differential": {"element": [{"id": path, "path": path, "min": 0, "max": "*"},
                                     {"id": f"{path}.a", "path": f"{path}.a", "min": 0, "max": "1",
                                      "type": [{"code": "string"}]}]}}
    if derivation:
        sd["derivation"] = derivation
    return sd


def test_logical_model_type_and_paths(tmp_path: Path) -> None:
    foo = _logical("http://example.org/sd/Foo", "http://example.org/sd/Foo",
                   "http://hl7.org/fhir/StructureDefinition/Base", "Foo")
    source = definitions(tmp_path, foo)

    def structure_errors(sd: dict[str, Any]) -> list[tuple[str, str]]:
        return [e for e in errors(sd, source) if e[0] == "structure-type"]

    assert structure_errors(_logical("http://example.org/sd/Boo", "http://example.org/sd/Boo", foo["url"], "Boo")) \
        == []
    assert structure_errors(_logical("http://example.org/sd/Boo", "Boo", foo["url"], "Boo")) == [
        ("structure-type", "StructureDefinition.type")]
    assert structure_errors(_logical("http://example.org/sd/Boo", foo["url"], foo["url"], "Boo")) == [
        ("structure-type", "StructureDefinition"),
        ("structure-type", "StructureDefinition.differential.element[0]"),
        ("structure-type", "StructureDefinition.differential.element[1]")]


# ---- a type with several profiles --------------------------------------------------------------------

def _address_profile(url: str, required: str) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": url, "name": url.rsplit("/", 1)[-1].replace("-", ""),
            "status": "draft", "kind": "complex-type", "abstract": False, "type": "Address",
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Address", "derivation": "constraint",
            "differential": {"element": [{"id": f"Address.{required}", "path": f"Address.{required}", "min": 1}]}}


def _patient_addresses(url: str, *profiles: str) -> dict[str, Any]:
    """A Patient profile whose address may meet any one of several Address profiles."""
    return {"resourceType": "StructureDefinition", "url": url, "name": url.rsplit("/", 1)[-1].replace("-", ""),
            "status": "draft", "kind": "resource", "abstract": False,
            "type": "Patient", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
            "derivation": "constraint", "differential": {"element": [
                {"id": "Patient.address", "path": "Patient.address", "type": [
                    {"code": "Address", "profile": list(profiles)}]}]}}


def test_value_meeting_any_one_of_several_type_profiles(tmp_path: Path) -> None:
    with_use = _address_profile("http://example.org/sd/address-use", "use")
    with_type = _address_profile("http://example.org/sd/address-type", "type")
    patient_sd = _patient_addresses("http://example.org/sd/patient-address", with_use["url"], with_type["url"])
    source = definitions(tmp_path, with_use, with_type, patient_sd)
    profile = ("http://example.org/sd/patient-address",)
    assert errors({**PATIENT, "address": [{"type": "postal", "city": "Leeds"}]}, source, profile) == []
    assert errors({**PATIENT, "address": [{"use": "home", "city": "Leeds"}]}, source, profile) == []
    # none met: HL7's validator reports every profile's errors, not only the first's (profile-choice-1: 3 errors)
    assert errors({**PATIENT, "address": [{"city": "Leeds"}]}, source, profile) == [
        ("type-profile", "Patient.address[0]"), ("cardinality-min", "Patient.address[0]"),
        ("cardinality-min", "Patient.address[0]")]


def test_an_invariant_shared_by_two_type_profiles_is_reported_once(tmp_path: Path) -> None:
    """HL7's validator caches an invariant's result per element and expression (inv-checks: 3 errors)."""
    always = {"key": "t1", "severity": "error", "human": "Always fail", "expression": "false"}
    other = {"key": "t2", "severity": "error", "human": "Always fail too", "expression": "1 = 2"}
    one = _address_profile("http://example.org/sd/address-one", "city")
    two = _address_profile("http://example.org/sd/address-two", "city")
    one["differential"]["element"][0]["constraint"] = [always]
    two["differential"]["element"][0]["constraint"] = [always, other]
    patient_sd = _patient_addresses("http://example.org/sd/patient-address2", one["url"], two["url"])
    source = definitions(tmp_path, one, two, patient_sd)
    assert errors({**PATIENT, "address": [{"city": "Leeds"}]}, source, (patient_sd["url"],)) == [
        ("type-profile", "Patient.address[0]"), ("invariant", "Patient.address[0].city"),
        ("invariant", "Patient.address[0].city")]


# ---- memberOf() in an invariant ------------------------------------------------------------------------

def _member_of_profile(tmp_path: Path, value_set: str, with_vs: bool) -> tuple[DefinitionSource, tuple[str, ...]]:
    vs = {"resourceType": "ValueSet", "url": "http://example.org/ValueSet/synthetic-criticality", "status": "draft",
          "compose": {"include": [{"system": "http://example.org/CodeSystem/synthetic", "concept": [
              {"code": "low"}, {"code": "high"}]}]}}
    sd = {"resourceType": "StructureDefinition", "url": "http://example.org/sd/basic-member", "name": "BasicMember",
          "status": "draft", "kind": "resource", "abstract": False, "type": "Basic",
          "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Basic", "derivation": "constraint",
          "differential": {"element": [{"id": "Basic.code", "path": "Basic.code", "constraint": [
              {"key": "syn-1", "severity": "error", "human": "in the value set",
               "expression": f"memberOf('{value_set}')"}]}]}}
    return definitions(tmp_path, *([vs, sd] if with_vs else [sd])), ("http://example.org/sd/basic-member",)


def _basic(code: str) -> dict[str, Any]:
    return {"resourceType": "Basic", "code": {"coding": [{"system": "http://example.org/CodeSystem/synthetic",
                                                          "code": code}]}}


def test_member_of_a_value_set_held_locally(tmp_path: Path) -> None:
    source, profile = _member_of_profile(tmp_path, "http://example.org/ValueSet/synthetic-criticality", True)
    assert errors(_basic("high"), source, profile) == []
    assert errors(_basic("medium"), source, profile) == [("invariant", "Basic.code")]


def test_member_of_a_value_set_not_held_is_not_evaluated(tmp_path: Path) -> None:
    source, profile = _member_of_profile(tmp_path, "http://example.org/ValueSet/not-loaded", False)
    issues = [i for i in validate_resource(_basic("medium"), source, profile) if i.location == "Basic.code"]
    assert [(i.severity, i.defect) for i in issues] == [("information", "invariant-not-evaluated")]


# ---- in-page links in narrative ----------------------------------------------------------------------

def _linked(href: str, *, contained: bool = True, anchor: str = "") -> dict[str, Any]:
    div = f'<div xmlns="http://www.w3.org/1999/xhtml">{anchor}<a href="{href}">see</a></div>'
    res: dict[str, Any] = {"resourceType": "List", "status": "current", "mode": "working",
                           "text": {"status": "generated", "div": div}}
    if contained:
        res["contained"] = [{"resourceType": "Patient", "id": "p1"}]
        res["entry"] = [{"item": {"reference": "#p1"}}]
    return res


def test_narrative_link_to_nothing_does_not_resolve() -> None:
    assert errors(_linked("#section/p1")) == [("narrative", "List.text.div")]


def test_narrative_links_to_contained_resources_anchors_and_ids_resolve() -> None:
    assert errors(_linked("#p1")) == []
    assert errors(_linked("#part2", anchor='<a name="part2"> </a>')) == []
    assert errors(_linked("#part3", anchor='<p id="part3">x</p>')) == []


# ---- a slice defined by an element of another profile (elementdefinition-profile-element) ----------------

LIBRARY = "http://example.org/sd/section-library"
PROFILE_ELEMENT = "http://hl7.org/fhir/StructureDefinition/elementdefinition-profile-element"


def _section_profiles(tmp_path: Path) -> tuple[DefinitionSource, tuple[str, ...]]:
    def code(c: str) -> dict[str, Any]:
        return {"coding": [{"system": "http://example.org/sections", "code": c}]}

    library = {"resourceType": "StructureDefinition", "url": LIBRARY, "name": "SectionLibrary", "status": "draft",
               "kind": "resource", "abstract": False, "type": "Composition",
               "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Composition", "derivation": "constraint",
               "differential": {"element": [
                   {"id": "Composition.section", "path": "Composition.section",
                    "slicing": {"discriminator": [{"type": "pattern", "path": "code"}], "rules": "open"}},
                   {"id": "Composition.section:a", "path": "Composition.section", "sliceName": "a"},
                   {"id": "Composition.section:a.title", "path": "Composition.section.title", "min": 1},
                   {"id": "Composition.section:a.code", "path": "Composition.section.code",
                    "patternCodeableConcept": code("A")}]}}
    structure = {"resourceType": "StructureDefinition", "url": "http://example.org/sd/document-structure",
                 "name": "DocumentStructure", "status": "draft", "kind": "resource", "abstract": False,
                 "type": "Composition", "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Composition",
                 "derivation": "constraint", "differential": {"element": [
                     {"id": "Composition.section", "path": "Composition.section",
                      "slicing": {"discriminator": [{"type": "pattern", "path": "code"}], "rules": "closed"}},
                     {"id": "Composition.section:sectionA", "path": "Composition.section", "sliceName": "sectionA",
                      "min": 1, "type": [{"code": "BackboneElement", "profile": [LIBRARY], "_profile": [
                          {"extension": [{"url": PROFILE_ELEMENT, "valueString": "Composition.section:a"}]}]}]}]}}
    return definitions(tmp_path, library, structure), ("http://example.org/sd/document-structure",)


def _composition(**section: Any) -> dict[str, Any]:
    return {"resourceType": "Composition", "status": "final", "type": {"text": "synthetic"}, "date": "2020-01-01",
            "author": [{"display": "synthetic"}], "title": "synthetic", "section": [
                {"code": {"coding": [{"system": "http://example.org/sections", "code": "A"}]},
                 "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'},
                 **section}]}


def test_slice_defined_by_another_profiles_element(tmp_path: Path) -> None:
    source, profile = _section_profiles(tmp_path)
    assert errors(_composition(title="A"), source, profile) == []
    assert errors(_composition(), source, profile) == [("cardinality-min", "Composition.section[0]")]


def test_extension_with_an_empty_url_is_also_missing_its_url() -> None:
    res = {**PATIENT, "extension": [{"url": "", "valueString": "x"}]}
    assert ("extension-url", "Patient.extension[0]") in errors(res)
    assert ("empty-value", "Patient.extension[0].url") in errors(res)


def slicing_errors(sd: dict[str, Any]) -> list[tuple[str, str]]:
    return [e for e in errors(sd) if e[0] == "structure-slicing"]


def test_discriminator_path_names_an_element_of_the_sliced_element() -> None:
    def profile(path: str) -> dict[str, Any]:
        return {"resourceType": "StructureDefinition", "url": "http://example.org/sd/sliced", "name": "Sliced",
                "status": "draft", "kind": "resource", "abstract": False, "type": "Patient",
                "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient", "derivation": "constraint",
                "differential": {"element": [
                    {"id": "Patient.extension", "path": "Patient.extension",
                     "slicing": {"discriminator": [{"type": "value", "path": path}], "rules": "open"}},
                    {"id": "Patient.identifier", "path": "Patient.identifier",
                     "slicing": {"discriminator": [{"type": "value", "path": "system"},
                                                   {"type": "value", "path": "$this"}], "rules": "open"}}]}}

    assert slicing_errors(profile("url")) == []
    assert slicing_errors(profile("extension('http://example.org/x').value")) == []
    assert slicing_errors(profile("type")) == [
        ("structure-slicing", "StructureDefinition.differential.element[0].slicing.discriminator[0]")]


def test_only_a_repeating_element_or_a_choice_is_sliced() -> None:
    """StructureDefinitionValidator: SD_PATH_NO_SLICING (canSlice: max other than 1, or a choice)."""
    def profile(path: str) -> dict[str, Any]:
        return {"resourceType": "StructureDefinition", "url": "http://example.org/sd/sliced1", "name": "Sliced1",
                "status": "draft", "kind": "resource", "abstract": False, "type": "Observation",
                "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Observation", "derivation": "constraint",
                "differential": {"element": [{"id": path, "path": path, "slicing": {
                    "discriminator": [{"type": "type", "path": "$this"}], "rules": "open"}}]}}

    assert slicing_errors(profile("Observation.category")) == []
    assert slicing_errors(profile("Observation.value[x]")) == []
    assert slicing_errors(profile("Observation.subject")) == [
        ("structure-slicing", "StructureDefinition.differential.element[0].slicing")]


# ---- vital signs: the R4 profile an Observation's code implies ------------------------------------------

def _temperature(*codings: tuple[str, str]) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "vital-signs"}]}],
            "code": {"coding": [{"system": s, "code": c} for s, c in codings]},
            "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2020-06-30T09:50:55Z",
            "valueQuantity": {"value": 36.6, "unit": "Cel", "system": "http://unitsofmeasure.org", "code": "Cel"}}


def test_implied_profile_by_loinc_before_snomed() -> None:
    from conformance.fhirval.vitals import implied_profile

    base = "http://hl7.org/fhir/StructureDefinition/"
    assert implied_profile(_temperature(("http://snomed.info/sct", "276885007"))) == base + "bodytemp"
    assert implied_profile(_temperature(("http://snomed.info/sct", "276885007"),
                                        ("http://loinc.org", "8867-4"))) == base + "heartrate"
    assert implied_profile(_temperature(("http://loinc.org", "1234-5"))) is None


def test_body_temperature_held_to_the_r4_bodytemp_profile() -> None:
    assert errors(_temperature(("http://loinc.org", "8310-5"), ("http://snomed.info/sct", "276885007"))) == []
    assert ("slice-min", "Observation.code") in errors(_temperature(("http://snomed.info/sct", "276885007")))


def test_implied_profile_bindings_are_not_judged() -> None:
    obs = _temperature(("http://loinc.org", "8310-5"))
    obs["component"] = [{"code": {"text": "flow"}, "valueQuantity": {
        "value": 2, "unit": "L/min", "system": "http://unitsofmeasure.org", "code": "L/min"}}]
    assert errors(obs) == []


# ---- what a document's Composition refers to is in the document -------------------------------------------

def _document(subject: str) -> dict[str, Any]:
    div = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">synthetic</div>'}
    composition = {"resourceType": "Composition", "id": "c1", "status": "final", "type": {"text": "synthetic"},
                   "date": "2020-01-01", "title": "synthetic", "subject": {"reference": subject},
                   "author": [{"reference": "Practitioner/pr1"}],
                   "section": [{"title": "s", "text": div, "entry": [{"reference": "Practitioner/pr1"}]}]}
    return {"resourceType": "Bundle", "type": "document", "timestamp": "2020-01-01T00:00:00Z",
            "identifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:0c3151bd-0000-4000-8000-000000000001"},
            "entry": [{"fullUrl": "http://example.org/fhir/Composition/c1", "resource": composition},
                      {"fullUrl": "http://example.org/fhir/Practitioner/pr1",
                       "resource": {"resourceType": "Practitioner", "id": "pr1"}},
                      {"fullUrl": "http://example.org/fhir/Patient/p1", "resource": {"resourceType": "Patient",
                                                                                      "id": "p1"}}]}


def test_composition_references_resolve_in_the_document() -> None:
    assert [e for e in errors(_document("Patient/p1")) if e[0] == "reference-unresolved"] == []
    assert [e for e in errors(_document("Patient/p2")) if e[0] == "reference-unresolved"] == [
        ("reference-unresolved", "Bundle.entry[0].resource.subject")]


# ---- Bundle links ---------------------------------------------------------------------------------------

def _linked_bundle(btype: str, *relations: str) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": btype,
            "link": [{"relation": r, "url": f"http://example.org/fhir/Patient?page={i}"}
                     for i, r in enumerate(relations)],
            "entry": [{"fullUrl": "http://example.org/fhir/Patient/p1", "resource": {"resourceType": "Patient",
                                                                                     "id": "p1"},
                       **({"search": {"mode": "match"}} if btype == "searchset" else {})}]}


def test_paging_links_only_in_search_results() -> None:
    assert errors(_linked_bundle("collection", "next")) == [("bundle-link", "Bundle.link[0].relation")]
    assert errors(_linked_bundle("searchset", "self", "next")) == []


def test_only_self_and_paging_links_are_unique() -> None:
    assert errors(_linked_bundle("collection", "alternate", "alternate")) == []
    assert errors(_linked_bundle("collection", "self", "self")) == [("bundle-duplicate", "Bundle.link[1]")]
    assert errors(_linked_bundle("searchset", "self", "next", "next")) == [("bundle-duplicate", "Bundle.link[2]")]


def test_response_answers_match_their_questions(tmp_path: Path) -> None:
    source = _questionnaire(tmp_path)
    good = _response((True, True))
    assert errors(good, source) == []
    bad = _response((True, True))
    group = bad["item"][0]
    group["answer"] = [{"valueBoolean": True}]  # a group has no answers
    group["item"][0]["text"] = "not the question's text"
    group["item"][0]["answer"].append({"valueBoolean": False})  # condition does not repeat
    group["item"][1]["answer"] = [{"valueString": "yes"}]  # a boolean question
    assert [e for e in errors(bad, source) if e[0] == "questionnaire"] == [
        ("questionnaire", "QuestionnaireResponse.item[0].answer[0]"),
        ("questionnaire", "QuestionnaireResponse.item[0].item[0]"),
        ("questionnaire", "QuestionnaireResponse.item[0].item[0].answer[1]"),
        ("questionnaire", "QuestionnaireResponse.item[0].item[1].answer[0].valueString")]


def test_required_question_present_without_an_answer_in_a_completed_response(tmp_path: Path) -> None:
    # "dependent" is required and enabled while "condition" has no answer
    source = _questionnaire(tmp_path, enableWhen=[{"question": "condition", "operator": "exists",
                                                   "answerBoolean": False}], required=True)
    assert errors(_response((True, None)), source) == []  # "condition" answered: "dependent" is not enabled
    response = _response((True, None))
    response["item"][0]["item"] = [{"linkId": "condition"}, {"linkId": "dependent"}]  # present, no answers
    assert errors(response, source) == [("questionnaire", "QuestionnaireResponse.item[0].item[1]")]
    response["status"] = "in-progress"
    assert errors(response, source) == []


def test_value_set_systems_are_absolute() -> None:
    vs: dict[str, Any] = {"resourceType": "ValueSet", "url": "http://example.org/ValueSet/synthetic", "name": "Syn",
                          "status": "draft", "compose": {"include": [{"system": "http://example.org/cs",
                                                                      "concept": [{"code": "a"}]}]}}
    assert [e for e in errors(vs) if e[0] == "value-set-rule"] == []
    vs["compose"]["exclude"] = [{"system": "#local", "concept": [{"code": "b"}]}]
    # and, as HL7's ValueSetValidator, no contained CodeSystem has the id (VALUESET_INCLUDE_CS_NOT_FOUND, fvov)
    assert [e for e in errors(vs) if e[0] == "value-set-rule"] == [
        ("value-set-rule", "ValueSet.compose.exclude[0].system"), ("value-set-rule", "ValueSet.compose.exclude[0]")]


def test_a_required_element_left_out_also_misses_its_required_slice() -> None:
    # HL7's validator reports both: "Observation.category: minimum required = 1" and "Slice
    # 'Observation.category:VSCat': a matching slice is required, but not found" (fhir-test-cases observation-ucum)
    obs = _temperature(("http://loinc.org", "8310-5"))
    del obs["category"]
    found = errors(obs)
    assert ("cardinality-min", "Observation") in found and ("slice-min", "Observation") in found
