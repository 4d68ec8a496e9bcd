"""Cross-version extensions (``http://hl7.org/fhir/5.0/StructureDefinition/extension-Type.path``), defined on the fly.

No package defines them: HL7's validator generates each definition from a table of the other version's element
paths (xver_tables.py), as org.hl7.fhir.r5 ``utils/xver/XVerExtensionManagerOld`` does (the default; its test
runner switches to the newer loader only for a case that sets ``new-xver-mode``):

- a path the table lacks is an error (``Extension_EXT_Version_InvalidId``), and so is a row with neither types nor
  children (``Extension_EXT_Version_NoChange``: use the R4 element);
- a leaf: ``Extension.extension`` prohibited, ``Extension.value[x]`` required, of the row's types but those marked
  ``!`` (R4 has them there: none left means any type), ``Reference``/``canonical`` targets that are R4 resources;
- a backbone: a sub-extension slice per child not marked ``!`` (url = the child's name, recursively), no value;
- context: the element path's parent (``Observation.component`` for ``...-Observation.component.value``); used
  elsewhere it is a warning (InstanceValidator: EXTENSION_EXTP_CONTEXT_WRONG_XVER), not an error;
- a modifier row makes it a modifier extension; no cardinality and no binding (HL7 writes none).

Types R4 does not have (``CodeableReference``, ``integer64``, an open ``*``...) are left out, so the value's type is
not judged when nothing else is left (HL7's R4 context cannot resolve them either).
"""

from __future__ import annotations

import functools
import re
import threading
from typing import TYPE_CHECKING, Any

from conformance.fhirval.source import FHIR_BASE, DefinitionSource, Json
from conformance.fhirval.xver_tables import (
    CORE_PACKAGES,
    TARGETED,
    XVER_PACKAGE,
    PathEntry,
    paths_table,
    read_tables,
)

if TYPE_CHECKING:
    from conformance.fhirval.packages import Package, PackageCache

XVER_URL = re.compile(r"http://hl7\.org/fhir/(\d\.\d)/StructureDefinition/extension-(.+)")
XVER_MARK = "_xverVersion"  # on a generated definition: the version it came from (HL7's XVER_EXT_MARKER)
_PROFILED = {"SimpleQuantity": "Quantity", "MoneyQuantity": "Quantity"}  # table names that are R4 profiles


class CrossVersionSource:
    """A DefinitionSource that answers only cross-version extension URLs of one version, by generating them."""

    def __init__(self, version: str, table: dict[str, PathEntry], r4: DefinitionSource,
                 hl7s: frozenset[str] = frozenset()) -> None:
        self.version = version
        self.hl7s = hl7s  # HL7's own table: the versions its package has tables for (empty: computed here)
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
        """``valid``, ``unknown`` (no such path), ``no-change`` (a row with nothing: R4 has it unchanged),
        ``bad-version`` (a version HL7's tables do not have: Extension_EXT_Version_Invalid), or None (not ours)."""
        m = XVER_URL.fullmatch(url.partition("|")[0])
        if m is not None and self.hl7s and m.group(1) not in self.hl7s:
            return "bad-version"
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
        root: Json = {"id": "Extension", "path": "Extension", **({"isModifier": True} if entry.modifier else {})}
        diff: list[Json] = [root]
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
        """populateTypes: the types not marked ``!`` that R4 has, with their R4 resource targets (``Any``: any)."""
        out: list[Json] = []
        for s in summaries:
            code, _, rest = s.partition("(")
            if s.startswith("!") or self._r4.structure(FHIR_BASE + code) is None:
                continue
            t: dict[str, Any] = {"code": _PROFILED.get(code, code)}
            if code in _PROFILED:
                t["profile"] = [FHIR_BASE + code]
            if any(o == t for o in out):
                continue
            names = [n for p in rest.rstrip(")").split("|") for n in p.split(",") if n]
            targets = ["Resource" if n == "Any" else n for n in names]
            profiles = [FHIR_BASE + n for n in targets if _is_resource(self._r4, n)]
            if profiles and code in TARGETED:
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
# HL7's tables read once per package file, like the generators built from them (0.15 s a read)
_tables = functools.lru_cache(maxsize=16)(read_tables)


def generators_for(package: Package, r4: DefinitionSource) -> list[DefinitionSource]:
    """The generators a package brings: HL7's tables (one per version), or a core package's computed table; each
    built once per package file."""
    versions = _tables(package.origin) if package.name == XVER_PACKAGE else None
    names = sorted(versions) if versions is not None else [CORE_PACKAGES[str(package.name)]]
    out: list[DefinitionSource] = []
    with _SOURCES_LOCK:
        for version in names:
            key = (version, package.origin)
            if key not in _SOURCES:
                table = versions[version] if versions is not None else paths_table(package.resources, r4)
                _SOURCES[key] = CrossVersionSource(version, table, r4, frozenset(versions or ()))
            out.append(_SOURCES[key])
    return out


def preferring_hl7s(generators: list[DefinitionSource]) -> list[DefinitionSource]:
    """One generator per version: HL7's table where it is loaded, else the computed one."""
    official = {g.version for g in generators if isinstance(g, CrossVersionSource) and g.hl7s}
    return [g for g in generators if not isinstance(g, CrossVersionSource) or g.hl7s or g.version not in official]


def is_generator_package(package: Package) -> bool:
    """A package that is not loaded as definitions but becomes cross-version generators."""
    return package.name == XVER_PACKAGE or package.name in CORE_PACKAGES


def generators_in(cache: PackageCache) -> list[DefinitionSource]:
    """The generators for the packages of that kind the package cache holds (HL7's runner always has them)."""
    from conformance.fhirval.base import base_source
    from conformance.fhirval.packages import read_source

    out: list[DefinitionSource] = []
    for name in (*CORE_PACKAGES, XVER_PACKAGE):
        found = cache.find(name, None)
        if found is not None:
            out.extend(generators_for(read_source(found), base_source()))
    return preferring_hl7s(out)


def cross_version_status(source: object, url: str) -> str | None:
    """What the source's generators make of a cross-version URL (CrossVersionSource.cross_version_status); None when no
    generator for its version is loaded (then it stays unchecked, as before)."""
    get = getattr(source, "cross_version_status", None)
    found = get(url) if callable(get) else None
    return found if isinstance(found, str) else None
