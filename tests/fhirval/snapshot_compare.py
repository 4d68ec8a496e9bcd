"""Helpers for the snapshot tests: what two snapshots must agree on, and a differential derived
from a published snapshot (the shared US Core data ships snapshots only)."""

from __future__ import annotations

from typing import Any

from conformance.fhirval.source import DefinitionSource, Json

COMPARED = ("min", "max", "type", "binding", "mustSupport", "slicing", "sliceName")


def _types(el: Json) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    return [(t.get("code", ""), tuple(t.get("profile", [])), tuple(t.get("targetProfile", [])))
            for t in el.get("type", [])]


def props(el: Json) -> dict[str, Any]:
    """The properties validation depends on, normalised for comparison."""
    binding = el.get("binding", {})
    out: dict[str, Any] = {
        "path": el["path"],
        "min": el.get("min"),
        "max": el.get("max"),
        "type": _types(el),
        "binding": (binding.get("strength"), binding.get("valueSet")),
        "mustSupport": el.get("mustSupport", False),
        "sliceName": el.get("sliceName"),
    }
    out.update({k: v for k, v in el.items() if k.startswith(("fixed", "pattern"))})
    return out


def differences(generated: list[Json], published: list[Json]) -> list[tuple[Any, ...]]:
    """Every disagreement: ids missing or extra, order, and per-element property differences."""
    gen = {e["id"]: e for e in generated}
    pub = {e["id"]: e for e in published}
    out: list[tuple[Any, ...]] = []
    missing = [i for i in pub if i not in gen]
    extra = [i for i in gen if i not in pub]
    if missing:
        out.append(("missing", missing))
    if extra:
        out.append(("extra", extra))
    if not missing and not extra and list(gen) != list(pub):
        out.append(("order",))
    for element_id, el in pub.items():
        if element_id in gen:
            a, b = props(gen[element_id]), props(el)
            out.extend((element_id, k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k))
    return out


def _defining(el: Json, source: DefinitionSource) -> Json | None:
    """The element this one is copied from when not constrained: its ``base.path`` definition."""
    base_path = el.get("base", {}).get("path", "")
    sd = source.structure(base_path.split(".")[0])
    for candidate in (sd or {}).get("snapshot", {}).get("element", []):
        if candidate.get("id") == base_path:
            return candidate
    return None


def derive_differential(profile: Json, source: DefinitionSource) -> list[Json]:
    """A differential for a published snapshot: slices, plus every element whose compared
    properties differ from what it would inherit (its base profile's element, or its defining one)."""
    base = source.structure(profile["baseDefinition"])
    assert base is not None, profile["baseDefinition"]
    base_elements = {e["id"]: e for e in base["snapshot"]["element"]}
    diff = []
    for el in profile["snapshot"]["element"]:
        reference = base_elements.get(el["id"]) or _defining(el, source)
        new_constraints = [
            c
            for c in el.get("constraint", [])
            if c["key"] not in {k["key"] for k in (reference or {}).get("constraint", [])}
        ]
        if (
            reference is not None
            and "sliceName" not in el
            and props(el) | {"path": ""} == props(reference) | {"path": ""}
            and el.get("slicing") == reference.get("slicing")
            and not new_constraints
        ):
            continue
        item: Json = {"id": el["id"], "path": el["path"]}
        for key, value in el.items():
            if key in COMPARED or key.startswith(("fixed", "pattern")):
                item[key] = value
        if new_constraints:
            item["constraint"] = new_constraints
        diff.append(item)
    return diff
