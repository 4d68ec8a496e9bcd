"""The HL7 Terminology package (THO, ``hl7.terminology.r4``) as loadable data, read on demand.

HL7's validator loads THO by itself (its CLI by default, its test runner into every case's context); we
find it the same ways the project finds other packages: a path the user gives
(``$CONFORMANCE_TERMINOLOGY_PACKAGE``: a package folder or ``.tgz``), else the FHIR package cache the run
names (``use_package_cache``: the CLI's ``--package-cache``, a bench's packages folder), else
``$FHIR_PACKAGE_CACHE`` or ``~/.fhir/packages``; newest ``hl7.terminology.r4`` first, then
``hl7.terminology``. Nothing of THO is copied into the project, and nothing is fetched.

THO holds thousands of ValueSets and CodeSystems, most never asked for, so a package folder is read
file by file: ``package/.index.json`` names the file of each canonical where the cache tooling wrote
one; without it (a package unpacked from the registry as published) THO's own naming is followed,
``http://terminology.hl7.org/CodeSystem/<id>`` in ``CodeSystem-<id>.json``, and the file is taken only
if its ``url`` is the one asked for. An archive is read the same way from its members, kept as bytes in
one pass on the first lookup. It is a fallback:
the validator's own source (base R4, the packages given) always wins, so a package pinning an older
code system keeps it; only base R4's own frozen copies of THO resources give way to THO's. A package
that cannot be read is no package: its codes stay information.
"""

from __future__ import annotations

import functools
import json
import os
import re
import tarfile
import threading
import zlib
from pathlib import Path
from typing import Any

from conformance.fhirval.loaders import DefinitionLoadError, read_file, resources_from_bytes
from conformance.fhirval.packages import MAX_MEMBER_BYTES, PackageCache, index_entries, read_source
from conformance.fhirval.source import Json, MemorySource

ENV = "CONFORMANCE_TERMINOLOGY_PACKAGE"
THO_BASE = "http://terminology.hl7.org/"
THO_NAMES = ("hl7.terminology.r4", "hl7.terminology")
_KINDS = frozenset({"CodeSystem", "ValueSet"})
# code systems some THO releases carry that HL7's validator never takes from THO (CanonicalResourceManager
# INVALID_TERMINOLOGY_URLS, "erroneous code systems found in THO"): their codes stay unjudged here too
IGNORED = frozenset({"http://snomed.info/sct", "http://dicom.nema.org/resources/ontology/DCM",
                     "http://nucc.org/provider-taxonomy"})


class IndexedPackage:
    """CodeSystems and ValueSets of one package, read file by file through its ``.index.json``."""

    def __init__(self, folder: Path, index: dict[tuple[str, str], str] | None) -> None:
        self.folder = folder
        self._index = index  # (resourceType, url) -> file name in package/; None: by THO's naming
        self._read: dict[str, Json | None] = {}
        # the web service validates on several threads: one lookup reads (and caches) a file at a time
        self._lock = threading.RLock()

    def _file(self, kind: str, url: str) -> str | None:
        if self._index is not None:
            return self._index.get((kind, url))
        prefix = f"{THO_BASE}{kind}/"
        rest = url[len(prefix):] if url.startswith(prefix) else ""
        return f"{kind}-{rest}.json" if re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", rest) else None

    def _get(self, kind: str, url: str) -> Json | None:
        url = url.split("|")[0]
        name = self._file(kind, url) if url not in IGNORED else None
        if name is None:
            return None
        with self._lock:
            if name not in self._read:
                try:
                    found = self._resources(name)
                except DefinitionLoadError:
                    found = []
                self._read[name] = next((r for r in found if r.get("resourceType") == kind), None)
            hit = self._read[name]
        return hit if hit is not None and hit.get("url") == url else None

    def _resources(self, name: str) -> list[Json]:
        path = self.folder / "package" / name
        return read_file(path) if path.is_file() else []

    def member(self, name: str) -> bytes | None:
        """The bytes of ``package/<name>``; None when there is no such file."""
        try:
            return (self.folder / "package" / name).read_bytes()
        except OSError:
            return None

    def value_set(self, url: str) -> Json | None:
        return self._get("ValueSet", url)

    def code_system_urls(self) -> list[str]:
        """The CodeSystem URLs the package's index lists (none when it is read by THO's file naming)."""
        return [url for kind, url in self._index or () if kind == "CodeSystem" and url not in IGNORED]

    def code_system(self, url: str) -> Json | None:
        return self._get("CodeSystem", url)

    def structure(self, key: str) -> Json | None:
        return None


class ArchivePackage(IndexedPackage):
    """A package archive (``.tgz``) read the same way: its ``package/*.json`` members are kept as bytes in one
    pass on the first lookup (a gzip stream is read in order; ~0.3 s of CPU for THO against ~1.5 s to parse
    every member), and each is parsed when a canonical it holds is asked for."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, None)
        self._members: dict[str, bytes] | None = None

    def _open(self) -> dict[str, bytes]:
        """The members, read once under the lock and published only when complete: a thread that saw a
        half-filled table would cache a miss for good (a THO code then judged against R4's 2019 copy)."""
        with self._lock:
            if self._members is None:
                members: dict[str, bytes] = {}
                try:
                    with tarfile.open(self.folder, "r:*") as archive:
                        for member in archive:
                            folder, _, base = member.name.removeprefix("./").rpartition("/")
                            if (member.isfile() and folder == "package" and base.endswith(".json")
                                    and member.size <= MAX_MEMBER_BYTES and (handle := archive.extractfile(member))):
                                members[base] = handle.read()
                except (tarfile.TarError, OSError, EOFError, zlib.error):
                    members = {}  # a package that cannot be read is no package
                try:
                    listing = json.loads(members.get(".index.json", b"null")).get("files")
                except (ValueError, AttributeError):
                    listing = None
                if isinstance(listing, list):
                    self._index = _index_of([e for e in listing
                                             if isinstance(e, dict) and isinstance(e.get("filename"), str)])
                self._members = members
            return self._members

    def _file(self, kind: str, url: str) -> str | None:
        self._open()
        return super()._file(kind, url)

    def member(self, name: str) -> bytes | None:
        return self._open().get(name)

    def code_system_urls(self) -> list[str]:
        self._open()
        return super().code_system_urls()

    def _resources(self, name: str) -> list[Json]:
        data = self._open().get(name)  # kept (not popped): two lookups of one file must both find it
        return resources_from_bytes(data, f"{self.folder}!package/{name}", _KINDS) if data is not None else []


def _index(folder: Path) -> dict[tuple[str, str], str] | None:
    entries = index_entries(folder)
    return _index_of(entries) if entries is not None else None


def _index_of(entries: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for entry in entries:
        kind, url = entry.get("resourceType"), entry.get("url")
        if kind in _KINDS and isinstance(url, str):
            found[(kind, url)] = entry["filename"]
    return found


class WholePackage:
    """Resources not in a package layout (a plain folder, a Bundle file): read whole on the first lookup."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._memory: MemorySource | None = None

    def _source(self) -> MemorySource:
        if self._memory is None:
            try:
                resources = [r for r in read_source(self.path).resources if r.get("resourceType") in _KINDS]
            except DefinitionLoadError:
                resources = []
            self._memory = MemorySource(resources)
        return self._memory

    def value_set(self, url: str) -> Json | None:
        return self._source().value_set(url)

    def code_system(self, url: str) -> Json | None:
        return self._source().code_system(url) if url.split("|")[0] not in IGNORED else None

    def code_system_urls(self) -> list[str]:
        return [url for url in self._source().urls("CodeSystem") if url not in IGNORED]

    def structure(self, key: str) -> Json | None:
        return None


def open_package(path: Path) -> IndexedPackage | WholePackage:
    """A terminology package at ``path``: a folder holding ``package/`` or a ``.tgz`` is read file by file (by its
    index, or by THO's naming), anything else (a plain folder, a file) whole."""
    if path.is_dir() and (path / "package").is_dir():
        return IndexedPackage(path, _index(path))
    if path.is_file() and path.name.endswith((".tgz", ".tar.gz")):
        return ArchivePackage(path)
    return WholePackage(path)


_RUN_CACHE: list[PackageCache] = []  # the package cache this run names (use_package_cache), at most one


def use_package_cache(cache: PackageCache | None) -> PackageCache | None:
    """Look for THO in ``cache`` from now on (None: the default cache again); returns the cache named before, to
    put back. A runner names its cache once, before validating: a Terminology already made keeps what it found."""
    before = _RUN_CACHE[0] if _RUN_CACHE else None
    _RUN_CACHE[:] = [cache] if cache is not None else []
    return before


def find_terminology_package(cache: PackageCache | None = None) -> Path | None:
    """The user's THO package, else the newest one in the FHIR package cache (``cache``, else the run's, else the
    default); None when there is none."""
    given = os.environ.get(ENV)
    if given:
        path = Path(given).expanduser()
        return path if path.exists() else None
    cache = cache or (_RUN_CACHE[0] if _RUN_CACHE else PackageCache())
    for name in THO_NAMES:
        folder = cache.find(name)
        if folder is not None:
            return folder
    return None


def how_to_supply(url: str) -> str:
    """A sentence for "not held locally": what to load, and a user-given package path that is not there."""
    run = str(_RUN_CACHE[0].root) if _RUN_CACHE else None
    return _hint(url.startswith(THO_BASE), os.environ.get(ENV), os.environ.get("FHIR_PACKAGE_CACHE"), run)


@functools.lru_cache(maxsize=64)
def _hint(tho: bool, given: str | None, cache: str | None, run: str | None) -> str:  # the cache is listed once
    if given and not Path(given).expanduser().exists():
        return f"; ${ENV} names {given}, which does not exist"
    if tho and find_terminology_package() is None:
        return ("; install the HL7 Terminology package (hl7.terminology.r4) in the FHIR package cache (or the one "
                f"--package-cache names) or name it in ${ENV}")
    return "; load the package that defines it with --package"


_READERS: dict[str, IndexedPackage | WholePackage] = {}
_READERS_LOCK = threading.Lock()


def _cached(path: str) -> IndexedPackage | WholePackage:
    """One reader per path for the process, made under a lock (two threads must not read THO twice)."""
    with _READERS_LOCK:
        hit = _READERS.get(path)
        if hit is None:
            hit = _READERS[path] = open_package(Path(path))
        return hit


def default_terminology_source() -> IndexedPackage | WholePackage | None:
    """The THO package found now (one reader per path for the life of the process), or None."""
    path = find_terminology_package()
    return _cached(str(path)) if path is not None else None


def package_version(path: Path) -> str | None:
    """The ``version`` in the package.json of the THO package at ``path`` (read through the same reader as its
    resources, so an archive is not read twice); None when it has none."""
    package = _cached(str(path))
    raw = package.member("package.json") if isinstance(package, IndexedPackage) else None
    try:
        manifest = json.loads(raw) if raw is not None else None
    except ValueError:
        return None
    version = manifest.get("version") if isinstance(manifest, dict) else None
    return version if isinstance(version, str) else None
