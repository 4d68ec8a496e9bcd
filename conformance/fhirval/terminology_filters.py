"""ValueSet ``compose`` filters over one loaded CodeSystem, as pure functions of its concept tables.

Kept apart from the expansion so each operator can be tested on a small table. Every function answers
the set of codes selected, or None when the filter cannot be followed here (an operator or property we
do not know, a regex Python cannot compile): the caller then leaves the system open, so a code of it is
not judged rather than judged wrongly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from conformance.fhirval.bounds import compiled_regex
from conformance.fhirval.source import Json, value_of

# code -> child codes (the ``concept`` nesting and ``subsumedBy``/``parent`` properties)
Hierarchy = dict[str, list[str]]
# code -> property code -> values as text (``code``, ``display``, ``parent`` included)
Properties = dict[str, dict[str, set[str]]]

_CONCEPT = frozenset({"concept", "code"})  # the property naming the concept itself


def as_list(value: object) -> list[Any]:
    """``value`` when it is a list, else no items (a malformed shape is reported by the resource's own walk)."""
    return value if isinstance(value, list) else []


def walk(concepts: object) -> Iterator[tuple[Json, list[Json]]]:
    """Every concept of a nested ``concept`` list with its direct children, depth first (a malformed shape,
    reported by the walk of the CodeSystem itself, has none)."""
    for c in concepts if isinstance(concepts, list) else ():
        if not isinstance(c, dict):
            continue
        kids = c.get("concept")
        kids = kids if isinstance(kids, list) else []
        yield c, kids
        yield from walk(kids)


def walk_contains(contains: object) -> Iterator[tuple[Json, list[Json]]]:
    """Every entry of a stored ``expansion.contains`` tree with its direct children."""
    for c in contains if isinstance(contains, list) else ():
        if not isinstance(c, dict):
            continue
        kids = c.get("contains")
        kids = kids if isinstance(kids, list) else []
        yield c, kids
        yield from walk_contains(kids)


def _value_text(p: Json) -> str | None:
    value = value_of(p)
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):  # valueCoding: compared by its code
        code = value.get("code")
        return code if isinstance(code, str) else None
    return str(value)


def hierarchy(cs: Json, concepts: dict[str, Json] | None = None) -> Hierarchy:
    """code -> child codes, from the ``concept`` nesting (cheap: every binding check of the system needs it),
    and from ``parent`` / ``subsumedBy`` properties when the CodeSystem declares either; ``concepts``, when
    given, is filled with code -> concept in the same pass."""
    children: Hierarchy = {}
    stack = [cs.get("concept")]
    while stack:  # a loop, not walk(): this runs for every CodeSystem a binding touches
        level = stack.pop()
        if type(level) is not list:
            continue
        for concept in level:
            code = concept.get("code") if type(concept) is dict else None
            if type(code) is not str:
                continue
            kids = concept.get("concept")
            if kids and type(kids) is list:
                children[code] = [k["code"] for k in kids if type(k) is dict and type(k.get("code")) is str]
                stack.append(kids)
            elif code not in children:
                children[code] = []
            if concepts is not None:
                concepts[code] = concept
    declared = {p.get("code") for p in as_list(cs.get("property")) if isinstance(p, dict)}
    if declared & {"parent", "subsumedBy"}:
        for code, values in properties(cs).items():
            for parent in values.get("parent", set()) | values.get("subsumedBy", set()):
                if parent in children and code not in children[parent]:
                    children[parent].append(code)
    return children


def properties(cs: Json) -> Properties:
    """code -> property -> values as text, for property filters (``code``, ``display`` and ``parent`` too)."""
    props: Properties = {}
    for concept, kids in walk(cs.get("concept") or []):
        code = concept.get("code")
        if not isinstance(code, str):
            continue
        mine = props.setdefault(code, {})
        mine.setdefault("code", set()).add(code)
        if isinstance(concept.get("display"), str):
            mine.setdefault("display", set()).add(concept["display"])
        for p in as_list(concept.get("property")):
            text = _value_text(p) if isinstance(p, dict) else None
            if isinstance(p, dict) and isinstance(p.get("code"), str) and text is not None:
                mine.setdefault(p["code"], set()).add(text)
        for kid in kids:
            if isinstance(kid, dict) and isinstance(kid.get("code"), str):
                props.setdefault(kid["code"], {}).setdefault("parent", set()).add(code)
    return props


def _descendants(children: Hierarchy, value: str) -> set[str]:
    found: set[str] = set()
    stack = list(children.get(value, ()))
    while stack:
        code = stack.pop()
        if code not in found:
            found.add(code)
            stack.extend(children.get(code, ()))
    return found


def _ancestors(children: Hierarchy, value: str) -> set[str]:
    parents: dict[str, set[str]] = {}
    for code, kids in children.items():
        for kid in kids:
            parents.setdefault(kid, set()).add(code)
    found: set[str] = set()
    stack = [value] if value in children else []
    while stack:
        code = stack.pop()
        if code not in found:
            found.add(code)
            stack.extend(parents.get(code, ()))
    return found


def _values(text: str) -> set[str]:
    return {v.strip() for v in text.split(",") if v.strip()}


def apply(children: Hierarchy, table: Callable[[], Properties], f: Json) -> set[str] | None:
    """The codes one filter selects, or None when it is not followed here; ``table`` gives the property
    table, built only for a filter on a property."""
    op, prop, value = f.get("op"), f.get("property"), f.get("value")
    if not isinstance(prop, str) or not isinstance(value, str):
        return None
    everything = set(children)
    if prop in _CONCEPT and op in ("is-a", "descendent-of", "is-not-a", "generalizes", "child-of"):
        if op == "generalizes":
            return _ancestors(children, value)
        if op == "child-of":
            return set(children.get(value, ()))
        below = _descendants(children, value)
        if op == "is-a":
            return below | ({value} & everything)
        if op == "is-not-a":
            return everything - below - {value}
        return below
    column = "code" if prop in _CONCEPT else prop
    if column == "code" and op in ("=", "in", "not-in"):  # on the code itself: no property table needed
        wanted = {value} if op == "=" else _values(value)
        return everything - wanted if op == "not-in" else wanted & everything
    props = table()
    if op == "exists":
        want = value == "true"
        return {c for c, p in props.items() if (column in p) == want}
    if op in ("=", "in", "not-in"):
        wanted = {value} if op == "=" else _values(value)
        hit = {c for c, p in props.items() if p.get(column, set()) & wanted}
        return everything - hit if op == "not-in" else hit
    if op == "regex":  # HL7's PropertyFilter: RegexTimeout.matches, a Java regex (compiled_regex: its flags)
        pattern = compiled_regex(value)
        if pattern is None:
            return None
        return {c for c, p in props.items() if any(pattern.fullmatch(v) for v in p.get(column, ()))}
    return None


def any_case(children: Hierarchy, f: Json) -> set[str]:
    """The codes a filter selects when the instance writes them in another case, in a CodeSystem that is not
    case-sensitive (ValueSetValidator.codeInConceptIsAFilter: the filter's own value compares with ``equals``,
    its descendants are found by findCodeInConcept, which ignores case there): a ``concept`` is-a or descendent-of
    filter's descendants, and for is-not-a every code that is not one (the value itself included). Any other
    filter compares the code as written (codeInRegexFilter) or looks its concept up exactly (getProperty): none."""
    op, prop, value = f.get("op"), f.get("property"), f.get("value")
    if prop != "concept" or not isinstance(value, str) or op not in ("is-a", "descendent-of", "is-not-a"):
        return set()
    below = _descendants(children, value)
    return set(children) - below if op == "is-not-a" else below
