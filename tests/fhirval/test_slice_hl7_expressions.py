"""Slices as HL7's InstanceValidator.sliceMatches / assignChildren judge them (issue 21, fvprof5): the discriminator
tests HL7 cannot build (SLICING_CANNOT_BE_EVALUATED), FHIRPath's one-item rule for ``is`` and ``conformsTo``, and the
ordered-slicing comparison with the previous value's slice. Each synthetic profile and resource fails without the
rule it pins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fhirval.test_profile_rules import BASE, errors, profile

_SLICING = "structure-slicing"


def _sliced(name: str, rtype: str, path: str, discriminator: dict[str, str], slices: list[dict[str, Any]],
            rules: str = "open", ordered: bool = False) -> dict[str, Any]:
    slicing: dict[str, Any] = {"discriminator": [discriminator], "rules": rules}
    if ordered:
        slicing["ordered"] = True
    return profile(name, rtype, [{"id": path, "path": path, "slicing": slicing}, *slices])


def _observation(**extra: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, **extra}


def _extension(url: str, name: str, *types: str) -> dict[str, Any]:
    """A repeating extension usable on any element, its value of ``types``."""
    return {"resourceType": "StructureDefinition", "url": url, "name": name, "status": "active",
            "fhirVersion": "4.0.1", "kind": "complex-type", "abstract": False, "type": "Extension",
            "context": [{"type": "element", "expression": "Element"}],
            "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension", "derivation": "constraint",
            "differential": {"element": [{"id": "Extension", "path": "Extension", "max": "*"},
                                         {"id": "Extension.url", "path": "Extension.url", "fixedUri": url},
                                         {"id": "Extension.value[x]", "path": "Extension.value[x]",
                                          "type": [{"code": t} for t in types]}]}}


def _component_slice_by_extension(url: str) -> list[dict[str, Any]]:
    """Observation.component slice ``s``, its extensions sliced by url with slice ``e`` of the extension ``url``."""
    return [
        {"id": "Observation.component:s", "path": "Observation.component", "sliceName": "s", "min": 0, "max": "*"},
        {"id": "Observation.component:s.extension", "path": "Observation.component.extension",
         "slicing": {"discriminator": [{"type": "value", "path": "url"}], "rules": "open"}},
        {"id": "Observation.component:s.extension:e", "path": "Observation.component.extension", "sliceName": "e",
         "min": 0, "max": "*", "type": [{"code": "Extension", "profile": [url]}]}]


def _ordered() -> dict[str, Any]:
    slices: list[dict[str, Any]] = []
    for name in "abc":
        slices += [{"id": f"Patient.identifier:{name}", "path": "Patient.identifier", "sliceName": name, "min": 0,
                    "max": "*"},
                   {"id": f"Patient.identifier:{name}.system", "path": "Patient.identifier.system",
                    "fixedUri": f"urn:{name}"}]
    return _sliced("ordered-abc", "Patient", "Patient.identifier", {"type": "value", "path": "system"}, slices,
                   ordered=True)


def test_ordered_slices_compare_with_the_previous_values_slice_only(tmp_path: Path) -> None:
    """assignChildren: VALIDATION_VAL_PROFILE_SLICEORDER tests ``ei.getSliceindex() >= lastSlice`` and then sets
    ``lastSlice = ei.getSliceindex()``: c, a, b is one error (a after c), not two (b after c as well)."""
    ids = [{"system": f"urn:{s}"} for s in "cab"]
    assert errors(tmp_path, {"resourceType": "Patient", "identifier": ids}, [_ordered()]) == [
        ("slice-order", "Patient.identifier[1]")]
    ids = [{"system": f"urn:{s}"} for s in "abbc"]
    assert errors(tmp_path, {"resourceType": "Patient", "identifier": ids}, [_ordered()]) == []


def test_an_exists_discriminator_on_an_optional_element_cannot_be_evaluated(tmp_path: Path) -> None:
    """sliceMatches throws DISCRIMINATOR__IS_BASED_ON_ELEMENT_EXISTENCE_BUT_SLICE__NEITHER_SETS_MIN1_OR_MAX0 for an
    ``exists`` discriminator whose element is neither min 1 nor max 0; matchSlice reports SLICING_CANNOT_BE_EVALUATED
    at each value (it had been taken as "absent": the value without a period was silently in the slice)."""
    sliced = _sliced("exists-optional", "Patient", "Patient.identifier", {"type": "exists", "path": "period"}, [
        {"id": "Patient.identifier:a", "path": "Patient.identifier", "sliceName": "a", "min": 0, "max": "*"}])
    res = {"resourceType": "Patient", "identifier": [{"system": "urn:x", "period": {"start": "2020"}},
                                                     {"system": "urn:y"}]}
    assert errors(tmp_path, res, [sliced]) == [(_SLICING, "Patient.identifier[0]"), (_SLICING, "Patient.identifier[1]")]
    required = _sliced("exists-required", "Patient", "Patient.identifier", {"type": "exists", "path": "period"}, [
        {"id": "Patient.identifier:a", "path": "Patient.identifier", "sliceName": "a", "min": 0, "max": "*"},
        {"id": "Patient.identifier:a.period", "path": "Patient.identifier.period", "min": 1}])
    assert errors(tmp_path, res, [required]) == []


def _category(name: str, pattern: dict[str, Any]) -> dict[str, Any]:
    return _sliced(name, "Observation", "Observation.category", {"type": "pattern", "path": "$this"}, [
        {"id": "Observation.category:a", "path": "Observation.category", "sliceName": "a", "min": 0, "max": "1",
         "patternCodeableConcept": pattern}])


def test_a_codeable_concept_pattern_without_codings_cannot_be_evaluated(tmp_path: Path) -> None:
    """buildCodeableConceptExpression throws for a pattern with text (UNSUPPORTED_CODEABLECONCEPT_PATTERN__USING_TEXT)
    or without a coding (..._MUST_HAVE_AT_LEAST_ONE_CODING), for a coding with an extension, and for a coding with
    none of system, version, code, display: SLICING_CANNOT_BE_EVALUATED (it had been compared as a pattern)."""
    res = _observation(category=[{"text": "vital"}])
    assert errors(tmp_path, res, [_category("cc-text", {"text": "vital"})]) == [(_SLICING, "Observation.category[0]")]
    coded = _observation(category=[{"coding": [{"system": "urn:s", "code": "v"}]}])
    assert errors(tmp_path, coded, [_category("cc-coding", {"coding": [{"system": "urn:s", "code": "v"}]})]) == []
    assert errors(tmp_path, coded, [_category("cc-coding-text", {"coding": [{"system": "urn:s", "code": "v"}],
                                                                 "text": "v"})]) == [
        (_SLICING, "Observation.category[0]")]
    assert errors(tmp_path, coded, [_category("cc-coding-bare", {"coding": [{"userSelected": True}]})]) == [
        (_SLICING, "Observation.category[0]")]


def test_a_pattern_of_a_type_hl7_cannot_express_cannot_be_evaluated(tmp_path: Path) -> None:
    """buildPattternExpression handles primitives, CodeableConcept, Coding, Identifier, HumanName and Address; a
    patternQuantity is UNSUPPORTED_FIXED_PATTERN_TYPE_FOR_DISCRIMINATOR_FOR_SLICE__ (SLICING_CANNOT_BE_EVALUATED)."""
    sliced = _sliced("pattern-quantity", "Observation", "Observation.component", {"type": "pattern", "path": "value"}, [
        {"id": "Observation.component:a", "path": "Observation.component", "sliceName": "a", "min": 0, "max": "1"},
        {"id": "Observation.component:a.value[x]", "path": "Observation.component.value[x]",
         "type": [{"code": "Quantity"}], "patternQuantity": {"unit": "mm"}}])
    res = _observation(component=[{"code": {"text": "c"}, "valueQuantity": {"value": 1, "unit": "mm"}}])
    assert errors(tmp_path, res, [sliced]) == [(_SLICING, "Observation.component[0]")]


def test_a_fixed_value_of_a_type_hl7_cannot_express_cannot_be_evaluated(tmp_path: Path) -> None:
    """buildFixedExpression takes a string, uri, integer or boolean (and their subtypes) beside CodeableConcept,
    Identifier and Coding; a fixedDateTime is UNSUPPORTED_FIXED_VALUE_TYPE_FOR_DISCRIMINATOR_FOR_SLICE__, where a
    fixedCode (a StringType) is compared."""
    def sliced(name: str, fixed: dict[str, Any]) -> dict[str, Any]:
        return _sliced(name, "Patient", "Patient.identifier", {"type": "value", "path": "period.start"}, [
            {"id": "Patient.identifier:a", "path": "Patient.identifier", "sliceName": "a", "min": 0, "max": "1"},
            {"id": "Patient.identifier:a.period.start", "path": "Patient.identifier.period.start", **fixed}])
    res = {"resourceType": "Patient", "identifier": [{"system": "urn:x", "period": {"start": "2020-01-01"}}]}
    assert errors(tmp_path, res, [sliced("fixed-datetime", {"fixedDateTime": "2020-01-01"})]) == [
        (_SLICING, "Patient.identifier[0]")]
    assert errors(tmp_path, res, [sliced("pattern-datetime", {"patternDateTime": "2020-01-01"})]) == []


def test_an_identifier_or_human_name_pattern_hl7_cannot_express(tmp_path: Path) -> None:
    """buildIdentifierExpression needs one of system, value, use, type (UNSUPPORTED_IDENTIFIER_PATTERN_NO_PROPERTY:
    a pattern of the assigner alone had matched every identifier); buildHumanNameExpression throws on ``given``
    (UNSUPPORTED_IDENTIFIER_PATTERN_PROPERTY_NOT_SUPPORTED) and compares use, text and family."""
    ident = _sliced("identifier-assigner", "Patient", "Patient.identifier", {"type": "pattern", "path": "$this"}, [
        {"id": "Patient.identifier:a", "path": "Patient.identifier", "sliceName": "a", "min": 0, "max": "1",
         "patternIdentifier": {"assigner": {"display": "x"}}}])
    res = {"resourceType": "Patient", "identifier": [{"system": "urn:x"}]}
    assert errors(tmp_path, res, [ident]) == [(_SLICING, "Patient.identifier[0]")]

    def named(name: str, pattern: dict[str, Any]) -> dict[str, Any]:
        return _sliced(name, "Patient", "Patient.name", {"type": "pattern", "path": "$this"}, [
            {"id": "Patient.name:a", "path": "Patient.name", "sliceName": "a", "min": 0, "max": "1",
             "patternHumanName": pattern}])
    res = {"resourceType": "Patient", "name": [{"use": "official", "family": "F", "given": ["G"]}]}
    assert errors(tmp_path, res, [named("name-given", {"use": "official", "given": ["G"]})]) == [
        (_SLICING, "Patient.name[0]")]
    assert errors(tmp_path, res, [named("name-use", {"use": "official"})]) == []


def test_a_type_discriminator_over_two_values_matches_no_slice(tmp_path: Path) -> None:
    """sliceMatches builds ``path is T``; FHIRPathEngine.opIs is false when the left side holds more than one item, so
    a component whose discriminating extension repeats is in no slice (closed slicing: VALIDATION_VAL_PROFILE_NOTSLICE),
    where every item being of the type had matched."""
    url = BASE + "ext-any"
    ext = _extension(url, "ExtAny", "string", "boolean")
    sliced = _sliced("type-over-extension", "Observation", "Observation.component",
                     {"type": "type", "path": f"extension('{url}').value"}, [
        *_component_slice_by_extension(url),
        {"id": "Observation.component:s.extension:e.value[x]", "path": "Observation.component.extension.value[x]",
         "type": [{"code": "string"}]}], rules="closed")
    one = {"code": {"text": "c"}, "extension": [{"url": url, "valueString": "a"}]}
    assert errors(tmp_path, _observation(component=[one]), [sliced, ext]) == []
    two = {"code": {"text": "c"}, "extension": [{"url": url, "valueString": "a"}, {"url": url, "valueString": "b"}]}
    assert errors(tmp_path, _observation(component=[two]), [sliced, ext]) == [
        ("slice-unmatched", "Observation.component[0]")]


def test_a_profile_discriminator_over_two_values_matches_no_slice(tmp_path: Path) -> None:
    """sliceMatches builds ``path.conformsTo('url')``; FHIRPathEngine.funcConformsTo is false unless its focus is one
    item, so a component carrying the discriminating extension twice is in no slice of the closed slicing."""
    url = BASE + "ext-flag"
    ext = _extension(url, "ExtFlag", "boolean")
    sliced = _sliced("profile-over-extension", "Observation", "Observation.component",
                     {"type": "profile", "path": f"extension('{url}')"}, _component_slice_by_extension(url),
                     rules="closed")
    one = {"code": {"text": "c"}, "extension": [{"url": url, "valueBoolean": True}]}
    assert errors(tmp_path, _observation(component=[one]), [sliced, ext]) == []
    two = {"code": {"text": "c"},
           "extension": [{"url": url, "valueBoolean": True}, {"url": url, "valueBoolean": False}]}
    assert errors(tmp_path, _observation(component=[two]), [sliced, ext]) == [
        ("slice-unmatched", "Observation.component[0]")]


def test_a_required_binding_discriminator_matches_when_any_value_is_in_the_value_set(tmp_path: Path) -> None:
    """sliceMatches builds ``path memberOf 'vs'`` from a required binding: the infix operator
    (FHIRPathEngine.opMemberOf), true when any one item is in the value set. A category whose codings are
    final and amended, or final and a local code, is in the slice; one with no coding in it is not."""
    sliced = _sliced("binding-over-codings", "Observation", "Observation.category",
                     {"type": "value", "path": "coding.code"}, [
        {"id": "Observation.category:status", "path": "Observation.category", "sliceName": "status", "min": 1,
         "max": "1"},
        {"id": "Observation.category:status.coding.code", "path": "Observation.category.coding.code",
         "binding": {"strength": "required", "valueSet": "http://hl7.org/fhir/ValueSet/observation-status"}}])
    system = "http://hl7.org/fhir/observation-status"
    one = _observation(category=[{"coding": [{"system": system, "code": "final"}]}])
    assert errors(tmp_path, one, [sliced]) == []
    two = _observation(category=[{"coding": [{"system": system, "code": "final"}, {"system": system,
                                                                                 "code": "amended"}]}])
    assert errors(tmp_path, two, [sliced]) == []
    local = _observation(category=[{"coding": [{"system": system, "code": "final"},
                                               {"system": "urn:example:local", "code": "x"}]}])
    assert ("slice-min", "Observation") not in errors(tmp_path, local, [sliced])  # in the slice: its binding then
    # judges the local code itself, as HL7's does once the slice is matched
    none = _observation(category=[{"coding": [{"system": system, "code": "no-such-status"},
                                              {"system": system, "code": "nor-this"}]}])
    assert ("slice-min", "Observation") in errors(tmp_path, none, [sliced])  # (and each unknown code, as HL7)


def test_what_hl7_throws_on_is_found_whatever_the_other_discriminators_say(tmp_path: Path) -> None:
    """sliceMatches builds the whole expression (every discriminator) before it tests a value, so the exists
    discriminator it throws on makes the slice unevaluable even for an identifier the value discriminator before it
    already rejects (it had been out of the slice, silently)."""
    sliced = profile("value-then-exists", "Patient", [
        {"id": "Patient.identifier", "path": "Patient.identifier",
         "slicing": {"discriminator": [{"type": "value", "path": "system"}, {"type": "exists", "path": "period"}],
                     "rules": "open"}},
        {"id": "Patient.identifier:a", "path": "Patient.identifier", "sliceName": "a", "min": 0, "max": "*"},
        {"id": "Patient.identifier:a.system", "path": "Patient.identifier.system", "fixedUri": "urn:a"}])
    res = {"resourceType": "Patient", "identifier": [{"system": "urn:b"}]}
    assert errors(tmp_path, res, [sliced]) == [(_SLICING, "Patient.identifier[0]")]


def test_a_primitive_pattern_with_an_element_id_but_no_extension_is_evaluated(tmp_path: Path) -> None:
    """buildPrimitiveExpression throws only when the pattern value has extensions (p.hasExtension()): a
    ``_patternCode`` carrying only an element id is compared as usual, one with an extension cannot be
    (review12 #6: any ``_pattern`` object had made the slice unevaluable)."""
    def sliced(name: str, underscore: dict[str, Any]) -> dict[str, Any]:
        return _sliced(name, "Patient", "Patient.identifier", {"type": "pattern", "path": "use"}, [
            {"id": "Patient.identifier:a", "path": "Patient.identifier", "sliceName": "a", "min": 0, "max": "1"},
            {"id": "Patient.identifier:a.use", "path": "Patient.identifier.use", "patternCode": "official",
             "_patternCode": underscore}])
    res = {"resourceType": "Patient", "identifier": [{"use": "official", "system": "urn:x"}]}
    assert errors(tmp_path, res, [sliced("pattern-code-id", {"id": "u"})]) == []
    extended = {"extension": [{"url": "http://example.org/x", "valueString": "y"}]}
    assert errors(tmp_path, res, [sliced("pattern-code-ext", extended)]) == [(_SLICING, "Patient.identifier[0]")]
