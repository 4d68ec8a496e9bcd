"""Load definitions the ways FHIR tools do: npm packages, the package cache, files and folders.

- an npm-format FHIR package: a ``.tgz`` or a folder holding ``package/package.json``; its
  conformance resources are the JSON (or XML) files directly in ``package/`` (``example/`` and
  other subfolders are not definitions);
- a folder with ``package.json`` at its root (UK Core's repository layout): every file below it;
- the FHIR package cache, ``~/.fhir/packages/<id>#<version>`` (root overridable with the
  ``FHIR_PACKAGE_CACHE`` environment variable or ``PackageCache(root)``), by ``id#version``;
- a Bundle, a JSON array, a single resource (JSON or XML), or a plain folder of such files.

package.json's name, version and dependencies are honoured: dependencies found in the cache are
loaded first (so the package's own definitions win); ``hl7.fhir.r4.core#4.0.1`` is the built-in
base; a dependency missing from the cache is recorded in ``warnings``, not fatal, and in ``missing`` with
its canonical base (from the dependant's ImplementationGuide ``dependsOn``, else HL7's package naming), so
that what it would have defined is reported as not judged rather than as unknown (``unloaded``).
"""

from __future__ import annotations

import contextlib
import functools
import glob
import json
import os
import re
import tarfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.fhirval.loaders import (
    CONFORMANCE_KINDS,
    DefinitionLoadError,
    not_a_definition_file,
    read_file,
    read_folder,
    resources_from_bytes,
)
from conformance.fhirval.source import Json, items

BASE_PACKAGE = ("hl7.fhir.r4.core", "4.0.1")
_READ_KINDS = CONFORMANCE_KINDS | {"ImplementationGuide"}  # the guide's own resource: its dependencies' canonicals
_TOO_BROAD = frozenset({"", "http://hl7.org/fhir"})  # a guide claiming the core's own base names no dependency
# SUSHI's stand-in when it did not know a dependency's canonical: http://fhir.org/packages/<id>/ImplementationGuide/<id>
# names the registry, not the guide (MHV PHR's US Core 5.0.x): the canonical is HL7's naming, if any, and anything
# outside HL7's namespaces may be the dependency's too
_REGISTRY = ("http://fhir.org/packages/", "https://fhir.org/packages/")
_HL7_SPACES = ("http://hl7.org/", "https://hl7.org/", "http://terminology.hl7.org/", "http://www.hl7.org/")
_HL7_PACKAGE = re.compile(r"hl7\.fhir\.([a-z]{2})\.([a-z0-9-]+)")  # hl7.fhir.us.core: http://hl7.org/fhir/us/core
# HL7's shared packages, one per FHIR version (.r4, .r5...), whose canonical their id does not spell: a guide's
# package.json names the .r4 one while its ImplementationGuide (written in R5) declares the .r5 (the extensions
# pack 5.3.0 on HL7 Terminology 6.5.0), so their dependsOn is no help
_SHARED = {"hl7.terminology": "http://terminology.hl7.org", "hl7.fhir.uv.extensions": "http://hl7.org/fhir/extensions"}
_VERSIONED = re.compile(r"(.+)\.r[2-6]b?")
MAX_MEMBER_BYTES = 200_000_000


@dataclass
class Package:
    """Conformance resources from one source, with its package identity when it has one."""

    origin: str
    name: str | None = None
    version: str | None = None
    dependencies: dict[str, str] = field(default_factory=dict)
    resources: list[Json] = field(default_factory=list)
    canonicals: dict[str, str] = field(default_factory=dict)  # dependency package id -> its canonical base
    bases: set[str] = field(default_factory=set)  # the guide's own canonical base(s), from its ImplementationGuide
    unsure: set[str] = field(default_factory=set)  # dependencies its guide declares by an address that is no canonical
    globals: list[tuple[str, str]] = field(default_factory=list)  # (type, profile): its guide's ``global`` profiles

    def see_globals(self, resources: Iterable[Json]) -> None:
        """Learn the profiles an ImplementationGuide among the resources declares ``global`` for a resource type."""
        for guide in resources:
            for g in items(guide.get("global")) if guide.get("resourceType") == "ImplementationGuide" else ():
                if isinstance(g, dict) and isinstance(g.get("type"), str) and isinstance(g.get("profile"), str):
                    self.globals.append((g["type"], g["profile"]))

    def see_guides(self, resources: Iterable[Json]) -> None:
        """Learn the canonical base of each dependency from the package's ImplementationGuide ``dependsOn``, and
        its global profiles."""
        resources = list(resources)
        self.see_globals(resources)
        for guide in resources:
            if guide.get("resourceType") != "ImplementationGuide":
                continue
            own = guide.get("url")
            if isinstance(own, str) and "/ImplementationGuide/" in own:
                self.bases.add(own.partition("/ImplementationGuide/")[0])
            for dep in guide.get("dependsOn") or ():
                uri, pid = (dep.get("uri"), dep.get("packageId")) if isinstance(dep, dict) else (None, None)
                base = uri.partition("/ImplementationGuide/")[0] if isinstance(uri, str) else ""
                if isinstance(pid, str) and (base == uri or base.startswith(_REGISTRY)):
                    self.unsure.add(pid)  # a registry or build page (SSASUR's CL Core: build.fhir.org/ig/HL7Chile/...)
                elif isinstance(pid, str) and base not in _TOO_BROAD:
                    self.canonicals.setdefault(pid, base)

    def canonical_of(self, dependency: str) -> str | None:
        """A dependency's canonical base: as the guide declares it, else HL7's shared packages' own, else by HL7's
        naming (hl7.fhir.<realm>.<code>)."""
        if dependency in self.canonicals:
            return self.canonicals[dependency]
        if (shared := _shared(dependency)) is not None:
            return shared
        hl7 = _HL7_PACKAGE.fullmatch(dependency)
        return f"http://hl7.org/fhir/{hl7.group(1)}/{hl7.group(2)}" if hl7 else None


def _shared(dependency: str) -> str | None:
    """The canonical base of one of HL7's shared packages (any FHIR version's), else None."""
    return _SHARED.get(m.group(1) if (m := _VERSIONED.fullmatch(dependency)) else dependency)


def _manifest(data: bytes, origin: str) -> tuple[str | None, str | None, dict[str, str]]:
    try:
        manifest = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DefinitionLoadError(origin, f"package.json is not JSON: {exc}") from None
    if not isinstance(manifest, dict):
        raise DefinitionLoadError(origin, "package.json is not a JSON object")
    deps = manifest.get("dependencies") or {}
    if not isinstance(deps, dict):
        raise DefinitionLoadError(origin, "package.json dependencies is not an object")
    name, version = manifest.get("name"), manifest.get("version")
    return (
        name if isinstance(name, str) else None,
        version if isinstance(version, str) else None,
        {str(k): str(v) for k, v in deps.items()},
    )


def read_tgz(path: Path) -> Package:
    """An npm-format package archive: ``package/package.json`` and ``package/*.json|xml``.

    Memoised per file (path, size and mtime): unpacking a large archive (the R4 examples, 5,300 files) costs
    seconds, and a process often loads the same one many times. The Package is shared: do not change it.
    """
    try:
        stat = path.stat()
    except OSError as exc:
        raise DefinitionLoadError(path, exc.strerror or str(exc)) from None
    return _read_tgz(path, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _read_tgz(path: Path, size: int, mtime_ns: int) -> Package:
    try:
        archive = tarfile.open(path, "r:*")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DefinitionLoadError(path, f"not a readable .tgz package ({exc})") from None
    with archive:
        try:
            members = {m.name.removeprefix("./"): m for m in archive.getmembers() if m.isfile()}
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise DefinitionLoadError(path, f"corrupt .tgz package ({exc})") from None
        manifest = members.get("package/package.json")
        if manifest is None:
            raise DefinitionLoadError(path, "no package/package.json in the archive (not an npm FHIR package)")
        package = Package(str(path), *_manifest(_read_member(archive, manifest, path), f"{path}!package.json"))
        by_name: dict[str, list[Json]] = {}
        guides: list[Json] = []
        for name, member in members.items():  # in archive order: a gzip stream read backwards starts over
            folder, _, base = name.rpartition("/")
            if folder != "package" or not_a_definition_file(base) or not base.lower().endswith((".json", ".xml")):
                continue
            origin = f"{path}!{name}"
            try:
                found = resources_from_bytes(_read_member(archive, member, path), origin, _READ_KINDS)
            except DefinitionLoadError as exc:
                if "no resourceType" in exc.reason:
                    continue  # JSON that is not a resource (openapi, ig metadata)
                raise
            by_name[name] = [r for r in found if r.get("resourceType") in CONFORMANCE_KINDS]
            guides.extend(r for r in found if r.get("resourceType") == "ImplementationGuide")
        package.resources = [r for name in sorted(by_name) for r in by_name[name]]
        package.see_guides(guides)
    return package


def _read_member(archive: tarfile.TarFile, member: tarfile.TarInfo, path: Path) -> bytes:
    if member.size > MAX_MEMBER_BYTES:
        raise DefinitionLoadError(path, f"{member.name} is too large ({member.size:,} bytes)")
    try:
        handle = archive.extractfile(member)
        return handle.read() if handle else b""
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:  # zlib.error is not an OSError
        raise DefinitionLoadError(path, f"corrupt .tgz package: cannot read {member.name} ({exc})") from None


def index_entries(folder: Path) -> list[dict[str, Any]] | None:
    """The file entries (``filename``, ``resourceType``, ``url``...) of ``package/.index.json``, the index the
    package tools write; None when there is no usable one."""
    try:
        files = json.loads((folder / "package" / ".index.json").read_text(encoding="utf-8")).get("files")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(files, list):
        return None
    return [e for e in files if isinstance(e, dict) and isinstance(e.get("filename"), str) and "/" not in e["filename"]]


def _indexed(folder: Path, entries: list[dict[str, Any]]) -> list[Json]:
    """Only the files the index lists as conformance resources are read (an IG's examples are skipped unparsed)."""
    out: list[Json] = []
    for name in sorted({e["filename"] for e in entries if e.get("resourceType") in CONFORMANCE_KINDS}):
        path = folder / "package" / name
        if path.is_file() and not not_a_definition_file(name):
            out.extend(r for r in read_file(path, CONFORMANCE_KINDS) if r.get("resourceType") in CONFORMANCE_KINDS)
    return out


def read_package_folder(folder: Path) -> Package:
    """A folder: npm layout (``package/package.json``, read through its ``.index.json`` where it has one), a root
    ``package.json``, or plain files."""
    if (folder / "package").is_dir():
        manifest = folder / "package" / "package.json"
        if not manifest.is_file():
            raise DefinitionLoadError(folder, "has a package/ folder but no package/package.json")
        package = Package(str(folder), *_manifest(manifest.read_bytes(), str(manifest)))
        entries = index_entries(folder)
        package.resources = (_indexed(folder, entries) if entries is not None
                             else read_folder(folder / "package", recursive=False))
        for guide in sorted((folder / "package").glob("ImplementationGuide-*.json")):
            with contextlib.suppress(DefinitionLoadError):
                package.see_guides(read_file(guide, _READ_KINDS))
        return package
    manifest = folder / "package.json"
    if manifest.is_file():
        package = Package(str(folder), *_manifest(manifest.read_bytes(), str(manifest)))
    else:
        package = Package(str(folder))
    package.resources = read_folder(folder)
    return package


def read_source(path: Path) -> Package:
    """Whatever is at ``path``: a package archive, a folder, or one file of resources."""
    if path.is_dir():
        return read_package_folder(path)
    if not path.exists():
        raise DefinitionLoadError(path, "no such file or folder")
    if path.name.endswith((".tgz", ".tar.gz", ".tar")):
        return read_tgz(path)
    found = read_file(path)
    package = Package(str(path), resources=[r for r in found if r.get("resourceType") in CONFORMANCE_KINDS])
    package.see_globals(found)  # a guide given as a file (HL7's test runner: a supporting ImplementationGuide)
    return package


VersionKey = tuple[tuple[tuple[int, str], ...], int, tuple[tuple[int, int, str], ...]]


def _version_key(version: str) -> VersionKey:
    """Semver precedence (semver.org 11): the core numbers, then a release above its prereleases
    (``5.3.0`` > ``5.3.0-ballot-tc1``), prerelease identifiers numeric below alphanumeric; build metadata
    ignored. Of several cached versions the newest by this order is taken."""
    core, _, pre = version.split("+", 1)[0].partition("-")
    numbers = tuple((int(p), "") if p.isdigit() else (-1, p) for p in core.split("."))
    tags = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")) if pre else ()
    return numbers, 0 if pre else 1, tags


def version_matches(wanted: str | None, version: str) -> bool:
    """npm-style: an exact version, a ``1.2.x`` wildcard, or any (None, ``latest``, ``current``)."""
    if not wanted or wanted in ("latest", "current"):
        return True
    if "x" in wanted.split("-")[0]:
        return re.fullmatch(re.escape(wanted).replace("x", r"[^.]+"), version) is not None
    return wanted == version


class PackageCache:
    """The FHIR package cache (``~/.fhir/packages``): folders named ``<id>#<version>``.

    The same folder may also hold package archives as downloaded, ``<id>#<version>.tgz`` or npm's
    ``<id>-<version>.tgz`` (what ``npm pack`` writes), so a folder of archives is a cache too; an
    unpacked folder wins over an archive of the same version.
    """

    def __init__(self, root: Path | None = None) -> None:
        env = os.environ.get("FHIR_PACKAGE_CACHE")
        self.root = root or (Path(env) if env else Path.home() / ".fhir" / "packages")

    def _versions(self, name: str) -> dict[str, Path]:
        found: dict[str, Path] = {}
        for prefix in (f"{name}-", f"{name}#"):  # folders (#) listed last, so they win
            for path in self.root.glob(f"{glob.escape(prefix)}*"):
                rest = path.name[len(prefix):]
                if path.is_dir() and prefix.endswith("#"):
                    found[rest] = path
                elif path.is_file() and rest.endswith(".tgz") and rest[:1].isdigit():
                    found.setdefault(rest.removesuffix(".tgz"), path)
        return found

    def find(self, name: str, version: str | None = None) -> Path | None:
        """The cached folder or archive for ``name`` at ``version`` (exact, ``1.2.x`` wildcard, or newest if None)."""
        if not self.root.is_dir():
            return None
        exact = self.root / f"{name}#{version}"
        if version and exact.is_dir():
            return exact
        found = {v: p for v, p in self._versions(name).items() if version_matches(version, v)}
        return found[max(found, key=_version_key)] if found else None


@dataclass
class Loaded:
    """Packages in load order (dependencies before dependants) and what could not be honoured."""

    packages: list[Package] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)  # canonical base -> id#version of a dependency not found
    uncharted: list[str] = field(default_factory=list)  # id#version of missing dependencies of unknown canonical
    defaults: list[str] = field(default_factory=list)  # id#version of the packages loaded by default (package_layer)

    def holds(self, name: str) -> bool:
        """Whether a package of this id (any version) was loaded, given or by default."""
        return any(p.name == name for p in self.packages) or any(d.partition("#")[0] == name for d in self.defaults)

    def unloaded(self, url: str) -> str | None:
        """The dependency (id#version) not loaded under whose canonical base ``url`` lies, if any. A missing
        dependency whose canonical base nobody declares (a guide's ``dependsOn.uri`` naming a registry page, not
        the guide) may define any URL outside HL7's namespaces and the loaded guides' own bases: such a URL is
        ascribed to it, as the harness cannot tell (HL7's publisher, holding the package, resolves it)."""
        for base, package in self.missing.items():
            if url.startswith(base + "/"):
                return package
        if self.uncharted and url.startswith(("http://", "https://")) and not url.startswith(_HL7_SPACES) \
                and not any(url.startswith(base + "/") for base in self._own_bases()):
            return self.uncharted[0]
        return None

    def _own_bases(self) -> set[str]:
        """The canonical bases of the loaded guides (their ImplementationGuide's url before /ImplementationGuide/)."""
        return {base for package in self.packages for base in package.bases}

    def resources(self) -> list[Json]:
        return [r for p in self.packages for r in p.resources]


def unloaded_in(source: object, url: str) -> str | None:
    """The dependency (id#version) of the packages behind ``source`` that could not be loaded and whose canonical
    base holds ``url``: what it defines is not judged (a harness's lack), never reported as unknown or wrong."""
    loaded = getattr(source, "loaded", None)
    return loaded.unloaded(url) if isinstance(loaded, Loaded) else None


def _given(packages: Iterable[Package], name: str, version: str) -> Package | None:
    """The newest of the packages given by path that is ``name`` at ``version`` (exact or wildcard)."""
    matching = [p for p in packages if p.name == name and p.version and version_matches(version, p.version)]
    return max(matching, key=lambda p: _version_key(p.version or "")) if matching else None


def _spec(spec: str | Path, cache: PackageCache) -> Package:
    path = Path(spec)
    if path.exists():
        return read_source(path)
    text = str(spec)
    name, _, version = text.partition("#")
    if "/" in text or os.sep in text or not re.fullmatch(r"[A-Za-z0-9._\-]+", name):
        raise DefinitionLoadError(text, "no such file or folder")
    found = cache.find(name, version or None)
    if found is None:
        raise DefinitionLoadError(text, f"not a file or folder, and not in the FHIR package cache {cache.root}")
    return read_source(found)


def load_packages(specs: Iterable[str | Path], cache: PackageCache | None = None, *,
                  available: Iterable[str | Path] = ()) -> Loaded:
    """Load each spec (a path, or ``id#version`` from the cache) and its dependencies, never from the network.

    A dependency is taken from the packages given (``specs``, then ``available``: packages offered only to
    satisfy dependencies, like HL7's test runner's package map), else from the cache; one found nowhere is
    a warning. Dependencies come before their dependants, so a package's own definitions win.
    """
    cache = cache or PackageCache()
    loaded = Loaded()
    seen: set[str] = set()
    given = [_spec(spec, cache) for spec in specs]
    offered = [*given, *(_spec(spec, cache) for spec in available)]

    def add(package: Package, chain: tuple[str, ...]) -> None:
        key = f"{package.name}#{package.version}" if package.name else package.origin
        if key in seen:
            return
        seen.add(key)
        for dep, version in package.dependencies.items():
            if (dep, version) == BASE_PACKAGE:
                continue
            if dep == BASE_PACKAGE[0]:
                loaded.warnings.append(f"{key}: depends on {dep}#{version}; the built-in base is 4.0.1")
                continue
            if f"{dep}#{version}" in chain:
                continue
            found = _given(offered, dep, version)
            if found is None:
                where = cache.find(dep, version)
                if where is None:
                    missing = f"{dep}#{version}"
                    loaded.warnings.append(f"{key}: dependency {missing} is not in the package cache {cache.root}")
                    if (canonical := package.canonical_of(dep)) is not None:
                        loaded.missing.setdefault(canonical, missing)
                    if canonical is None or (dep in package.unsure and _shared(dep) is None):  # HL7's naming a guess:
                        loaded.uncharted.append(missing)  # FR Core 1.1.0's is http://interopsante.org/fhir
                    continue
                found = read_source(where)
            add(found, (*chain, key))
        loaded.packages.append(package)

    for package in given:
        add(package, ())
    return loaded
