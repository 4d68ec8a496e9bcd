"""A MeasureReport against its Measure: groups and stratifiers that match, subjects only in subject lists.

As HL7's MeasureValidator (``validateMeasureReportGroups``, ``validateMeasureReportGroupStratifiers``), and only
when the Measure is loaded (by canonical URL, or contained): a Measure without groups has its report's groups left
alone. A Measure and a report of one group each are matched as they stand, their codes compared when both have one
(the report's needs a coding with system and code: MEASURE_MR_GRP_NO_USABLE_CODE; one the Measure's group has:
_NO_WRONG_CODE). Otherwise each of the report's groups carries a code (_NO_CODE) that one of the Measure's has by
coding (_UNK_CODE), once (_DUPL_CODE), and each of the Measure's groups is reported, even when the report has none,
unless the report is a ``data-collection`` (_MISSING_BY_CODE). A matched group's stratifiers likewise, matched by
coding, or by text when neither has a coding, with no one-to-one case and no exemption (MEASURE_MR_GRP_STRAT_*).
A population lists its subjects (``subjectResults``) only in a report of type ``subject-list``, and there its
``count`` is the number of subjects listed when they can be counted (MEASURE_MR_GRP_POP_COUNT_MISMATCH). A matched
group's populations and score: measure_groups.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.fhirval import measure_groups
from conformance.fhirval.source import Json, canonical_resource, objects

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker


def check_report(w: Walker, report: Json, loc: str) -> None:
    url = report.get("measure")
    if not isinstance(url, str):
        return
    if url.startswith("#"):
        measure = next((c for c in objects(report.get("contained")) if c.get("id") == url[1:]), None)
    else:
        measure = canonical_resource(w.model.source, "Measure", url)
    if measure is None or measure.get("resourceType") != "Measure":
        return
    subject_list = report.get("type") == "subject-list"
    for i, (defined, group) in enumerate(_groups(w, measure, report, loc)):
        if defined is None:
            continue
        where = f"{loc}.group[{i}]"
        _stratifiers(w, objects(defined.get("stratifier")), objects(group.get("stratifier")), where)
        measure_groups.check_group(w, measure, defined, group, report, where)
        for j, population in enumerate(objects(group.get("population"))):
            if population.get("subjectResults") is None:
                continue
            if not subject_list:
                w.sink.error("measure-report", f"{where}.population[{j}]",
                             "subjects are listed (subjectResults), but the report's type is not 'subject-list'")
            else:
                _check_count(w, population, f"{where}.population[{j}]")


_SUBJECT_TYPES = frozenset({"Patient", "Practitioner", "Person", "PractitionerRole", "RelatedPerson"})


def _check_count(w: Walker, population: Json, where: str) -> None:
    """A subject-list population's ``count`` is the number of subjects its ``subjectResults`` lists, when that can
    be counted: a List found here (contained or in the Bundle) counts its entries, a reference to a person counts
    one, anything else is not counted (validateMeasureReportGroupPopulation, addToSubjectCount:
    MEASURE_MR_GRP_POP_COUNT_MISMATCH; what cannot be counted is only HL7's hint)."""
    count, results = population.get("count"), population.get("subjectResults")
    ref = results.get("reference") if isinstance(results, dict) else None
    if not isinstance(count, int) or isinstance(count, bool) or not isinstance(ref, str):
        return
    target = w.resolve(ref)
    if isinstance(target, dict):
        kind = target.get("resourceType")
        person = isinstance(kind, str) and kind in _SUBJECT_TYPES
        subjects = len(objects(target.get("entry"))) if kind == "List" else 1 if person else None
    else:
        parts = ref.split("/")
        subjects = 1 if len(parts) == 2 and parts[0] in _SUBJECT_TYPES else None
    if subjects is not None and subjects != count:
        w.sink.error("measure-report", where, f"the population's count is {count}, but its subject list "
                                              f"({ref}) has {subjects}")


def _groups(w: Walker, measure: Json, report: Json, loc: str) -> list[tuple[Json | None, Json]]:
    """The report's groups, each with the Measure's group it reports on (None: none, reported here), in report
    order."""
    defined, reported = objects(measure.get("group")), objects(report.get("group"))
    if not defined:
        return []  # "only validate the report groups if the measure has groups"
    if len(defined) == 1 and len(reported) == 1:
        mine, theirs = reported[0].get("code"), defined[0].get("code")
        if isinstance(mine, dict) and isinstance(theirs, dict):
            if not any(c.get("system") and c.get("code") for c in objects(mine.get("coding"))):
                w.sink.error("measure-report", f"{loc}.group[0]", "the group's code has no coding with a system and "
                                                                  "a code")
            elif not measure_groups.codings(mine) & measure_groups.codings(theirs):
                w.sink.error("measure-report", f"{loc}.group[0]", f"the group's code is not the code "
                                                                  f"{_label(theirs)!r} of the Measure's group")
        return [(defined[0], reported[0])]
    pairs = _match(w, defined, reported, loc, "group", "group", by_text=False)
    if report.get("type") != "data-collection":
        _missing(w, defined, pairs, loc, "group")
    return pairs


def _stratifiers(w: Walker, defined: list[Json], reported: list[Json], loc: str) -> None:
    pairs = _match(w, defined, reported, loc, "stratifier", "group stratifier", by_text=True)
    _missing(w, defined, pairs, loc, "stratifier")


def _match(w: Walker, defined: list[Json], reported: list[Json], loc: str, name: str, what: str,
           by_text: bool) -> list[tuple[Json | None, Json]]:
    """Each reported item with the definition it reports on (None: none), reporting one without a code, one
    whose code no definition has, and a definition reported twice."""
    out: list[tuple[Json | None, Json]] = []
    used: set[int] = set()
    for i, item in enumerate(reported):
        where = f"{loc}.{name}[{i}]"
        code = _first(item.get("code"))
        if code is None:
            w.sink.error("measure-report", where, f"this {name} of a report on a Measure has no code")
            out.append((None, item))
            continue
        hit = next((k for k, d in enumerate(defined) if _same_code(_first(d.get("code")), code, by_text)), None)
        if hit is None:
            w.sink.error("measure-report", where, f"this {name} has no code that matches a {what} "
                                                  "definition in the Measure")
        elif hit in used:
            w.sink.error("measure-report", where, f"the Measure's {name} this {name} reports on is reported twice")
            hit = None
        else:
            used.add(hit)
        out.append((defined[hit] if hit is not None else None, item))
    return out


def _missing(w: Walker, defined: list[Json], pairs: list[tuple[Json | None, Json]], loc: str, name: str) -> None:
    """Each definition no reported item matched (MEASURE_MR_GRP_MISSING_BY_CODE, _STRAT_MISSING_BY_CODE)."""
    matched = {id(d) for d, _ in pairs if d is not None}
    for d in defined:
        if id(d) not in matched:
            ident = f" (id {d['id']!r})" if isinstance(d.get("id"), str) else ""
            w.sink.error("measure-report", loc, f"the report has no {name} for the Measure's {name} with code "
                                                f"{_label(d.get('code'))!r}{ident}")


def _first(code: Any) -> Json | None:
    """The code as HL7's ObjectConverter.readAsCodeableConcept reads it: a report stratifier's ``code`` repeats in
    R4 (0..*), and the first is the one compared."""
    if isinstance(code, list):
        code = next((c for c in code if isinstance(c, dict)), None)
    return code if isinstance(code, dict) else None


def _same_code(defined: Any, reported: Any, by_text: bool) -> bool:
    """The definition's code shares a coding (system and code) with the reported one; for a stratifier, also
    both without codings and with the same text (getGroupStratifierForCode; getGroupForCode has no text case)."""
    if not isinstance(defined, dict) or not isinstance(reported, dict):
        return False
    if {c for c in measure_groups.codings(defined) if c[1]} & measure_groups.codings(reported):
        return True
    return (by_text and not objects(defined.get("coding")) and not objects(reported.get("coding"))
            and bool(defined.get("text")) and defined.get("text") == reported.get("text"))


def _label(code: Any) -> str:
    if not isinstance(code, dict):
        return ""
    coding = next(iter(objects(code.get("coding"))), {})
    return str(coding.get("code") or code.get("text") or "")
