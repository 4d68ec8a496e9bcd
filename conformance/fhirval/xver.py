"""Cross-version extensions (``http://hl7.org/fhir/5.0/StructureDefinition/extension-Type.path``), defined on the fly.

No package defines them: HL7's validator generates each definition from the other version's element
(org.hl7.fhir.r5 ``utils/xver/XVerExtensionManagerOld``, the default its test runner uses) and a table of that
version's paths (``xver-paths-5.0.json``, written by the build tool's ``XVerPathsGenerator``): for every element of
every R5 type and resource, the R5 types R4 lacks at that path (a leaf) or the R5 children R4 lacks (a backbone).
Here that table is computed from the R5 core package (``hl7.fhir.r5.core``) and our base R4, and each definition
is built as HL7 builds it:

- a leaf: ``Extension.extension`` prohibited, ``Extension.value[x]`` required with the listed types (R4 names;
  ``Reference``/``canonical`` targets R4 has as resources); a backbone: one sub-extension slice per listed child
  (url = the child's name, recursively), no value;
- context: an element context, the path's parent (``Observation.component`` for ``...Observation.component.value``);
  used elsewhere it is a warning in HL7's validator (EXTENSION_EXTP_CONTEXT_WRONG_XVER), not an error;
- no cardinality, no binding and no modifier flag: HL7's table carries none for 5.0, so neither does its definition.

A path R5 lacks is ``Extension_EXT_Version_InvalidId``; one whose R5 types R4 already has, unchanged, is
``Extension_EXT_Version_NoChange`` (use the R4 element). Types R4 does not have (``CodeableReference``,
``integer64``...) are left out of the value's types; when none is left the value's type is not judged.
Versions other than 5.0 (1.0, 3.0, 4.3: their cores are not on the registry) stay unchecked.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from conformance.fhirval.source import FHIR_BASE, DefinitionSource, Json

XVER_URL = re.compile(r"http://hl7\.org/fhir/(\d\.\d)/StructureDefinition/extension-(.+)")
CORE_PACKAGES = {"hl7.fhir.r5.core": "5.0"}  # package name -> the version its extensions are named by
XVER_MARK = "_xverVersion"  # on a generated definition: the version it came from (HL7's XVER_EXT_MARKER)
_TARGETED = ("Reference", "canonical", "CodeableReference")


@dataclass(frozen=True)
class PathEntry:
    """One row of HL7's xver-paths table: the new types of a leaf, or the new children of a backbone."""

    types: tuple[str, ...] = ()
    elements: tuple[str, ...] = ()


def type_summary(type_: Json) -> str:
    """A type as the build tool's ``TypeRef.summary()`` writes it: ``Reference(Patient|Group)``, ``string``."""
    code = str(type_.get("code", ""))
    targets = [str(p).rsplit("/", 1)[-1] for p in type_.get("targetProfile") or () if isinstance(p, str)]
    return f"{code}({'|'.join(targets)})" if targets and code in _TARGETED else code


def _rows(elements: list[Json], root: str) -> dict[str, tuple[list[str], list[str]]]:
    """path -> (type summaries, child names) for the elements of one definition below its root."""
    rows: dict[str, tuple[list[str], list[str]]] = {}
    for e in elements:
        path = e.get("path")
        if not isinstance(path, str) or "." not in path or not path.startswith(root + "."):
            continue
        rows.setdefault(path, ([], []))[0].extend(type_summary(t) for t in e.get("type") or () if isinstance(t, dict))
        parent, _, name = path.rpartition(".")
        if parent in rows:
            rows[parent][1].append(name)
    return rows


def paths_table(r5_definitions: Iterable[Json], r4: DefinitionSource) -> dict[str, PathEntry]:
    """HL7's xver-paths table for R5 against R4 (``XVerPathsGenerator.process``): each R5 element path with the
    types (leaf) or children (backbone) R4 does not have at that path."""
    table: dict[str, PathEntry] = {}
    for sd in r5_definitions:
        if sd.get("derivation") != "specialization" or sd.get("kind") not in ("complex-type", "resource"):
            continue
        name = str(sd.get("type"))
        r4sd = r4.structure(FHIR_BASE + name)
        old = _rows(r4sd.get("snapshot", {}).get("element", []), name) if r4sd else {}
        for path, (types, children) in _rows(sd.get("differential", {}).get("element", []), name).items():
            r4types, r4children = old.get(path, ([], []))
            if children:
                table[path] = PathEntry(elements=tuple(c for c in children if c not in r4children))
            else:
                table[path] = PathEntry(types=tuple(t for t in types if t not in r4types))
    return table


class CrossVersionSource:
    """A DefinitionSource that answers only cross-version extension URLs of one version, by generating them."""

    def __init__(self, version: str, table: dict[str, PathEntry], r4: DefinitionSource) -> None:
        self.version = version
        self.table = table
        self._r4 = r4
        self._made: dict[str, Json | None] = {}
        self._lock = threading.Lock()

    def _entry(self, url: str) -> tuple[str, PathEntry] | None:
        m = XVER_URL.fullmatch(url.partition("|")[0].replace("%5Bx%5D", "[x]"))
        if m is None or m.group(1) != self.version:
            return None
        path = m.group(2)
        for key in (path, path + "[x]"):
            if key in self.table:
                return key, self.table[key]
        return path, PathEntry()

    def cross_version_status(self, url: str) -> str | None:
        """``valid``, ``unknown`` (no such R5 path), ``no-change`` (R4 has it unchanged), or None (not ours)."""
        found = self._entry(url)
        if found is None:
            return None
        key, entry = found
        if key not in self.table:
            return "unknown"
        return "valid" if entry.types or entry.elements else "no-change"

    def structure(self, key: str) -> Json | None:
        if self.cross_version_status(key) != "valid":
            return None
        url = key.partition("|")[0]
        with self._lock:
            if url not in self._made:
                found = self._entry(url)
                assert found is not None
                self._made[url] = self._define(url, *found)
            return self._made[url]

    def value_set(self, url: str) -> Json | None:
        return None

    def code_system(self, url: str) -> Json | None:
        return None

    def _define(self, url: str, path: str, entry: PathEntry) -> Json:
        """The StructureDefinition XVerExtensionManagerOld.getDefinition writes (a differential)."""
        diff: list[Json] = [{"id": "Extension", "path": "Extension"}]
        self._contents(path, entry, "Extension", url, diff)
        parent = path.rpartition(".")[0] or path
        return {
            "resourceType": "StructureDefinition", "url": url, "version": "4.0.1", "fhirVersion": "4.0.1",
            "name": f"Extension-{self.version}-{path}", "title": f"Extension Definition for {path} for Version "
            f"{self.version}", "status": "active", "kind": "complex-type", "abstract": False, "type": "Extension",
            "context": [{"type": "element", "expression": parent}],
            "baseDefinition": FHIR_BASE + "Extension", "derivation": "constraint",
            "differential": {"element": diff}, XVER_MARK: self.version,
        }

    def _contents(self, path: str, entry: PathEntry, eid: str, url: str, diff: list[Json]) -> None:
        """genExtensionContents: a leaf's value, or a sub-extension per new child (children without an entry of
        their own, contentReferences, are skipped as HL7 skips a ``ref``)."""
        if entry.types:
            diff.append({"id": f"{eid}.extension", "path": _path(eid) + ".extension", "max": "0"})
            diff.append(_url(eid, url))
            value: Json = {"id": f"{eid}.value[x]", "path": _path(eid) + ".value[x]", "min": 1}
            types = self._types(entry.types)
            if types:
                value["type"] = types
            diff.append(value)
            return
        for child in entry.elements:
            sub = self.table.get(f"{path}.{child}")
            if sub is None or not (sub.types or sub.elements):
                continue
            name = child.removesuffix("[x]")
            sid = f"{eid}.extension:{name}"
            diff.append({"id": sid, "path": _path(eid) + ".extension", "sliceName": name})
            self._contents(f"{path}.{child}", sub, sid, name, diff)
        diff.append(_url(eid, url))
        diff.append({"id": f"{eid}.value[x]", "path": _path(eid) + ".value[x]", "max": "0"})

    def _types(self, summaries: tuple[str, ...]) -> list[Json]:
        """populateTypes: each R5 type R4 has, with its R4 resource targets (``Any`` is any resource)."""
        out: list[Json] = []
        for s in summaries:
            code, _, rest = s.partition("(")
            if code in {t["code"] for t in out} or self._r4.structure(FHIR_BASE + code) is None:
                continue
            t: dict[str, Any] = {"code": code}
            names = [n for p in rest.rstrip(")").split("|") for n in p.split(",") if n]
            targets = ["Resource" if n == "Any" else n for n in names]
            profiles = [FHIR_BASE + n for n in targets if _is_resource(self._r4, n)]
            if profiles and code in _TARGETED:
                t["targetProfile"] = profiles
            out.append(t)
        return out


def _path(eid: str) -> str:
    return re.sub(r":[^.]+", "", eid)


def _url(eid: str, url: str) -> Json:
    return {"id": f"{eid}.url", "path": _path(eid) + ".url", "fixedUri": url}


def _is_resource(r4: DefinitionSource, name: str) -> bool:
    sd = r4.structure(FHIR_BASE + name)
    return sd is not None and sd.get("kind") == "resource"


_SOURCES: dict[tuple[str, str], CrossVersionSource] = {}
_SOURCES_LOCK = threading.Lock()


def cross_version_source(version: str, origin: str, definitions: list[Json],
                         r4: DefinitionSource) -> CrossVersionSource:
    """The generator for one version's core definitions, built once per package (``origin``: where it was read)."""
    key = (version, origin)
    with _SOURCES_LOCK:
        if key not in _SOURCES:
            _SOURCES[key] = CrossVersionSource(version, paths_table(definitions, r4), r4)
        return _SOURCES[key]


def cross_version_status(source: object, url: str) -> str | None:
    """What the source's generators make of a cross-version URL (CrossVersionSource.cross_version_status); None when no
    generator for its version is loaded (then it stays unchecked, as before)."""
    get = getattr(source, "cross_version_status", None)
    found = get(url) if callable(get) else None
    return found if isinstance(found, str) else None
