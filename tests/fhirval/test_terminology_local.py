"""Local ValueSet expansion as the spec reads compose (terminology.py), judged through the binding checks:
a code we can prove is outside a required value set is an error, a code we cannot judge is information."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.base import base_source
from conformance.fhirval.bindings import check_binding, check_coding, check_quantity
from conformance.fhirval.issues import Sink
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.source import MemorySource
from conformance.fhirval.terminology import Terminology
from conformance.fhirval.validate import validate_resource

CS = "https://conformance.example/cs/fruit"
OTHER = "https://conformance.example/cs/unheld"
UCUM = "http://unitsofmeasure.org"

FRUIT: dict[str, Any] = {
    "resourceType": "CodeSystem", "url": CS, "status": "active", "content": "complete",
    "concept": [{"code": "apple", "concept": [{"code": "bramley"}, {"code": "cox"}]},
                {"code": "pear"}, {"code": "plum"}]}


def vs(url: str, compose: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "ValueSet", "url": url, "status": "active", "compose": compose}


def term(*resources: dict[str, Any]) -> Terminology:
    return Terminology(MemorySource([FRUIT, *resources]), find_package=False)


def judge(t: Terminology, vs_url: str, item: object, type_code: str = "Coding") -> list[tuple[str, str]]:
    sink = Sink()
    check_binding(t, {"strength": "required", "valueSet": vs_url}, type_code, item, "X.code", sink)
    return [(i.severity, i.defect) for i in sink.issues]


def test_include_is_its_system_part_intersected_with_its_imports() -> None:
    apples = vs("urn:vs:apples", {"include": [{"system": CS, "filter": [
        {"property": "concept", "op": "is-a", "value": "apple"}]}]})
    listed = vs("urn:vs:listed", {"include": [{"system": CS, "concept": [{"code": "cox"}, {"code": "pear"}]}]})
    both = vs("urn:vs:both", {"include": [{"system": CS, "valueSet": ["urn:vs:apples"],
                                           "concept": [{"code": "cox"}, {"code": "pear"}]}]})
    t = term(apples, listed, both)
    expansion = t.expand("urn:vs:both")
    assert expansion is not None and expansion.codes[CS] == {"cox"}
    assert judge(t, "urn:vs:both", {"system": CS, "code": "cox"}) == []
    assert judge(t, "urn:vs:both", {"system": CS, "code": "pear"}) == [("error", "code-invalid")]


def test_two_imports_alone_intersect() -> None:
    apples = vs("urn:vs:apples", {"include": [{"system": CS, "filter": [
        {"property": "concept", "op": "descendent-of", "value": "apple"}]}]})
    listed = vs("urn:vs:listed", {"include": [{"system": CS, "concept": [{"code": "cox"}, {"code": "pear"}]}]})
    both = vs("urn:vs:both", {"include": [{"valueSet": ["urn:vs:apples", "urn:vs:listed"]}]})
    expansion = term(apples, listed, both).expand("urn:vs:both|1.0")  # a version on the canonical is ignored
    assert expansion is not None and expansion.codes[CS] == {"cox"}


def test_exclude_takes_codes_away_and_an_unfollowable_exclude_makes_them_uncertain() -> None:
    no_apples = vs("urn:vs:no-apples", {"include": [{"system": CS}], "exclude": [{"system": CS, "filter": [
        {"property": "concept", "op": "is-a", "value": "apple"}]}]})
    fuzzy = vs("urn:vs:fuzzy", {"include": [{"system": CS}], "exclude": [{"system": CS, "filter": [
        {"property": "concept", "op": "regex", "value": "(unclosed"}]}]})
    t = term(no_apples, fuzzy)
    assert judge(t, "urn:vs:no-apples", {"system": CS, "code": "plum"}) == []
    assert judge(t, "urn:vs:no-apples", {"system": CS, "code": "cox"}) == [("error", "code-invalid")]
    # the exclude might or might not remove pear: not judged, and never an error
    assert judge(t, "urn:vs:fuzzy", {"system": CS, "code": "pear"}) == [("information", "code-system-unknown")]
    # a code no part could ever hold is still outside
    assert judge(t, "urn:vs:fuzzy", {"system": CS, "code": "kiwi"}) == [("error", "code-invalid")]


def test_an_unheld_system_is_information_never_an_error() -> None:
    mixed = vs("urn:vs:mixed", {"include": [{"system": OTHER}, {"system": CS, "concept": [{"code": "pear"}]}]})
    t = term(mixed)
    assert judge(t, "urn:vs:mixed", {"system": OTHER, "code": "anything"}) == [("information", "code-system-unknown")]
    assert judge(t, "urn:vs:mixed", {"system": CS, "code": "pear"}) == []
    assert judge(t, "urn:vs:mixed", {"system": CS, "code": "plum"}) == [("error", "code-invalid")]
    assert judge(t, "urn:vs:missing", {"system": CS, "code": "plum"}) == [("information", "value-set-unknown")]


def test_a_fragment_code_system_confirms_its_codes_but_rejects_none() -> None:
    fragment = {"resourceType": "CodeSystem", "url": OTHER, "status": "active", "content": "fragment",
                "concept": [{"code": "known"}]}
    t = Terminology(MemorySource([fragment]), find_package=False)
    assert t.code_in_system(OTHER, "known") is True
    assert t.code_in_system(OTHER, "elsewhere") is None


def test_a_stored_expansion_that_is_one_page_of_more_is_not_complete() -> None:
    page: dict[str, Any] = {"timestamp": "2026-01-01", "total": 40, "contains": [{"system": CS, "code": "pear"}]}
    paged = {"resourceType": "ValueSet", "url": "urn:vs:paged", "status": "active", "expansion": page}
    whole = {**paged, "url": "urn:vs:whole", "expansion": {**page, "total": 1}}
    t = term(paged, whole)
    assert judge(t, "urn:vs:paged", {"system": CS, "code": "plum"}) == [("information", "code-system-unknown")]
    assert judge(t, "urn:vs:whole", {"system": CS, "code": "plum"}) == [("error", "code-invalid")]


def test_ucum_included_whole_is_judged_by_its_grammar() -> None:
    units = vs("urn:vs:units", {"include": [{"system": UCUM}]})
    t = term(units)
    assert judge(t, "urn:vs:units", {"system": UCUM, "code": "mm[Hg]"}, "Quantity") == []
    assert judge(t, "urn:vs:units", {"system": UCUM, "code": "mmHg"}, "Quantity") == [("error", "code-invalid")]


def test_language_tags_and_media_types() -> None:
    langs = vs("urn:vs:langs", {"include": [{"system": "urn:ietf:bcp:47"}]})
    mimes = vs("urn:vs:mimes", {"include": [{"system": "urn:ietf:bcp:13"}]})
    t = term(langs, mimes)
    assert judge(t, "urn:vs:langs", "en-GB", "code") == []
    assert judge(t, "urn:vs:langs", "en_GB", "code") == [("error", "code-invalid")]
    assert judge(t, "urn:vs:mimes", "application/fhir+json; fhirVersion=4.0", "code") == []
    # HL7's validator takes CapabilityStatement.format's shorthand 'json' under this binding: not judged
    assert judge(t, "urn:vs:mimes", "json", "code") == [("information", "code-system-unknown")]


def test_quantity_and_coding_codes_against_their_system() -> None:
    t = term()
    sink = Sink()
    check_quantity(t, {"value": 1, "system": UCUM, "code": "fmm[Hg]"}, "Observation.valueQuantity", sink)
    check_quantity(t, {"value": 1, "system": UCUM, "code": "mm[Hg]"}, "Observation.valueQuantity", sink)
    check_quantity(t, {"value": 1, "system": OTHER, "code": "whatever"}, "Observation.valueQuantity", sink)
    check_coding(t, {"system": CS, "code": "kiwi"}, "Observation.code.coding[0]", sink)
    assert [(i.defect, i.location) for i in sink.issues] == [
        ("code-unknown", "Observation.valueQuantity"), ("code-unknown", "Observation.code.coding[0]")]
    assert "UCUM" in sink.issues[0].message


def test_a_supplement_is_not_a_coding_system() -> None:
    supplement = {"resourceType": "CodeSystem", "url": "https://conformance.example/cs/fruit-fr", "status": "active",
                  "content": "supplement", "supplements": CS, "concept": [{"code": "pear", "display": "poire"}]}
    source = LayeredSource([base_source(), MemorySource([FRUIT, supplement])])
    coding = {"system": supplement["url"], "code": "pear"}
    obs = {"resourceType": "Observation", "status": "final", "code": {"coding": [coding]}}
    assert [(i.defect, i.location) for i in validate_resource(obs, source) if i.is_error] == [
        ("coding-system", "Observation.code.coding[0].system")]
    coding["system"] = CS
    assert [i for i in validate_resource(obs, source) if i.is_error] == []


# ---- CodeSystem and ValueSet resources (terminology_rules.py) ------------------------------------------

def errors_of(resource: dict[str, Any]) -> list[tuple[str, str]]:
    source = LayeredSource([base_source(), MemorySource([FRUIT])])
    return [(i.defect, i.location) for i in validate_resource(resource, source) if i.is_error]


def test_a_supplement_has_supplement_content_and_not_present_lists_nothing() -> None:
    supplement = {"resourceType": "CodeSystem", "url": "https://conformance.example/cs/fruit-fr", "status": "active",
                  "content": "complete", "supplements": CS, "concept": [{"code": "pear", "display": "poire"}]}
    assert errors_of(supplement) == [("code-system-content", "CodeSystem.content")]
    supplement["content"] = "supplement"
    assert errors_of(supplement) == []
    stub = {"resourceType": "CodeSystem", "url": "https://conformance.example/cs/stub", "status": "active",
            "content": "not-present", "concept": [{"code": "x"}]}
    assert errors_of(stub) == [("code-system-content", "CodeSystem.concept[0]")]


def test_a_value_set_lists_only_codes_its_held_system_has() -> None:
    value_set = vs("https://conformance.example/vs/some", {
        "include": [{"system": CS, "concept": [{"code": "pear"}, {"code": "kiwi"}]},
                    {"system": OTHER, "concept": [{"code": "anything"}]},
                    {"system": UCUM, "concept": [{"code": "mm[Hg]"}, {"code": "mmHg"}]}],
        "exclude": [{"system": CS, "version": "2.0", "concept": [{"code": "unknown-in-our-version"}]}]})
    assert errors_of(value_set) == [("code-unknown", "ValueSet.compose.include[0].concept[1]"),
                                    ("code-unknown", "ValueSet.compose.include[2].concept[1]")]


def test_a_wrong_display_is_a_warning_and_designations_count() -> None:
    """Designations count in the language of the validation (ValueSetValidator.isOkLanguage: the resource's
    language, else en-US; one without a language always), case ignored, whitespace not (DISPLAY_NAME_WS_...)."""
    cs = {**FRUIT, "concept": [{"code": "pear", "display": "Pear",
                                "designation": [{"language": "fr", "value": "Poire"}, {"value": "Pear tree"}]}]}
    t = Terminology(MemorySource([cs]), find_package=False)
    sink = Sink()
    for i, (display, language) in enumerate([("pear", None), ("poire", "fr"), ("PEAR TREE", None), ("Apple", None),
                                             ("Poire", None), ("  Poire ", "fr")]):
        check_coding(t, {"system": CS, "code": "pear", "display": display}, f"X.coding[{i}]", sink,
                     language=language)
    assert [(i.severity, i.defect, i.location) for i in sink.issues] == [
        ("warning", "code-display", f"X.coding[{n}].display") for n in (3, 4, 5)]


def test_a_system_not_marked_case_sensitive_has_its_codes_in_any_case() -> None:
    """HL7's ValueSetValidator.findCodeInConcept ignores case unless CodeSystem.caseSensitive is true (absent is
    false): 'APPLE' is found (CODE_CASE_DIFFERENCE, information), never unknown."""
    url = "http://example.org/cs/case"
    for flag, found in ((None, True), (False, True), (True, False)):
        cs = {"resourceType": "CodeSystem", "url": url, "status": "active", "content": "complete",
              "concept": [{"code": "apple"}]} | ({} if flag is None else {"caseSensitive": flag})
        t = Terminology(MemorySource([cs]), find_package=False)
        assert t.code_in_system(url, "apple") is True
        assert t.code_in_system(url, "APPLE") is found
        assert t.code_in_system(url, "pear") is False


def test_a_wrong_display_is_an_error_when_asked_as_hl7s_validator_does_by_default() -> None:
    """HL7's validator reports a wrong display as an error unless -display-issues-are-warnings
    (InstanceValidator: invalid-display is lowered only under settings.isDisplayWarningMode)."""
    cs = {**FRUIT, "concept": [{"code": "pear", "display": "Pear"}]}
    t = Terminology(MemorySource([cs]), find_package=False)
    sink = Sink(display_errors=True)
    check_coding(t, {"system": CS, "code": "pear", "display": "Apple"}, "X", sink)
    check_coding(t, {"system": CS, "code": "pear", "display": "pear"}, "Y", sink)
    assert [(i.severity, i.defect, i.location) for i in sink.issues] == [("error", "code-display", "X.display")]


def test_wrong_displays_reaches_the_whole_walk() -> None:
    patient = {"resourceType": "Patient", "id": "p", "meta": {"tag": [
        {"system": "http://hl7.org/fhir/administrative-gender", "code": "male", "display": "Boy"}]}}
    for wanted in ("warning", "error"):
        issues = validate_resource(patient, base_source(), wrong_displays=wanted)
        assert [(i.severity, i.location) for i in issues if i.defect == "code-display"] == [
            (wanted, "Patient.meta.tag[0].display")]
