"""The profile mutation bench's own reading of FHIR packages: JSON straight from the ``.tgz`` files and R4's
definitions, never through the validator's loaders, so the bench's expected verdicts do not share the
validator's mistakes.

What it offers: every StructureDefinition, ValueSet and CodeSystem by canonical URL; the base R4 element of a
path (its types and binding, to tell what a profile narrowed); and the codes of a ValueSet when they follow
from loaded content alone (concepts listed, or whole CodeSystems held with ``content = complete``; any filter,
or anything not held, makes the set not enumerable, and a mutation resting on it is skipped as ambiguous).
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

Json = dict[str, Any]
R4_FILES = ("profiles-resources.json", "profiles-types.json", "profiles-others.json", "valuesets.json",
            "v3-codesystems.json", "v2-tables.json", "extension-definitions.json")
KINDS = ("StructureDefinition", "ValueSet", "CodeSystem")


def tgz_resources(path: Path, folder: str = "package/") -> Iterator[tuple[str, Json]]:
    """(member name, resource) for the JSON resources directly in ``folder`` of a package ``.tgz``."""
    with tarfile.open(path) as tar:
        for member in tar:
            name = member.name
            if not (member.isfile() and name.startswith(folder) and name.endswith(".json")):
                continue
            if "/" in name[len(folder):] or name.rsplit("/", 1)[-1] in ("package.json", ".index.json"):
                continue
            handle = tar.extractfile(member)
            if handle is None:
                continue
            try:
                doc = json.load(handle)
            except ValueError:
                continue
            if isinstance(doc, dict):
                yield name, doc


def _bundle_entries(path: Path) -> Iterator[Json]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    for entry in doc.get("entry", []):
        if isinstance(entry.get("resource"), dict):
            yield entry["resource"]


class RawDefinitions:
    """Canonical resources by URL, from R4's definition bundles and the packages given (later ones win)."""

    def __init__(self, r4_folder: Path, packages: Iterable[Path]) -> None:
        self.by_kind: dict[str, dict[str, Json]] = {kind: {} for kind in KINDS}
        self.r4: dict[str, Json] = {}
        for name in R4_FILES:
            if (r4_folder / name).exists():
                for resource in _bundle_entries(r4_folder / name):
                    self._add(resource)
                    if resource.get("resourceType") == "StructureDefinition":
                        self.r4[resource.get("url", "")] = resource
        for package in packages:
            for _, resource in tgz_resources(package):
                self._add(resource)

    def _add(self, resource: Json) -> None:
        kind = resource.get("resourceType")
        if kind in self.by_kind and isinstance(resource.get("url"), str):
            self.by_kind[kind][resource["url"]] = resource

    def get(self, kind: str, url: str) -> Json | None:
        """The resource of that kind at ``url`` (``|version`` ignored)."""
        return self.by_kind[kind].get(url.split("|", 1)[0])

    def base_element(self, path: str) -> Json | None:
        """R4's own element at ``path`` (``Observation.value[x]``), from the resource's or type's snapshot."""
        root = path.split(".", 1)[0]
        sd = self.r4.get(f"http://hl7.org/fhir/StructureDefinition/{root}")
        for element in (sd or {}).get("snapshot", {}).get("element", []):
            if element.get("path") == path:
                return element
        return None

    def sd_type(self, url: str) -> str | None:
        """The resource type a target profile stands for."""
        sd = self.get("StructureDefinition", url)
        return sd.get("type") if sd else None

    def codes(self, system: str) -> set[str] | None:
        """Every code of a CodeSystem held complete, else None."""
        cs = self.get("CodeSystem", system)
        if cs is None or cs.get("content") != "complete":
            return None
        found: set[str] = set()
        stack = list(cs.get("concept", []))
        while stack:
            concept = stack.pop()
            if isinstance(concept.get("code"), str):
                found.add(concept["code"])
            stack.extend(concept.get("concept", []))
        return found

    def expand(self, url: str, depth: int = 0) -> set[tuple[str, str]] | None:
        """(system, code) of a ValueSet when it follows from loaded content alone; None when it does not."""
        vs = self.get("ValueSet", url)
        if vs is None or depth > 5:
            return None
        compose = vs.get("compose", {})
        included = self._part(compose.get("include", []), depth)
        excluded = self._part(compose.get("exclude", []), depth)
        if included is None or excluded is None:
            return None
        return included - excluded

    def _part(self, items: list[Json], depth: int) -> set[tuple[str, str]] | None:
        found: set[tuple[str, str]] = set()
        for item in items:
            if item.get("version"):
                return None
            members: set[tuple[str, str]] | None = None
            system = item.get("system")
            if item.get("filter"):
                members = self._filtered(system, item["filter"])
            elif system and item.get("concept"):
                members = {(system, c["code"]) for c in item["concept"] if isinstance(c.get("code"), str)}
            elif system:
                codes = self.codes(system)
                members = {(system, c) for c in codes} if codes is not None else None
            for vs_url in item.get("valueSet", []):
                other = self.expand(vs_url, depth + 1)
                if other is None:
                    return None
                members = other if members is None and not system else (members or set()) & other
            if members is None:
                return None
            found |= members
        return found

    def _filtered(self, system: str | None, filters: list[Json]) -> set[tuple[str, str]] | None:
        """``concept is-a`` / ``descendent-of`` over a CodeSystem's nested concepts; other filters: None."""
        cs = self.get("CodeSystem", system or "")
        if cs is None or cs.get("content") != "complete" or len(filters) != 1:
            return None
        op, value = filters[0].get("op"), filters[0].get("value")
        if filters[0].get("property") != "concept" or op not in ("is-a", "descendent-of"):
            return None
        stack, found = list(cs.get("concept", [])), set()
        while stack:
            concept = stack.pop()
            if concept.get("code") == value:
                below = list(concept.get("concept", []))
                found = {value} if op == "is-a" else set()
                while below:
                    inner = below.pop()
                    found.add(inner.get("code"))
                    below.extend(inner.get("concept", []))
                return {(system or "", c) for c in found if isinstance(c, str)}
            stack.extend(concept.get("concept", []))
        return None
