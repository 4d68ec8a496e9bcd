"""A Measure's CQL stratifier criteria against its Libraries' ELM, as HL7's MeasureValidator.validateMeasureCriteria
(MEASURE_M_CRITERIA_CQL_NO_LIB / _LIB_NOT_FOUND / _LIB_DUPL / _ONLY_ONE_LIB / _NO_ELM / _ERROR / _ELM_NOT_VALID /
_NOT_FOUND). Synthetic resources."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from tests.fhirval.missing_dependency import guide_folder, loaded
from tests.fhirval.test_agreement_classes import definitions, errors

LIB = "http://example.org/Library/Screening"
OTHER = "http://example.org/Library/Other"


def elm(*names: str, root: str = '<library xmlns="urn:hl7-org:elm:r1">') -> dict[str, str]:
    defs = "".join(f'<def name="{n}"/>' for n in names)
    close = "</" + root[1:].split()[0].rstrip(">") + ">"
    text = f"{root}<statements>{defs}</statements>{close}"
    return {"contentType": "application/elm+xml", "data": base64.b64encode(text.encode()).decode()}


def library(url: str, name: str, *content: dict[str, str]) -> dict[str, Any]:
    return {"resourceType": "Library", "url": url, "name": name, "status": "draft",
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/library-type",
                                 "code": "logic-library"}]},
            "content": list(content)}


def measure(*expressions: str, libraries: tuple[str, ...] = (LIB,), language: str = "text/cql") -> dict[str, Any]:
    out: dict[str, Any] = {"resourceType": "Measure", "status": "draft",
                           "group": [{"stratifier": [{"code": {"text": f"s{i}"},
                                                      "criteria": {"language": language, "expression": e}}
                                                     for i, e in enumerate(expressions)]}]}
    if libraries:
        out["library"] = list(libraries)
    return out


def crit(i: int) -> tuple[str, str]:
    return ("measure-criteria", f"Measure.group[0].stratifier[{i}].criteria")


def test_a_function_the_elm_defines_is_accepted_and_one_it_lacks_is_an_error(tmp_path: Path) -> None:
    source = definitions(tmp_path, library(LIB, "Screening", elm("AgesUpToNine")))
    assert errors(measure("Screening.AgesUpToNine", "AgesUpToNine"), source) == []
    assert errors(measure("Screening.AgesTenPlus", "AgesTenPlus"), source) == [crit(0), crit(1)]


def test_a_namespace_no_library_has_and_a_bare_name_among_two_libraries(tmp_path: Path) -> None:
    source = definitions(tmp_path, library(LIB, "Screening", elm("A")), library(OTHER, "Other", elm("B")))
    both = (LIB, OTHER)
    assert errors(measure("Other.B", "Screening.A", libraries=both), source) == []
    assert errors(measure("Elsewhere.A", "A", libraries=both), source) == [crit(0), crit(1)]


def test_two_libraries_of_one_name(tmp_path: Path) -> None:
    source = definitions(tmp_path, library(LIB, "Screening", elm("A")), library(OTHER, "Screening", elm("A")))
    assert errors(measure("Screening.A", libraries=(LIB, OTHER)), source) == [crit(0)]


def test_a_library_without_usable_elm(tmp_path: Path) -> None:
    cql = {"contentType": "text/cql", "data": base64.b64encode(b"library Screening").decode()}
    broken = {"contentType": "application/elm+xml", "data": base64.b64encode(b"<library").decode()}
    prefixed = elm("A", root='<elm:library xmlns:elm="urn:hl7-org:elm:r1">')
    for content in (cql, broken, elm("A", root="<library>"), prefixed):
        source = definitions(tmp_path, library(LIB, "Screening", content))
        assert errors(measure("A"), source) == [crit(0)], content


def test_cql_without_any_library_but_not_other_languages(tmp_path: Path) -> None:
    assert errors(measure("A", libraries=())) == [crit(0)]
    assert errors(measure("Patient.gender", libraries=(), language="text/fhirpath")) == []


def test_a_library_nothing_loaded_defines_is_passed_over_as_hl7_does(tmp_path: Path) -> None:
    """validateMeasure: a Library not found is a hint (MEASURE_M_LIB_UNKNOWN) and left out of the context; the
    criteria are then judged against the Libraries found (HL7's runner lacks what the case does not supply)."""
    source = definitions(tmp_path, library(LIB, "Screening", elm("A")))
    assert errors(measure("Screening.A", libraries=(LIB, OTHER)), source) == []
    assert errors(measure("Screening.Missing", libraries=(LIB, OTHER)), source) == [crit(0)]  # _NOT_FOUND
    assert errors(measure("Other.A", libraries=(LIB, OTHER)), source) == [crit(0)]  # _LIB_NOT_FOUND
    assert errors(measure("Screening.Missing")) == [crit(0)]  # _NO_LIB: none found


def test_a_library_of_a_dependency_not_loaded_is_not_judged(tmp_path: Path) -> None:
    """What HL7, holding the dependency, would find, the harness cannot judge (Model.missing_dependency)."""
    guide_folder(tmp_path)
    source = loaded(tmp_path)
    assert errors(measure("Screening.Missing", libraries=("http://dep.test/Library/Screening",)), source) == []
    assert errors(measure("Screening.Missing", libraries=("http://ig.test/Library/Screening",)), source) == [crit(0)]


def test_population_criteria_are_not_read(tmp_path: Path) -> None:
    source = definitions(tmp_path, library(LIB, "Screening", elm("A")))
    res = measure()
    res["group"] = [{"population": [{"criteria": {"language": "text/cql", "expression": "Screening.Missing"}}]}]
    assert errors(res, source) == []


def test_a_criteria_language_that_is_no_string_is_reported_not_raised(tmp_path: Path) -> None:
    """review12 #3: a list or object ``language`` reached a frozenset lookup and raised TypeError."""
    for language in (["text/cql"], {"x": 1}):
        res = measure("A", libraries=())
        res["group"][0]["stratifier"][0]["criteria"]["language"] = language
        found = errors(res)
        assert crit(0) not in found
        assert any(where.startswith("Measure.group[0].stratifier[0].criteria.language") for _, where in found)
