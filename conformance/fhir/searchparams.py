"""FHIR R4 search parameters: what each one indexes in a resource, as comparable values.

The table is generated from the official SearchParameter definitions (scripts/gen_fhir_tables.py).
Expressions are evaluated with fhirpathpy; this module only turns what they select into the four
shapes searching compares (strings, tokens, date ranges, references). The suite uses it to build
queries that must find the resource it wrote; the sandbox uses it to answer them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from importlib import resources
from typing import Any

from fhirpathpy import compile as fp_compile
from fhirpathpy.models import models

_RESOLVE_IS = re.compile(r"\.where\(resolve\(\) is (\w+)\)")


@dataclass(frozen=True)
class SearchParam:
    resource_type: str
    code: str
    type: str
    expression: str
    target: tuple[str, ...] = ()


@cache
def table() -> dict[str, dict[str, dict[str, Any]]]:
    text = resources.files("conformance.fhir").joinpath("data/search-parameters.json").read_text()
    data: dict[str, dict[str, dict[str, Any]]] = json.loads(text)
    return data


def lookup(resource_type: str, code: str) -> SearchParam | None:
    row = table().get(resource_type, {}).get(code) or table()["Resource"].get(code)
    if row is None:
        return None
    expression = str(row["expression"]).replace("Resource.", f"{resource_type}.")
    return SearchParam(resource_type, code, str(row["type"]), expression, tuple(row.get("target", ())))


@cache
def _compiled(expression: str) -> tuple[Callable[..., list[Any]], str | None]:
    """Compile once; ``.where(resolve() is X)`` cannot resolve offline, so it becomes a type filter."""
    only = None
    match = _RESOLVE_IS.search(expression)
    if match:
        only = match.group(1)
        expression = _RESOLVE_IS.sub("", expression)
    fn: Callable[..., list[Any]] = fp_compile(expression, models["r4"])
    return fn, only


def select(resource: dict[str, Any], param: SearchParam) -> list[Any]:
    if not param.expression:
        return []
    fn, only = _compiled(param.expression)
    try:
        found = fn(resource)
    except Exception:  # noqa: BLE001 - fhirpathpy raises plain exceptions on data it cannot walk
        return []
    if only:
        found = [v for v in found if isinstance(v, dict) and _ref_type(v) == only]
    return list(found)


def strings(resource: dict[str, Any], param: SearchParam) -> list[str]:
    out: list[str] = []
    for value in select(resource, param):
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            for key in ("text", "family", "given", "prefix", "suffix", "line", "city", "district",
                        "state", "postalCode", "country", "display", "value"):
                item = value.get(key)
                listed = item if isinstance(item, list) else []
                out.extend([item] if isinstance(item, str) else [i for i in listed if isinstance(i, str)])
    return out


_CONTACT_SYSTEMS = frozenset({"phone", "fax", "email", "pager", "url", "sms", "other"})


def tokens(resource: dict[str, Any], param: SearchParam) -> list[tuple[str | None, str]]:
    """(system, code) pairs; system None where the data type has none (code, boolean, string)."""
    out: list[tuple[str | None, str]] = []
    for value in select(resource, param):
        if isinstance(value, bool):
            out.append((None, "true" if value else "false"))
        elif isinstance(value, str):
            out.append((None, value))
        elif isinstance(value, dict):
            # Data from a server: a ``coding`` that is not a list of objects, or a system that is not a
            # string, is no token (the resource is malformed; judging it is another check's business).
            codings = value.get("coding") if "coding" in value else [value]
            for coding in codings if isinstance(codings, list) else []:
                if not isinstance(coding, dict):
                    continue
                code = coding.get("code", coding.get("value"))
                system = coding.get("system")
                if not isinstance(code, str) or not (system is None or isinstance(system, str)):
                    continue
                if "code" not in coding and system in _CONTACT_SYSTEMS:
                    system = None  # a ContactPoint: its system (phone, email...) is not a token system
                out.append((system, code))
    return out


def references(resource: dict[str, Any], param: SearchParam) -> list[str]:
    return [v["reference"] for v in select(resource, param)
            if isinstance(v, dict) and isinstance(v.get("reference"), str)]


def dates(resource: dict[str, Any], param: SearchParam) -> list[tuple[datetime, datetime]]:
    """Each value as the half-open range of instants it covers (a date covers its whole day)."""
    out: list[tuple[datetime, datetime]] = []
    for value in select(resource, param):
        if isinstance(value, str):
            rng = date_range(value)
            if rng:
                out.append(rng)
        elif isinstance(value, dict) and ("start" in value or "end" in value):
            start = date_range(value["start"]) if isinstance(value.get("start"), str) else None
            end = date_range(value["end"]) if isinstance(value.get("end"), str) else None
            out.append((start[0] if start else datetime.min.replace(tzinfo=UTC),
                        end[1] if end else datetime.max.replace(tzinfo=UTC)))
    return out


_DATE = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


def date_range(text: str) -> tuple[datetime, datetime] | None:
    """The range a FHIR date/dateTime/instant (or a search value) denotes, in UTC; None if malformed.

    Precision matters for searching: ``2020`` is all of 2020, ``2020-03-04`` all of that day.
    A time without zone is taken as UTC (the spec leaves it to the server; the sandbox uses UTC).
    """
    m = _DATE.match(text.strip())
    if not m:
        return None
    year, month, day, hh, mm, ss, tz = m.groups()
    tzinfo = UTC
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        tzinfo = timezone(sign * timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6])))
    try:
        start = datetime(int(year), int(month or 1), int(day or 1), int(hh or 0), int(mm or 0),
                         int(ss or 0), tzinfo=tzinfo)
    except ValueError:
        return None
    if hh is not None:
        end = start + (timedelta(seconds=1) if ss is not None else timedelta(minutes=1))
    elif day is not None:
        end = start + timedelta(days=1)
    elif month is not None:
        end = start.replace(year=start.year + (start.month == 12), month=start.month % 12 + 1)
    else:
        end = start.replace(year=start.year + 1)
    return start.astimezone(UTC), end.astimezone(UTC)


def _ref_type(value: dict[str, Any]) -> str | None:
    ref = value.get("reference")
    if isinstance(ref, str) and "/" in ref:
        return ref.rstrip("/").split("/")[-2] if "/_history/" not in ref else ref.split("/")[-4]
    t = value.get("type")
    return t if isinstance(t, str) else None
