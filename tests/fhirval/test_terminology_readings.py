"""ValueSetValidator's own readings (terminology_readings.py), each on a small synthetic value that HL7's source
judges otherwise than a plain expansion lookup did: a CodeableConcept's coding without a system, displays in a
language, v2-0203's NNxxx codes. Each failed on main 466c884."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.fhirval.bindings import check_binding
from conformance.fhirval.issues import Sink
from conformance.fhirval.source import MemorySource
from conformance.fhirval.terminology import Terminology

CS = "https://conformance.example/cs/fruit"
VEG = "https://conformance.example/cs/veg"
FRUIT: dict[str, Any] = {"resourceType": "CodeSystem", "url": CS, "status": "active", "content": "complete",
                         "concept": [{"code": "apple"}, {"code": "pear"}]}
VEGETABLES: dict[str, Any] = {"resourceType": "CodeSystem", "url": VEG, "status": "active", "content": "complete",
                              "concept": [{"code": "leek"}]}


def _vs(url: str, compose: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "ValueSet", "url": url, "status": "active", "compose": compose}


VALUE_SETS = [
    _vs("urn:vs:one-listed", {"include": [{"system": CS, "concept": [{"code": "apple"}]}]}),
    _vs("urn:vs:two", {"include": [{"system": CS, "concept": [{"code": "apple"}]}, {"system": VEG}]}),
    _vs("urn:vs:whole", {"include": [{"system": CS}]}),
    _vs("urn:vs:imports", {"include": [{"valueSet": ["urn:vs:one-listed"]}]}),
    _vs("urn:vs:excluded", {"include": [{"valueSet": ["urn:vs:one-listed"]}],
                            "exclude": [{"system": CS, "concept": [{"code": "apple"}]}]}),
    _vs("urn:vs:unknown-import", {"include": [{"valueSet": ["urn:vs:not-held"]}]}),
]


def _required(vs_url: str, coding: dict[str, Any]) -> list[tuple[str, str]]:
    sink = Sink()
    t = Terminology(MemorySource([FRUIT, VEGETABLES, *VALUE_SETS]), find_package=False)
    check_binding(t, {"strength": "required", "valueSet": vs_url}, "CodeableConcept", {"coding": [coding]}, "X.code",
                  sink)
    return [(i.severity, i.defect) for i in sink.issues if i.severity != "warning"]


@pytest.mark.parametrize(("vs_url", "code", "expected"), [
    # inComponent: ``only && system == null`` accepts a code the only include lists (an error before)
    ("urn:vs:one-listed", "apple", []),
    ("urn:vs:imports", "apple", []),
    # still outside: a code the only include does not list, two includes, a whole system, an exclude
    ("urn:vs:one-listed", "pear", [("error", "code-invalid")]),
    ("urn:vs:two", "apple", [("error", "code-invalid")]),
    ("urn:vs:whole", "apple", [("error", "code-invalid")]),
    ("urn:vs:excluded", "apple", [("error", "code-invalid")]),
    # an imported value set not held: not judged
    ("urn:vs:unknown-import", "apple", [("information", "code-system-unknown")]),
])
def test_a_coding_without_a_system(vs_url: str, code: str, expected: list[tuple[str, str]]) -> None:
    """ValueSetValidator.codeInValueSet / inComponent with a null system (a CodeableConcept's coding)."""
    assert _required(vs_url, {"code": code}) == expected


def _errors(res: dict[str, Any]) -> list[tuple[str, str]]:
    from conformance.fhirval.base import base_source
    from conformance.fhirval.validate import validate_resource

    return [(i.defect, i.location) for i in validate_resource(res, base_source(), wrong_displays="error")
            if i.is_error]


V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"


def _patient(code: str, display: str | None = None, language: str | None = None) -> dict[str, Any]:
    coding = {"system": V2_0203, "code": code, **({"display": display} if display is not None else {})}
    patient: dict[str, Any] = {"resourceType": "Patient", "identifier": [{"type": {"coding": [coding]}, "value": "1"}]}
    if language:
        patient["language"] = language
    return patient


@pytest.mark.parametrize(("code", "errors"), [("NNGBR", 0), ("NNxxx", 0), ("NN", 1), ("XXGBR", 1)])
def test_v2_0203_national_identifiers(code: str, errors: int) -> None:
    """ValueSetValidator.findSpecialConcept: v2-0203 ``NN`` + a country code is a concept ("National Identifier
    for ..."), its country judged by ISO 3166 on HL7's server; here by the country list held (GBR listed; xxx of a
    country code's form, not listed: not judged)."""
    assert len(_errors(_patient(code))) == errors


PEAR: dict[str, Any] = {"resourceType": "CodeSystem", "url": CS, "status": "active", "content": "complete",
                        "concept": [{"code": "pear", "display": "Pear",
                                     "designation": [{"language": "de", "value": "Birne"}]}]}


@pytest.mark.parametrize(("display", "language", "wrong"), [
    ("Pear", None, False),
    ("PEAR", None, False),      # equalsIgnoreCase
    ("Pear ", None, True),      # whitespace counts: DISPLAY_NAME_WS_FOR__SHOULD_BE_ONE_OF__INSTEAD_OF
    ("Birne", None, True),      # a 'de' designation is not a display in en-US (isOkLanguage)
    ("Birne", "de", False),     # ... but is in a resource whose language is de
    ("Birne", "de-CH", False),  # LanguageUtils.langsMatch: de-CH starts with de
    ("Pear", "de", False),      # the CodeSystem has no language: its display suits any (englishOk)
    ("Poire", "fr", True),
])
def test_display_in_the_resource_language(tmp_path: Path, display: str, language: str | None, wrong: bool) -> None:
    """ValueSetValidator.validateCode(path, Coding, CodeSystem, ...): the display and designations in a suitable
    language (the resource's, else en-US), compared ignoring case only. Before: any designation in any language,
    whitespace ignored."""
    from conformance.fhirval.layered import load_definitions
    from conformance.fhirval.validate import validate_resource

    (tmp_path / "cs.json").write_text(json.dumps(PEAR))
    obs: dict[str, Any] = {"resourceType": "Observation", "status": "final",
                           "code": {"coding": [{"system": CS, "code": "pear", "display": display}]}}
    if language:
        obs["language"] = language
    found = [(i.defect, i.location) for i in validate_resource(obs, load_definitions([tmp_path]),
                                                               wrong_displays="error") if i.is_error]
    assert found == ([("code-display", "Observation.code.coding[0].display")] if wrong else [])


def test_a_display_for_a_code_that_has_none() -> None:
    """No display nor designation suits, and the given one is not the (absent) default display: HL7 says
    NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_ERR (a wrong display). Before: never judged."""
    from conformance.fhirval.bindings import check_coding

    t = Terminology(MemorySource([FRUIT]), find_package=False)
    sink = Sink(display_errors=True)
    check_coding(t, {"system": CS, "code": "apple", "display": "Apple"}, "X", sink)
    check_coding(t, {"system": CS, "code": "pear"}, "Y", sink)
    assert [(i.severity, i.location) for i in sink.issues] == [("error", "X.display")]


@pytest.mark.parametrize(("type_code", "item", "expected"), [
    # a version other than the one held: not judged against the one held (an error before)
    ("Coding", {"system": CS, "version": "2.0", "code": "plum"}, [("information", "code-system-unknown")]),
    ("CodeableConcept", {"coding": [{"system": CS, "version": "2.0", "code": "plum"}]},
     [("information", "code-system-unknown")]),
    # the version held (or named in part), or none named: judged
    ("Coding", {"system": CS, "version": "1.0", "code": "plum"}, [("error", "code-invalid")]),
    ("Coding", {"system": CS, "version": "1.0.2", "code": "plum"}, [("error", "code-invalid")]),
    ("Coding", {"system": CS, "code": "plum"}, [("error", "code-invalid")]),
    ("Coding", {"system": CS, "version": "2.0", "code": "apple"}, [("information", "code-system-unknown")]),
])
def test_a_coding_at_a_version_not_held(type_code: str, item: dict[str, Any],
                                        expected: list[tuple[str, str]]) -> None:
    """ValueSetValidator.inComponent: determineVersion takes the Coding's version, resolveCodeSystem finds none at
    it, and the include answers null (UNKNOWN_CODESYSTEM_VERSION, not-found): the membership is not known."""
    sink = Sink()
    held = {**FRUIT, "version": "1.0.2"}
    t = Terminology(MemorySource([held, _vs("urn:vs:whole", {"include": [{"system": CS}]})]), find_package=False)
    check_binding(t, {"strength": "required", "valueSet": "urn:vs:whole"}, type_code, item, "X.code", sink)
    assert [(i.severity, i.defect) for i in sink.issues if i.severity != "warning"] == expected


def test_a_display_in_example_content_is_not_judged() -> None:
    """ValueSetValidator.validateCode(CodeableConcept) judges locally only a complete, fragment or supplement
    CodeSystem; example content goes to HL7's server. The same wrong display in a complete one is wrong."""
    from conformance.fhirval.bindings import check_coding

    for content, issues in (("example", []), ("complete", [("error", "X.display")])):
        cs = {**FRUIT, "content": content, "concept": [{"code": "apple", "display": "Apple"}]}
        sink = Sink(display_errors=True)
        check_coding(Terminology(MemorySource([cs]), find_package=False),
                     {"system": CS, "code": "apple", "display": "Pear"}, "X", sink)
        assert [(i.severity, i.location) for i in sink.issues if i.severity != "information"] == issues


@pytest.mark.parametrize(("max_vs", "code", "errors"), [
    ("urn:vs:one-listed", "apple", 0), ("urn:vs:one-listed", "leek", 1),
    ("urn:vs:two", "apple", 1),  # two includes: a coding without a system is in neither (no error before)
])
def test_the_maximum_value_set_reads_codings_as_the_binding_does(max_vs: str, code: str, errors: int) -> None:
    """checkMaxValueSet hands the CodeableConcept to the same ValueSetValidator, so a coding without a system is
    read there as under the binding (inComponent: only an only include listing the code takes it)."""
    max_ext = {"url": "http://hl7.org/fhir/StructureDefinition/elementdefinition-maxValueSet", "valueCanonical": max_vs}
    binding = {"strength": "extensible", "valueSet": "urn:vs:whole", "extension": [max_ext]}
    t = Terminology(MemorySource([FRUIT, VEGETABLES, *VALUE_SETS]), find_package=False)
    sink = Sink()
    check_binding(t, binding, "CodeableConcept", {"coding": [{"code": code}]}, "X.code", sink)
    assert len([i for i in sink.issues if i.severity == "error"]) == errors


@pytest.mark.parametrize(("strength", "code", "errors"), [
    ("extensible", "pear", 1), ("preferred", "pear", 1),  # a warning only before
    ("required", "pear", 2),                              # and not in the value set (1 before)
    ("extensible", "apple", 0),                           # active: a member
])
def test_an_inactive_code_where_the_value_set_wants_active_ones(strength: str, code: str, errors: int) -> None:
    """ValueSetValidator.inComponent: ``compose.inactive: false`` and an inactive code of the include's system is
    STATUS_CODE_WARNING_CODE, an error whatever the strength (a code-rule issue is not ignored by
    InstanceValidator.isIgnoredTxIssueType)."""
    cs = {**FRUIT, "concept": [{"code": "apple"},
                               {"code": "pear", "property": [{"code": "status", "valueCode": "retired"}]}]}
    active = _vs("urn:vs:active", {"inactive": False, "include": [{"system": CS}]})
    sink = Sink()
    check_binding(Terminology(MemorySource([cs, active]), find_package=False),
                  {"strength": strength, "valueSet": "urn:vs:active"}, "Coding", {"system": CS, "code": code}, "X",
                  sink)
    assert len([i for i in sink.issues if i.severity == "error"]) == errors
