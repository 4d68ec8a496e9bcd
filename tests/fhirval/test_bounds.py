"""minValue / maxValue: numbers, Quantities in the same and in other UCUM units, durations on dates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.fhirval.bounds import convert
from conformance.fhirval.layered import LayeredSource, load_definitions
from conformance.fhirval.validate import validate_resource

UCUM = "http://unitsofmeasure.org"


def _profile(tmp_path: Path, rtype: str, *elements: dict[str, Any]) -> tuple[LayeredSource, str]:
    url = f"https://conformance.example/fhir/StructureDefinition/b-{rtype.lower()}"
    sd = {"resourceType": "StructureDefinition", "id": f"b-{rtype.lower()}", "url": url, "name": f"B{rtype}",
          "status": "draft", "kind": "resource", "abstract": False, "type": rtype,
          "baseDefinition": f"http://hl7.org/fhir/StructureDefinition/{rtype}", "derivation": "constraint",
          "differential": {"element": list(elements)}}
    (tmp_path / "b.json").write_text(json.dumps(sd))
    return load_definitions([tmp_path / "b.json"]), url


def found(res: dict[str, Any], source: LayeredSource, url: str) -> list[tuple[str, str, str]]:
    return [(i.severity, i.defect, i.location) for i in validate_resource(res, source, (url,))
            if i.defect in ("min-value", "max-value")]


def _weight(tmp_path: Path) -> tuple[LayeredSource, str]:
    return _profile(tmp_path, "Observation", {
        "id": "Observation.value[x]", "path": "Observation.value[x]", "type": [{"code": "Quantity"}],
        "minValueQuantity": {"value": 0, "system": UCUM, "code": "kg"},
        "maxValueQuantity": {"value": 500, "system": UCUM, "code": "kg"}})


def _obs(value: float, code: str, system: str = UCUM) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "code": {"text": "weight"},
            "valueQuantity": {"value": value, "system": system, "code": code}}


def test_quantity_in_the_bound_unit(tmp_path: Path) -> None:
    source, url = _weight(tmp_path)
    assert found(_obs(70, "kg"), source, url) == []
    assert found(_obs(-1, "kg"), source, url) == [("error", "min-value", "Observation.value.ofType(Quantity)")]
    assert found(_obs(501, "kg"), source, url) == [("error", "max-value", "Observation.value.ofType(Quantity)")]


def test_quantity_converted_through_ucum(tmp_path: Path) -> None:
    source, url = _weight(tmp_path)
    assert found(_obs(70000, "g"), source, url) == []
    assert found(_obs(600000, "g"), source, url) == [("error", "max-value", "Observation.value.ofType(Quantity)")]


def test_units_that_do_not_convert(tmp_path: Path) -> None:
    """Two UCUM units that measure different things are an error, as HL7's checkQuantity says
    (TYPE_SPECIFIC_CHECKS_DT_QTY_MIN_MIN_NO_CONVERT / _MAX_MIN_NO_CONVERT: its UCUM service throws, convertUcumValue
    answers null); units of another system stay information (a warning there, never a verdict)."""
    source, url = _weight(tmp_path)
    assert found(_obs(5, "m"), source, url) == [("error", "min-value", "Observation.value.ofType(Quantity)"),
                                                 ("error", "max-value", "Observation.value.ofType(Quantity)")]
    assert [s for s, _, _ in found(_obs(5, "lb", "https://units.example"), source, url)] == ["information"] * 2


def test_ucum_conversion() -> None:
    assert convert(5, "g", "kg") == 0.005
    assert convert(1, "mg/dL", "g/L") == 0.01
    assert convert(1, "kg", "m") is None
    assert convert(1, "not a unit((", "kg") is None


def test_max_duration_on_a_date_is_today_plus_it(tmp_path: Path) -> None:
    source, url = _profile(tmp_path, "Patient", {"id": "Patient.birthDate", "path": "Patient.birthDate",
                                                 "maxValueQuantity": {"value": 10, "system": UCUM, "code": "a"}})
    assert found({"resourceType": "Patient", "birthDate": "1990-05-01"}, source, url) == []
    assert found({"resourceType": "Patient", "birthDate": "2990"}, source, url) == [
        ("error", "max-value", "Patient.birthDate")]


def test_integer_bounds(tmp_path: Path) -> None:
    source, url = _profile(tmp_path, "Patient", {"id": "Patient.multipleBirth[x]",
                                                 "path": "Patient.multipleBirth[x]", "maxValueInteger": 4})
    assert found({"resourceType": "Patient", "multipleBirthInteger": 3}, source, url) == []
    assert found({"resourceType": "Patient", "multipleBirthInteger": 5}, source, url) == [
        ("error", "max-value", "Patient.multipleBirth.ofType(integer)")]


def test_min_duration_on_a_date_is_today_minus_it(tmp_path: Path) -> None:
    """checkMinMaxValueDate: ``limit.subtract(qty)``, an error when the value is before it (HL7 since 2026-04)."""
    source, url = _profile(tmp_path, "Patient", {"id": "Patient.birthDate", "path": "Patient.birthDate",
                                                 "minValueQuantity": {"value": 10, "system": UCUM, "code": "a"}})
    assert found({"resourceType": "Patient", "birthDate": "2990"}, source, url) == []
    assert found({"resourceType": "Patient", "birthDate": "1990-05-01"}, source, url) == [
        ("error", "min-value", "Patient.birthDate")]


@pytest.mark.parametrize("bound", [{"value": 10, "system": UCUM, "code": "a", "comparator": "<"},
                                   {"value": 1.5, "system": UCUM, "code": "a"},
                                   {"value": 10, "system": UCUM, "code": "kg"},
                                   {"value": 10, "code": "a"}])
def test_a_duration_bound_that_is_not_an_exact_time_is_an_error(tmp_path: Path, bound: dict[str, Any]) -> None:
    """TYPE_SPECIFIC_CHECKS_DT_QTY_COMP and _QTY_VALUE: a comparator, or not Quantity.isExactTime (a UCUM time
    unit; years, months and milliseconds in whole numbers)."""
    source, url = _profile(tmp_path, "Patient", {"id": "Patient.birthDate", "path": "Patient.birthDate",
                                                 "maxValueQuantity": bound})
    assert found({"resourceType": "Patient", "birthDate": "1990-05-01"}, source, url) == [
        ("error", "max-value", "Patient.birthDate")]


def test_temporal_bounds_compare_instants_not_text(tmp_path: Path) -> None:
    """A year is its first moment (BaseDateTimeType.after on java.util.Date): ``2000`` is not before 2000-01-01,
    as the text comparison said; ``1999`` is."""
    source, url = _profile(tmp_path, "Patient", {"id": "Patient.birthDate", "path": "Patient.birthDate",
                                                 "minValueDate": "2000-01-01"})
    assert found({"resourceType": "Patient", "birthDate": "2000"}, source, url) == []
    assert found({"resourceType": "Patient", "birthDate": "1999-12"}, source, url) == [
        ("error", "min-value", "Patient.birthDate")]
    source, url = _profile(tmp_path, "Observation", {"id": "Observation.issued", "path": "Observation.issued",
                                                     "minValueInstant": "2020-01-01T10:00:00Z"})
    obs = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}
    assert found({**obs, "issued": "2020-01-01T11:30:00+01:00"}, source, url) == []  # 10:30Z
    assert found({**obs, "issued": "2020-01-01T10:30:00+01:00"}, source, url) == [  # 09:30Z
        ("error", "min-value", "Observation.issued")]


def test_a_temporal_maximum_is_a_warning_as_hl7_never_fails_it(tmp_path: Path) -> None:
    """checkMinMaxValueDate / DateTime write the maximum rule ``max.hasValue() || !max.before(v)``: it always passes.
    A value after the maximum is kept as a warning, and the resource is not failed where HL7 accepts it."""
    source, url = _profile(tmp_path, "Patient", {"id": "Patient.birthDate", "path": "Patient.birthDate",
                                                 "maxValueDate": "2000-01-01"})
    assert found({"resourceType": "Patient", "birthDate": "2000-01-01"}, source, url) == []
    assert found({"resourceType": "Patient", "birthDate": "2001"}, source, url) == [
        ("warning", "max-value", "Patient.birthDate")]


def test_a_minimum_of_another_type_on_a_date_is_not_judged(tmp_path: Path) -> None:
    """checkMinMaxValueDate reads only minValueDate (and a Quantity): a minValueDateTime on a date is left alone."""
    source, url = _profile(tmp_path, "Patient", {"id": "Patient.birthDate", "path": "Patient.birthDate",
                                                 "minValueDateTime": "2000-01-01T00:00:00Z"})
    assert found({"resourceType": "Patient", "birthDate": "1990"}, source, url) == []


def test_without_ucumvert_units_that_differ_are_information(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from conformance.fhirval import bounds

    monkeypatch.setattr(bounds, "_registry", lambda: None)
    source, url = _weight(tmp_path)
    assert [s for s, _, _ in found(_obs(600000, "g"), source, url)] == ["information", "information"]
    assert found(_obs(501, "kg"), source, url) == [("error", "max-value", "Observation.value.ofType(Quantity)")]


def test_min_length_and_regex_extensions(tmp_path: Path) -> None:
    """A profile's minLength and regex extensions on an element (HL7's validator, checkPrimitive)."""
    source, url = _profile(tmp_path, "Patient", {
        "id": "Patient.name.family", "path": "Patient.name.family",
        "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/minLength", "valueInteger": 3},
                      {"url": "http://hl7.org/fhir/StructureDefinition/regex", "valueString": "[A-Z][a-z]+"}]})

    def text_issues(family: str) -> list[tuple[str, str]]:
        res = {"resourceType": "Patient", "name": [{"family": family}]}
        return [(i.defect, i.location) for i in validate_resource(res, source, (url,)) if i.is_error]

    assert text_issues("Smith") == []
    assert text_issues("Li") == [("too-short", "Patient.name[0].family")]
    assert text_issues("smith") == [("primitive-format", "Patient.name[0].family")]


def test_a_java_only_regex_is_not_judged() -> None:
    """Java's class intersection compiles in Python with another meaning: judged, it would fail valid values."""
    from conformance.fhirval.bounds import compiled_regex

    assert compiled_regex("[a-z&&[^aeiou]]+") is None
    assert compiled_regex("[[a-c][x-z]]+") is None
    assert compiled_regex(r"\p{Lu}+") is None  # Python cannot read it at all
    plain = compiled_regex("[A-Z][a-z]+")
    assert plain is not None and plain.fullmatch("Abc") and not plain.fullmatch("abc")


@pytest.mark.parametrize(("regex", "family", "valid"), [
    # R4 string's own regex, copied into a profile: Java's \S is every character but the six ASCII spaces, so a
    # no-break space (French and German typesetting) and an em space are in it; Python's Unicode \S left them out
    ("[ \\r\\n\\t\\S]+", "de\u00a0la\u00a0Cruz", True),
    ("[^\\s]+", "Dupont\u2003", True),
    ("\\S+", "Dupont\u00a0", True),
    # and the other way: Java's \w and \d are ASCII, so a letter with a diacritic is not \w (HL7 fails it)
    ("\\w+", "M\u00fcller", False),
    ("\\w+", "Muller", True),
    ("\\d{3}", "\u0661\u0662\u0663", False),  # Arabic-Indic digits
])
def test_a_profile_regex_has_javas_character_classes(tmp_path: Path, regex: str, family: str, valid: bool) -> None:
    """HL7 matches a profile's regex with Pattern.matches and no flag (RegexTimeout.matches): \\s, \\d, \\w, \\b are
    ASCII there (compiled_regex: re.ASCII)."""
    source, url = _profile(tmp_path, "Patient", {
        "id": "Patient.name.family", "path": "Patient.name.family",
        "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/regex", "valueString": regex}]})
    res = {"resourceType": "Patient", "name": [{"family": family}]}
    errors = [(i.defect, i.location) for i in validate_resource(res, source, (url,)) if i.is_error]
    assert errors == ([] if valid else [("primitive-format", "Patient.name[0].family")])


def test_lengths_are_javas(tmp_path: Path) -> None:
    """HL7 counts a value's length with Java's String.length() (UTF-16 units), minLength and maxLength alike: an
    emoji is 2 there. Counted as Python's 1, a one-emoji value failed minLength 2 (a false alarm) and a two-emoji
    one passed maxLength 3 (a miss)."""
    source, url = _profile(tmp_path, "Patient", {
        "id": "Patient.name.family", "path": "Patient.name.family", "maxLength": 3,
        "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/minLength", "valueInteger": 2}]})

    def text_issues(family: str) -> list[tuple[str, str]]:
        res = {"resourceType": "Patient", "name": [{"family": family}]}
        return [(i.defect, i.location) for i in validate_resource(res, source, (url,)) if i.is_error]

    assert text_issues("\U0001f600") == []
    assert text_issues("\U0001f600\U0001f600") == [("too-long", "Patient.name[0].family")]
    assert text_issues("ab") == [] and text_issues("a") == [("too-short", "Patient.name[0].family")]


def test_a_bound_written_as_a_duration_is_a_quantity(tmp_path: Path) -> None:
    """``maxValueDuration`` (R5's name, found in R4 profiles): HL7's hasMaxValueQuantity is ``instanceof Quantity``,
    which a Duration is."""
    source, url = _profile(tmp_path, "Patient", {"id": "Patient.birthDate", "path": "Patient.birthDate",
                                                 "maxValueDuration": {"value": 10, "system": UCUM, "code": "a"}})
    assert found({"resourceType": "Patient", "birthDate": "1990-05-01"}, source, url) == []
    assert found({"resourceType": "Patient", "birthDate": "2990"}, source, url) == [
        ("error", "max-value", "Patient.birthDate")]


def test_a_bound_of_a_type_hl7_does_not_read_for_the_element_is_not_judged(tmp_path: Path) -> None:
    """checkPrimitive reads an integer's bounds only as integers (``instanceof IntegerType``): a maxValueDecimal on
    an integer element is left alone; a decimal takes an integer bound."""
    source, url = _profile(tmp_path, "Patient", {"id": "Patient.multipleBirth[x]", "path": "Patient.multipleBirth[x]",
                                                 "maxValueDecimal": 2.5})
    assert found({"resourceType": "Patient", "multipleBirthInteger": 3}, source, url) == []
    source, url = _profile(tmp_path, "Observation", {"id": "Observation.value[x]", "path": "Observation.value[x]",
                                                     "maxValuePositiveInt": 2})
    obs = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}
    assert found({**obs, "valueInteger": 3}, source, url) == [
        ("error", "max-value", "Observation.value.ofType(integer)")]


def test_bounds_on_a_type_hl7_bounds_nothing_for_are_not_judged(tmp_path: Path) -> None:
    """checkPrimitive reads bounds for numbers, dates and times only: a maxValueDate on a code is left alone."""
    source, url = _profile(tmp_path, "Patient", {"id": "Patient.gender", "path": "Patient.gender",
                                                 "maxValueDate": "2000-01-01"})
    assert found({"resourceType": "Patient", "gender": "male"}, source, url) == []
