"""Type-level search, generic over the declared parameters (search.html).

Each declared parameter is evaluated with conformance.fhir.searchparams (FHIRPath expression ->
strings, tokens, date ranges, references) and compared by its type's rules. Paging is offset based:
links carry ``_offset`` and re-run the query, which is enough for an in-memory store.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from conformance.fhir import searchparams as sp
from conformance.sandbox.bedside_faults import (
    BEDSIDE_IDENTIFIER_LEADING_ZERO_DROPPED,
    BEDSIDE_IDENTIFIER_PREFIX_MATCH,
    BEDSIDE_LOT_NUMBER_IGNORED,
)
from conformance.sandbox.faults import (
    SEARCH_DATE_PREFIX_IGNORED,
    SEARCH_REFERENCE_IGNORED,
    SEARCH_STRING_IGNORED,
    SEARCH_TOKEN_IGNORES_SYSTEM,
    SELF_LINK_NAMES_IGNORED,
    UNKNOWN_PARAM_500,
    Faults,
)
from conformance.sandbox.fhir.capability import declared, includes, revincludes
from conformance.sandbox.fhir.responses import FhirError

DEFAULT_COUNT = 50
MAX_COUNT = 500
# Result parameters the sandbox accepts and ignores (they only shape output it always gives in full).
IGNORED = {"_format", "_pretty", "_summary", "_elements", "_total", "_sort", "_contained", "_containedType"}
_MODIFIERS = {"string": {"exact", "contains", "missing"}, "token": {"not", "missing"},
              "date": {"missing"}, "reference": {"missing"}}
_PREFIXES = {"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"}


@dataclass
class Query:
    rtype: str
    filters: list[tuple[sp.SearchParam, str, str]] = field(default_factory=list)
    used: list[tuple[str, str]] = field(default_factory=list)
    count: int | None = None
    offset: int = 0
    include: list[str] = field(default_factory=list)
    revinclude: list[str] = field(default_factory=list)


class UnknownParamCrash(Exception):
    """Raised under the unknown-param-500 fault, to be answered as a 500."""


def parse(rtype: str, items: list[tuple[str, str]], strict: bool, faults: Faults) -> Query:
    """Split request parameters into filters and controls; unknown ones are ignored or (strict) refused."""
    query = Query(rtype)
    for name, value in items:
        if name in IGNORED:
            continue
        if name in ("_count", "_offset"):
            if not value.isdigit():
                raise FhirError(400, f"{name} must be a non-negative integer, not {value!r}", "invalid")
            if name == "_count":
                query.count = min(int(value), MAX_COUNT)
            else:
                query.offset = int(value)
            continue
        if name in ("_include", "_revinclude"):
            allowed = includes(rtype) if name == "_include" else revincludes(rtype)
            if ":".join(value.split(":")[:2]) in allowed:
                (query.include if name == "_include" else query.revinclude).append(value)
                query.used.append((name, value))
            elif strict:
                raise FhirError(400, f"{name}={value} is not supported for {rtype}", "not-supported")
            continue
        code, _, modifier = name.partition(":")
        param = declared(rtype, code)
        if param is None:
            if faults.on(UNKNOWN_PARAM_500):
                raise UnknownParamCrash(name)
            if strict:
                raise FhirError(400, f"unknown search parameter {name!r} for {rtype}", "not-supported")
            if faults.on(SELF_LINK_NAMES_IGNORED):
                query.used.append((name, value))
            continue
        if modifier and modifier not in _MODIFIERS[param.type] and not (
                param.type == "reference" and modifier in param.target):
            raise FhirError(400, f"modifier :{modifier} is not supported on {code}", "not-supported")
        query.filters.append((param, modifier, value))
        query.used.append((name, value))
    return query


def run(query: Query, resources: list[dict[str, Any]], base: str, faults: Faults) -> list[dict[str, Any]]:
    return [r for r in resources if all(_matches(r, p, m, v, base, faults) for p, m, v in query.filters)]


def link(base: str, query: Query, offset: int, count: int | None) -> str:
    items = list(query.used)
    if count is not None:
        items.append(("_count", str(count)))
    if offset:
        items.append(("_offset", str(offset)))
    text = urlencode(items, safe=":/|,")
    return f"{base}/{query.rtype}" + (f"?{text}" if text else "")


def _matches(resource: dict[str, Any], param: sp.SearchParam, modifier: str, value: str, base: str,
             faults: Faults) -> bool:
    if modifier == "missing":
        present = bool(sp.select(resource, param))
        return present == (value.lower() != "true")
    ors = [v.replace("\\,", ",") for v in _split(value)]
    kind = param.type
    if kind == "string":
        if faults.on(SEARCH_STRING_IGNORED):
            return True
        have = sp.strings(resource, param)
        return any(_string_match(h, v, modifier) for v in ors for h in have)
    if kind == "token":
        if param.code == "lot-number" and faults.on(BEDSIDE_LOT_NUMBER_IGNORED):
            return True
        pairs = _bedside_tokens(sp.tokens(resource, param), param, ors, faults)
        found = any(_token_match(pairs, v, faults) for v in ors)
        return not found if modifier == "not" else found
    if kind == "date":
        ranges = sp.dates(resource, param)
        return any(_date_match(ranges, v, faults) for v in ors)
    if kind == "reference":
        if faults.on(SEARCH_REFERENCE_IGNORED):
            return True
        refs = [local_reference(r, base) for r in sp.references(resource, param)]
        return any(_reference_match(refs, v, modifier, base) for v in ors)
    return False


def _split(value: str) -> list[str]:
    parts, current, escaped = [], "", False
    for ch in value:
        if ch == "," and not escaped:
            parts.append(current)
            current = ""
        else:
            current += ch
        escaped = ch == "\\" and not escaped
    parts.append(current)
    return parts


def _fold(text: str) -> str:
    """Case- and accent-insensitive form for string search (``Zoë`` matches ``zoe``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _string_match(have: str, wanted: str, modifier: str) -> bool:
    if modifier == "exact":
        return have == wanted
    if modifier == "contains":
        return _fold(wanted) in _fold(have)
    return _fold(have).startswith(_fold(wanted))


def _bedside_tokens(pairs: list[tuple[str | None, str]], param: sp.SearchParam, wanted: list[str],
                    faults: Faults) -> list[tuple[str | None, str]]:
    """Identifier values as a faulty server compares them: cut to the searched length, or as numbers."""
    if param.code != "identifier":
        return pairs
    if faults.on(BEDSIDE_IDENTIFIER_PREFIX_MATCH):
        lengths = {len(v.partition("|")[2] if "|" in v else v) for v in wanted}
        pairs = [*pairs, *((s, c[:n]) for s, c in pairs for n in lengths if 0 < n < len(c))]
    if faults.on(BEDSIDE_IDENTIFIER_LEADING_ZERO_DROPPED):
        pairs = [*pairs, *((s, c.lstrip("0")) for s, c in pairs if c.isdigit())]
        pairs = [*pairs, *((s, "0" + c) for s, c in pairs if c.isdigit())]
    return pairs


def _token_match(pairs: list[tuple[str | None, str]], value: str, faults: Faults) -> bool:
    if "|" not in value:
        return any(code == value for _, code in pairs)
    system, _, code = value.partition("|")
    if faults.on(SEARCH_TOKEN_IGNORES_SYSTEM):
        return any(c == code for _, c in pairs) if code else bool(pairs)
    if not system:
        return any(s is None and c == code for s, c in pairs)
    if not code:
        return any(s == system for s, _ in pairs)
    return (system, code) in pairs


def _date_match(ranges: list[tuple[datetime, datetime]], value: str, faults: Faults) -> bool:
    prefix = value[:2] if value[:2] in _PREFIXES else "eq"
    # An unencoded "+" of a zone offset arrives as a space; read it as the "+" it was.
    text = (value[2:] if value[:2] in _PREFIXES else value).replace(" ", "+")
    wanted = sp.date_range(text)
    if wanted is None:
        raise FhirError(400, f"{value!r} is not a valid date search value", "invalid")
    if faults.on(SEARCH_DATE_PREFIX_IGNORED):
        prefix = "eq"
    s0, s1 = wanted
    for r0, r1 in ranges:
        inside = s0 <= r0 and r1 <= s1
        hit = {
            "eq": inside, "ne": not inside, "gt": r1 > s1, "lt": r0 < s0,
            "ge": r1 > s1 or inside, "le": r0 < s0 or inside,
            "sa": r0 >= s1, "eb": r1 <= s0, "ap": r0 < s1 and r1 > s0,
        }[prefix]
        if hit:
            return True
    return False


def local_reference(ref: str, base: str) -> str:
    """A reference as ``Type/id`` when it points into this server, else unchanged."""
    if ref.startswith(base + "/"):
        ref = ref[len(base) + 1:]
    return ref.split("/_history/")[0]


def _reference_match(refs: list[str], value: str, modifier: str, base: str) -> bool:
    wanted = local_reference(value, base)
    if modifier and "/" not in wanted:
        wanted = f"{modifier}/{wanted}"
    if "/" not in wanted:
        return any(r.rsplit("/", 1)[-1] == wanted for r in refs)
    return wanted in refs
