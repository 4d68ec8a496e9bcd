"""A MeasureReport against its Measure: groups and stratifiers that match, subjects only in subject lists.

As HL7's validator, and only when the Measure is loaded (by canonical URL, or contained): a Measure and
a report of one group (or one stratifier in a group) are matched as they stand; otherwise each of the
report's groups (stratifiers) must carry a code that one of the Measure's has, and each of the Measure's
must appear in the report (unless the report has none of them at all: not judged). A population lists
its subjects (``subjectResults``) only in a report of type ``subject-list``. A matched group's populations
and score: measure_groups.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.fhirval import measure_groups
from conformance.fhirval.source import Json, canonical_resource

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker


def _list(value: Any) -> list[Json]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def check_report(w: Walker, report: Json, loc: str) -> None:
    url = report.get("measure")
    if not isinstance(url, str):
        return
    if url.startswith("#"):
        measure = next((c for c in _list(report.get("contained")) if c.get("id") == url[1:]), None)
    else:
        measure = canonical_resource(w.model.source, "Measure", url)
    if measure is None or measure.get("resourceType") != "Measure":
        return
    subject_list = report.get("type") == "subject-list"
    pairs = _match(w, _list(measure.get("group")), _list(report.get("group")), loc, "group", "group")
    for i, (defined, group) in enumerate(pairs):
        where = f"{loc}.group[{i}]"
        if group is None:
            continue
        if defined is not None:
            _match(w, _list(defined.get("stratifier")), _list(group.get("stratifier")), where, "stratifier",
                   "group stratifier")
            measure_groups.check_group(w, measure, defined, group, report, where)
        for j, population in enumerate(_list(group.get("population"))):
            if population.get("subjectResults") is not None and not subject_list:
                w.sink.error("measure-report", f"{where}.population[{j}]",
                             "subjects are listed (subjectResults), but the report's type is not 'subject-list'")


def _match(w: Walker, defined: list[Json], reported: list[Json], loc: str, name: str,
           what: str) -> list[tuple[Json | None, Json | None]]:
    """Each reported item with the definition it reports on (None: none), reporting those that match none and
    the definitions nothing reports on."""
    if len(defined) == 1 and len(reported) == 1:
        return [(defined[0], reported[0])]
    if not reported:  # none at all: whether that is an error was not seen in HL7's cases, so it is not judged
        return []
    out: list[tuple[Json | None, Json | None]] = []
    used: set[int] = set()
    for i, item in enumerate(reported):
        hit = next((k for k, d in enumerate(defined) if _same_code(d.get("code"), item.get("code"))), None)
        if hit is None:
            w.sink.error("measure-report", f"{loc}.{name}[{i}]", f"this {name} has no code that matches a {what} "
                                                                 "definition in the Measure")
            out.append((None, item))
            continue
        used.add(hit)
        out.append((defined[hit], item))
    for k, d in enumerate(defined):
        if k not in used:
            label = _label(d.get("code"))
            ident = f" (id {d['id']!r})" if isinstance(d.get("id"), str) else ""
            w.sink.error("measure-report", loc, f"the report has no {name} for the Measure's {name} with code "
                                                f"{label!r}{ident}")
    return out


def _same_code(a: Any, b: Any) -> bool:
    """CodeableConcepts that share a coding (system and code), or that are text alone and say the same."""
    if not isinstance(a, dict) or not isinstance(b, dict):
        return False
    codes = {(c.get("system"), c.get("code")) for c in _list(a.get("coding")) if c.get("code")}
    if codes & {(c.get("system"), c.get("code")) for c in _list(b.get("coding"))}:
        return True
    return not codes and not _list(b.get("coding")) and bool(a.get("text")) and a.get("text") == b.get("text")


def _label(code: Any) -> str:
    if not isinstance(code, dict):
        return ""
    coding = next(iter(_list(code.get("coding"))), {})
    return str(coding.get("code") or code.get("text") or "")
