"""A MeasureReport group's populations and score against the Measure's group it reports on.

As HL7's MeasureValidator (``validateMeasureReportGroupPopulations`` and ``validateScore``), once a report
group is matched to its Measure group (measures.py): each population has a code (MEASURE_MR_GRP_POP_NO_CODE)
that one of the group's populations has (_UNK_CODE), once (_DUPL_CODE), and every population of the
Measure's group except ``measure-observation`` is reported (_MISSING_BY_CODE). The score follows the
Measure's scoring: none in a ``data-collection`` report or for a ``cohort`` measure (MEASURE_MR_SCORE_
PROHIBITED_RT / _MS); a ``proportion``, ``ratio`` or ``continuous-variable`` one has a score with a value
(MEASURE_MR_SCORE_REQUIRED, _VALUE_REQUIRED), and a proportion is a number from 0 to 1 with no unit
(_VALUE_INVALID_01, _UNIT_PROHIBITED: said of each unit part before the value is looked for, so a proportion's
score with a unit and no value is both). A ``ratio`` or ``continuous-variable`` score whose Measure states its
unit (the ``questionnaire-unit`` extension, a Coding) has that unit: code and system as stated, and a unit at all
(MEASURE_MR_SCORE_FIXED, its three sites under each scoring; fvsite9).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from conformance.fhirval.source import objects, value_of

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

_POPULATION = "http://terminology.hl7.org/CodeSystem/measure-population"
_ALTERNATE_SCORE = "http://hl7.org/fhir/us/davinci-deqm/StructureDefinition/extension-alternateScoreType"
_UNIT = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"  # ExtensionDefinitions.EXT_Q_UNIT


def codings(code: Any) -> set[tuple[str | None, str | None]]:
    """(system, code) of each Coding; a value of another shape (a list, an object) is taken as absent, never hashed."""
    return ({(_text(c.get("system")), _text(c.get("code"))) for c in objects(code.get("coding"))}
            if isinstance(code, dict) else set())


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def check_group(w: Walker, measure: Json, defined: Json, group: Json, report: Json, loc: str) -> None:
    check_populations(w, defined, group, loc)
    check_score(w, measure, group, report, loc)


def check_populations(w: Walker, defined: Json, group: Json, loc: str) -> None:
    populations = objects(defined.get("population"))
    seen: set[int] = set()
    for i, population in enumerate(objects(group.get("population"))):
        where = f"{loc}.population[{i}]"
        code = population.get("code")
        if not isinstance(code, dict):
            w.sink.error("measure-report", where, "a population of a report on a Measure has a code")
            continue
        mine = codings(code)
        hit = next((k for k, p in enumerate(populations) if codings(p.get("code")) & mine), None)
        if hit is None:
            w.sink.error("measure-report", where, "no population of the Measure's group has this code")
        elif hit in seen:
            w.sink.error("measure-report", where, "this population is reported twice")
        seen.add(hit if hit is not None else -1)
    for k, p in enumerate(populations):
        codes = codings(p.get("code"))
        if k not in seen and codes and (_POPULATION, "measure-observation") not in codes:
            label = next(iter(sorted(str(c[1]) for c in codes)))
            w.sink.error("measure-report", loc, f"the report has no population for the Measure's population {label!r}")


def check_score(w: Walker, measure: Json, group: Json, report: Json, loc: str) -> None:
    scoring_code = next(iter(objects(measure.get("scoring", {}).get("coding")
                                   if isinstance(measure.get("scoring"), dict) else None)), {}).get("code")
    score = group.get("measureScore")
    where = f"{loc}.measureScore"
    if report.get("type") == "data-collection" or scoring_code == "cohort":
        if score is not None:
            why = "a data-collection report" if report.get("type") == "data-collection" else "a cohort measure"
            w.sink.error("measure-report", where, f"{why} has no measure score")
        return
    if scoring_code not in ("proportion", "ratio", "continuous-variable"):
        return
    if not isinstance(score, dict):
        w.sink.error("measure-report", loc, f"a {scoring_code} measure's group has a measure score")
        return
    value = score.get("value")
    if value is None:
        alternate = next((e for e in objects(score.get("extension")) if e.get("url") == _ALTERNATE_SCORE), {})
        value = value_of(alternate)
    if scoring_code == "proportion":
        for part in ("unit", "system", "code"):
            if part in score:
                w.sink.error("measure-report", f"{where}.{part}", f"a proportion's score has no unit ({part})")
    if value is None:
        w.sink.error("measure-report", where, f"a {scoring_code} measure's score has a value")
        return
    if scoring_code != "proportion":
        _stated_unit(w, measure, score, where)
        return
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return
    if not Decimal(0) <= number <= Decimal(1):
        w.sink.error("measure-report", f"{where}.value", f"a proportion's score is from 0 to 1, not {value}")


def _stated_unit(w: Walker, measure: Json, score: Json, where: str) -> None:
    """MeasureValidator.validateScore, ratio and continuous-variable alike: the Measure's questionnaire-unit Coding
    fixes the score's code and system (MEASURE_MR_SCORE_FIXED), and a score without a code lacks it. A score with
    a code and no system is left: HL7 reads the absent system there (a NullPointerException), no verdict."""
    stated = next((e for e in objects(measure.get("extension")) if e.get("url") == _UNIT), None)
    unit = stated.get("valueCoding") if stated is not None else None
    if not isinstance(unit, dict) or not isinstance(unit.get("code"), str):
        return
    code, system = score.get("code"), score.get("system")
    if code is None:
        w.sink.error("measure-report", where, f"the score must be in the Measure's unit {unit['code']!r}")
        return
    if code != unit["code"]:
        w.sink.error("measure-report", f"{where}.code", f"the score's unit must be {unit['code']!r}, the Measure's")
    if system is not None and isinstance(unit.get("system"), str) and system != unit["system"]:
        w.sink.error("measure-report", where, f"the score's unit system must be {unit['system']!r}, the Measure's")
