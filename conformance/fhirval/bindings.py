"""Terminology bindings, checked only against ValueSets and CodeSystems the source holds locally.

Never a network call: a code from a system we do not hold (SNOMED CT, LOINC, UCUM...) cannot be
judged, so it is reported as information, not as an error. ValueSets are expanded once each from
``compose`` (include/exclude of whole systems, listed concepts, imported ValueSets, and filters: on the
concept hierarchy ``is-a`` / ``descendent-of`` / ``is-not-a`` / ``generalizes``, on the code or any
concept property ``=`` / ``in`` / ``not-in`` / ``regex`` / ``exists``) or read from a stored ``expansion``.
A filter that cannot be followed leaves the system open: any code of it is then not judged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from conformance.fhirval.issues import Sink
from conformance.fhirval.source import DefinitionSource, Json

_IN_PROGRESS = object()


@dataclass
class Expansion:
    """Codes by system; ``open_systems`` are systems whose codes we cannot enumerate (any code may be in)."""

    codes: dict[str, set[str]] = field(default_factory=dict)
    open_systems: set[str] = field(default_factory=set)
    complete: bool = True  # False when part of the definition could not be followed (unknown import, filter)

    def add(self, system: str, codes: set[str]) -> None:
        self.codes.setdefault(system, set()).update(codes)

    def contains(self, system: str | None, code: str) -> bool | None:
        """True / False, or None when it cannot be known locally."""
        if system is None:
            if any(code in codes for codes in self.codes.values()):
                return True
            return None if self.open_systems or not self.complete else False
        if code in self.codes.get(system, ()):
            return True
        if system in self.open_systems or not self.complete:
            return None
        return False


def _walk(concepts: list[Json]) -> Iterator[tuple[Json, list[Json]]]:
    for c in concepts:
        yield c, c.get("concept") or []
        yield from _walk(c.get("concept") or [])


class Terminology:
    """Local code lookups and ValueSet expansions for one DefinitionSource, cached."""

    def __init__(self, source: DefinitionSource) -> None:
        self.source = source
        self._systems: dict[str, dict[str, list[str]] | None] = {}
        self._expansions: dict[str, object] = {}
        self._value_set_only: dict[str, bool] = {}
        self._properties: dict[str, dict[str, dict[str, set[str]]]] = {}

    def system_codes(self, system: str) -> dict[str, list[str]] | None:
        """code -> child codes, for a complete CodeSystem we hold; None otherwise."""
        if system in self._systems:
            return self._systems[system]
        cs = self.source.code_system(system)
        table: dict[str, list[str]] | None = None
        if cs is not None and cs.get("content", "complete") == "complete":
            table = {}
            for concept, children in _walk(cs.get("concept") or []):
                code = concept.get("code")
                if isinstance(code, str):
                    table[code] = [k["code"] for k in children if isinstance(k.get("code"), str)]
        self._systems[system] = table
        return table

    def names_value_set_only(self, system: str) -> bool:
        """Whether ``system`` is the URL of a ValueSet we hold and of no CodeSystem (a common mistake)."""
        hit = self._value_set_only.get(system)
        if hit is None:
            hit = self.source.value_set(system) is not None and self.source.code_system(system) is None
            self._value_set_only[system] = hit
        return hit

    def known_system(self, system: str) -> bool:
        return self.system_codes(system) is not None

    def code_in_system(self, system: str, code: str) -> bool | None:
        table = self.system_codes(system)
        if table is None:
            return None
        return code in table

    def expand(self, url: str) -> Expansion | None:
        """The ValueSet's expansion, or None when the ValueSet is not held locally."""
        hit = self._expansions.get(url)
        if hit is _IN_PROGRESS:
            return Expansion(complete=False)  # a ValueSet importing itself: give up on that branch
        if hit is not None:
            return hit if isinstance(hit, Expansion) else None
        vs = self.source.value_set(url)
        if vs is None:
            self._expansions[url] = False
            return None
        self._expansions[url] = _IN_PROGRESS
        try:
            result = self._expand(vs)
        finally:
            self._expansions.pop(url, None)
        self._expansions[url] = result
        return result

    def _expand(self, vs: Json) -> Expansion:
        out = Expansion()
        compose = vs.get("compose")
        if not isinstance(compose, dict):
            contains = (vs.get("expansion") or {}).get("contains")
            if contains is None:
                out.complete = False
            for item, _ in _walk_contains(contains or []):
                if isinstance(item.get("system"), str) and isinstance(item.get("code"), str):
                    out.add(item["system"], {item["code"]})
            return out
        for include in compose.get("include") or ():
            self._include(include, out)
        for exclude in compose.get("exclude") or ():
            excluded = Expansion()
            self._include(exclude, excluded)
            for system, codes in excluded.codes.items():
                out.codes.get(system, set()).difference_update(codes)
        return out

    def _include(self, include: Json, out: Expansion) -> None:
        system = include.get("system")
        imported = [self.expand(u) for u in include.get("valueSet") or ()]
        if any(x is None for x in imported):
            out.complete = False
        for sub in imported:
            if sub is None:
                continue
            for sys_url, codes in sub.codes.items():
                if system is None or sys_url == system:
                    out.add(sys_url, codes)
            out.open_systems |= sub.open_systems
            out.complete &= sub.complete
        if not isinstance(system, str):
            return
        concepts = include.get("concept")
        filters = include.get("filter")
        if concepts:
            out.add(system, {c["code"] for c in concepts if isinstance(c.get("code"), str)})
            return
        table = self.system_codes(system)
        if table is None:
            out.open_systems.add(system)
            out.codes.setdefault(system, set())
            return
        if not filters:
            out.add(system, set(table))
            return
        selected: set[str] | None = None
        for f in filters:
            found = self._filter(table, f) if f.get("property") == "concept" else self._property_filter(system, f)
            if found is None:
                out.open_systems.add(system)
                out.codes.setdefault(system, set())
                return
            selected = found if selected is None else selected & found
        out.add(system, selected or set())

    def properties(self, system: str) -> dict[str, dict[str, set[str]]]:
        """code -> property code -> values (as text), for a complete CodeSystem we hold (the ``code`` and
        ``display`` of each concept among them, and ``parent`` from the nesting)."""
        hit = self._properties.get(system)
        if hit is not None:
            return hit
        table: dict[str, dict[str, set[str]]] = {}
        cs = self.source.code_system(system)
        for concept, children in _walk((cs or {}).get("concept") or []):
            code = concept.get("code")
            if not isinstance(code, str):
                continue
            props = table.setdefault(code, {})
            props.setdefault("code", set()).add(code)
            if isinstance(concept.get("display"), str):
                props.setdefault("display", set()).add(concept["display"])
            for p in concept.get("property") or ():
                value = next((v for k, v in p.items() if k.startswith("value")), None) if isinstance(p, dict) else None
                if isinstance(p, dict) and isinstance(p.get("code"), str) and value is not None:
                    text = str(value).lower() if isinstance(value, bool) else str(value)
                    props.setdefault(p["code"], set()).add(text)
            for child in children:
                if isinstance(child.get("code"), str):
                    table.setdefault(child["code"], {}).setdefault("parent", set()).add(code)
        self._properties[system] = table
        return table

    def _property_filter(self, system: str, f: Json) -> set[str] | None:
        """A filter on a property (or the code itself): =, in, not-in, regex, exists. None: not followed."""
        op, prop, value = f.get("op"), f.get("property"), f.get("value")
        if not isinstance(prop, str) or not isinstance(value, str):
            return None
        table = self.properties(system)
        if op == "exists":
            want = value == "true"
            return {c for c, props in table.items() if (prop in props) == want}
        if op in ("=", "in", "not-in"):
            wanted = {value} if op == "=" else {v.strip() for v in value.split(",")}
            hit = {c for c, props in table.items() if props.get(prop, set()) & wanted}
            return set(table) - hit if op == "not-in" else hit
        if op == "regex":
            try:
                pattern = re.compile(value)
            except re.error:
                return None
            return {c for c, props in table.items() if any(pattern.fullmatch(v) for v in props.get(prop, ()))}
        return None

    @staticmethod
    def _filter(table: dict[str, list[str]], f: Json) -> set[str] | None:
        op, prop, value = f.get("op"), f.get("property"), f.get("value")
        if prop != "concept" or not isinstance(value, str):
            return None
        if op == "=":
            return {value} if value in table else set()
        if op in ("in", "not-in"):
            wanted = {v.strip() for v in value.split(",")}
            return wanted & set(table) if op == "in" else set(table) - wanted
        if op == "regex":
            try:
                pattern = re.compile(value)
            except re.error:
                return None
            return {c for c in table if pattern.fullmatch(c)}
        if op == "generalizes":  # the code and its ancestors
            parents: dict[str, set[str]] = {}
            for code, kids in table.items():
                for kid in kids:
                    parents.setdefault(kid, set()).add(code)
            found_up, stack = set(), [value] if value in table else []
            while stack:
                code = stack.pop()
                if code not in found_up:
                    found_up.add(code)
                    stack.extend(parents.get(code, ()))
            return found_up
        if op in ("is-a", "descendent-of", "is-not-a"):
            found: set[str] = set()
            stack = list(table.get(value, []))
            while stack:
                code = stack.pop()
                if code not in found:
                    found.add(code)
                    stack.extend(table.get(code, []))
            if op == "is-a" and value in table:
                found.add(value)
            if op == "is-not-a":
                return set(table) - found - {value}
            return found
        return None


def _walk_contains(contains: list[Json]) -> Iterator[tuple[Json, list[Json]]]:
    for c in contains:
        yield c, c.get("contains") or []
        yield from _walk_contains(c.get("contains") or [])


# ---- judging an element against its binding ------------------------------------------------------

BOUND_TYPES = frozenset({"code", "Coding", "CodeableConcept", "Quantity", "string", "uri"})


def _vs_name(url: str) -> str:
    return url.split("|")[0]


def check_binding(term: Terminology, binding: Json, type_code: str, item: object, loc: str, sink: Sink) -> None:
    """Judge a code / Coding / CodeableConcept (a Quantity's unit) against the element's binding."""
    strength, vs_url = binding.get("strength"), binding.get("valueSet")
    if strength not in ("required", "extensible", "preferred") or not isinstance(vs_url, str):
        return
    codings: list[tuple[str | None, str]] = []
    if type_code in ("code", "string", "uri"):
        if isinstance(item, str):
            codings = [(None, item)]
    elif isinstance(item, dict):
        if type_code == "CodeableConcept":
            coding = item.get("coding")
            for c in coding if isinstance(coding, list) else ():  # a non-list coding is reported by the walk
                if isinstance(c, dict) and isinstance(c.get("code"), str):
                    codings.append((c.get("system") if isinstance(c.get("system"), str) else None, c["code"]))
        elif isinstance(item.get("code"), str):
            system = item.get("system")
            codings = [(system if isinstance(system, str) else None, item["code"])]
    if not codings:
        if type_code == "CodeableConcept" and strength == "required" and isinstance(item, dict):
            sink.error("code-invalid", loc,
                       f"no code provided, and a code is required from the value set {_vs_name(vs_url)}")
        return
    expansion = term.expand(_vs_name(vs_url))
    if expansion is None:
        sink.info("value-set-unknown", loc, f"the value set {_vs_name(vs_url)} is not held locally: "
                                            f"the {strength} binding was not checked")
        return
    verdicts = [expansion.contains(system, code) for system, code in codings]
    if any(v is True for v in verdicts):
        return
    shown = ", ".join(f"{s}#{c}" if s else repr(c) for s, c in codings)
    if any(v is None for v in verdicts):
        sink.info("code-system-unknown", loc, f"{shown}: cannot be checked locally against the {strength} value set "
                                              f"{_vs_name(vs_url)} (a code system that is not held locally)")
        return
    message = f"{shown} is not in the value set {_vs_name(vs_url)} ({strength} binding)"
    if strength == "required":
        sink.error("code-invalid", loc, message)
    elif strength == "extensible":
        sink.warning("binding-extensible", loc, message)
    else:
        sink.warning("binding-preferred", loc, message)


def check_coding(term: Terminology, coding: Json, loc: str, sink: Sink) -> None:
    """A Coding whose system we hold must use one of its codes, whatever the binding."""
    system, code = coding.get("system"), coding.get("code")
    if isinstance(system, str):
        if ":" not in system:
            sink.error("coding-system", f"{loc}.system", f"Coding.system must be an absolute URI, not {system!r}")
            return
        if term.names_value_set_only(system):
            sink.error("coding-system", f"{loc}.system", f"Coding.system {system} is a value set, not a code system")
            return
    if not isinstance(system, str) or not isinstance(code, str):
        return
    if term.code_in_system(system, code) is False:
        sink.error("code-unknown", loc, f"unknown code {code!r} in the code system {system}")
