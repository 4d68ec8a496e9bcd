"""Resource invariants of R4 that a small edit makes false, read from the constraints' FHIRPath text alone.

Only error-severity constraints of a few shapes over two child names of the context element are used, so
that whether the edited instance violates them follows from the text (HL7 evaluates every such constraint:
InstanceValidator checkInvariant, org.hl7.fhir.core @ b06c7ee line 8632):

- ``X.empty() or Y.exists()``, ``X.exists() implies Y.exists()``, ``X.exists() = Y.exists()``: with X and Y
  both present, Y is taken out;
- ``X.empty() or Y.empty()``, ``(X.exists() and Y.exists()).not()``, ``X.exists() implies Y.empty()``: with X
  present and Y absent, Y is added with a plain value of its type;
- ``X.exists() or Y.exists()``: with either present, both are taken out.

The context is the resource's root or any object a base_sites.Site holds (a backbone or data type element).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from base_mutants import Mutant
from base_sites import Site, Types, cap, follow
from profile_mutants import SAMPLES
from profile_raw import Json

_N = r"(\w+)"
SHAPES: list[tuple[str, re.Pattern[str]]] = [
    ("remove-y", re.compile(rf"^{_N}\.empty\(\) or {_N}\.exists\(\)$")),
    ("remove-y", re.compile(rf"^{_N}\.exists\(\) implies {_N}\.exists\(\)$")),
    ("remove-y", re.compile(rf"^{_N}\.exists\(\) = {_N}\.exists\(\)$")),
    ("add-y", re.compile(rf"^{_N}\.empty\(\) or {_N}\.empty\(\)$")),
    ("add-y", re.compile(rf"^\({_N}\.exists\(\) and {_N}\.exists\(\)\)\.not\(\)$")),
    ("add-y", re.compile(rf"^{_N}\.exists\(\) implies {_N}\.empty\(\)$")),
    ("remove-both", re.compile(rf"^{_N}\.exists\(\) or {_N}\.exists\(\)$")),
]


def _keys(obj: Json, name: str, elements: dict[str, Json], path: str) -> list[str]:
    """The JSON properties standing for FHIRPath name ``name`` (a choice's every type) that hold a value."""
    if f"{path}.{name}[x]" in elements:
        return [k for k in obj if k.startswith(name) and k[len(name):][:1].isupper()]
    return [name] if name in obj else []


def _sample(types: Types, type_name: str, path: str, name: str) -> tuple[str, Any] | None:
    elements = types.elements(type_name)
    element = elements.get(f"{path}.{name}") or elements.get(f"{path}.{name}[x]")
    if element is None:
        return None
    for t in element.get("type", []):
        code = t.get("code", "")
        if code in SAMPLES and code != "boolean":
            key = name + cap(code) if element["path"].endswith("[x]") else name
            value = SAMPLES[code]
            return key, ([value] if element.get("max") != "1" else value)
    return None


def _contexts(doc: Json, sites: list[Site], types: Types) -> Iterator[tuple[list[Any], str, str, Json]]:
    """(where, type name, element path, element) of every object a constraint can stand on."""
    kind = doc["resourceType"]
    yield [], kind, kind, types.elements(kind).get(kind, {})
    for site in sites:
        items = site.value if isinstance(site.value, list) else [site.value]
        if not items or not isinstance(items[0], dict) or site.primitive or "resourceType" in items[0]:
            continue
        scope = types.child_scope(site.path.split(".", 1)[0], site.element, site.tcode, items[0])
        if scope is None:
            continue
        # a backbone's constraints stand on its element; a data type's on the root of the type's own snapshot
        element = site.element if scope[0] != scope[1] else types.elements(scope[0]).get(scope[0], {})
        where = [*site.where, site.key, 0] if isinstance(site.value, list) else [*site.where, site.key]
        yield where, scope[0], scope[1], element


def invariant_shape_mutants(doc: Json, sites: list[Site], types: Types) -> Iterator[Mutant]:
    for where, type_name, path, element in _contexts(doc, sites, types):
        obj = follow(doc, where)
        elements = types.elements(type_name)
        for constraint in element.get("constraint", []):
            key, expression = constraint.get("key", ""), str(constraint.get("expression", "")).strip()
            if constraint.get("severity") != "error" or key.split("-")[0] in ("ele", "dom", "ext"):
                continue
            for shape, pattern in SHAPES:
                match = pattern.match(expression)
                if not match:
                    continue
                x, y = _keys(obj, match.group(1), elements, path), _keys(obj, match.group(2), elements, path)
                if shape == "remove-y" and x and y:
                    yield "invariant-shape", key, lambda w=where, drop=y: _edit(doc, w, drop, None)
                elif shape == "remove-both" and (x or y):
                    yield "invariant-shape", key, lambda w=where, drop=x + y: _edit(doc, w, drop, None)
                elif shape == "add-y" and x and not y:
                    sample = _sample(types, type_name, path, match.group(2))
                    if sample is not None:
                        yield "invariant-shape", key, lambda w=where, s=sample: _edit(doc, w, [], s)


def _edit(doc: Json, where: list[Any], drop: list[str], add: tuple[str, Any] | None) -> Json:
    copied = copy.deepcopy(doc)
    obj = follow(copied, where)
    for key in drop:
        obj.pop(key, None)
        obj.pop("_" + key, None)
    if add is not None:
        obj[add[0]] = copy.deepcopy(add[1])
    return copied
