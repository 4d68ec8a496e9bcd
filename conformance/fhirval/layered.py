"""A DefinitionSource made of layers (base first, packages after): the later layer wins.

It is also where differential-only profiles get their snapshot: the first time such a profile is
asked for, its snapshot is generated against this same layered source (so a profile built on
another loaded profile finds it) and cached. A profile whose snapshot cannot be generated raises
:class:`~conformance.fhirval.snapshot.SnapshotError` (a DefinitionLoadError naming the profile).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

from conformance.fhirval.packages import Loaded, Package, PackageCache, load_packages
from conformance.fhirval.source import (
    FHIR_BASE,
    DefinitionSource,
    Json,
    MemorySource,
    canonical_resource,
    search_parameter,
)


class _Listing(Protocol):
    def urls(self, kind: str = ...) -> Iterator[str]: ...


class LayeredSource:
    """Layers searched last to first; StructureDefinitions are handed out with a snapshot."""

    def __init__(self, layers: Sequence[DefinitionSource], loaded: Loaded | None = None) -> None:
        self.layers = list(layers)
        self.loaded = loaded or Loaded()
        # keyed by the raw dict's id; the raw dict is kept alongside so the id cannot be reused
        self._snapshots: dict[int, tuple[Json, Json]] = {}
        self._in_progress: set[int] = set()
        self._lock = threading.RLock()

    @property
    def warnings(self) -> list[str]:
        return self.loaded.warnings

    @functools.cached_property
    def global_profiles(self) -> dict[str, tuple[str, ...]]:
        """Resource type -> the profiles the loaded guides' ImplementationGuide resources declare ``global`` for
        it, which HL7's validator applies to every resource of that type (InstanceValidator.start, the guides of
        getImplementationGuides(): its test runner's supporting files, the CLI's -ig). An examples package is
        not a guide given: its ImplementationGuide examples declare nothing for the resources validated."""
        found: dict[str, list[str]] = {}
        for package in self.loaded.packages:
            if is_examples_package(package):
                continue
            for rtype, profile in package.globals:
                found.setdefault(rtype, []).append(profile)
        return {k: tuple(dict.fromkeys(v)) for k, v in found.items()}

    # Each lookup below walks the layers top down in its own loop, on purpose: they run on the validator's hot
    # path, and one shared helper taking a lambda measured ~200 ns (~25%) slower a lookup (2026-12-06).

    def raw_structure(self, key: str) -> Json | None:
        """The StructureDefinition as loaded (maybe differential only)."""
        if "/" not in key and ":" not in key:  # a type name (a urn:oid: canonical has no slash)
            key = FHIR_BASE + key
        for layer in reversed(self.layers):
            found = layer.structure(key)
            if found is not None:
                return found
        return None

    def structure(self, key: str) -> Json | None:
        sd = self.raw_structure(key)
        if sd is None or sd.get("snapshot", {}).get("element"):
            return sd
        with self._lock:
            done = self._snapshots.get(id(sd))
            if done is not None:
                return done[1]
            if id(sd) in self._in_progress:
                from conformance.fhirval.snapshot import SnapshotError

                raise SnapshotError(
                    sd.get("url", key), "circular: its snapshot needs itself (baseDefinition or type profile)"
                )
            from conformance.fhirval.snapshot import generate_snapshot

            self._in_progress.add(id(sd))
            try:
                generated = generate_snapshot(sd, self)
            finally:
                self._in_progress.discard(id(sd))
            self._snapshots[id(sd)] = (sd, generated)
            return generated

    def value_set(self, url: str) -> Json | None:
        for layer in reversed(self.layers):
            found = layer.value_set(url)
            if found is not None:
                return found
        return None

    def code_system(self, url: str) -> Json | None:
        for layer in reversed(self.layers):
            found = layer.code_system(url)
            if found is not None:
                return found
        return None

    def search_parameter(self, url: str) -> Json | None:
        for layer in reversed(self.layers):
            found = search_parameter(layer, url)
            if found is not None:
                return found
        return None

    def canonical(self, kind: str, url: str) -> Json | None:
        for layer in reversed(self.layers):
            found = canonical_resource(layer, kind, url)
            if found is not None:
                return found
        return None

    def cross_version_status(self, url: str) -> str | None:
        """What a cross-version extension generator among the layers makes of ``url`` (xver.py), if one is loaded."""
        from conformance.fhirval.xver import cross_version_status

        for layer in reversed(self.layers):
            found = cross_version_status(layer, url)
            if found is not None:
                return found
        return None

    def urls(self, kind: str = "StructureDefinition") -> Iterator[str]:
        """Canonical URLs of every layer (those that can list theirs), each once."""
        seen: set[str] = set()
        for layer in self.layers:
            listing: _Listing | None = layer if hasattr(layer, "urls") else None  # type: ignore[assignment]
            for url in listing.urls(kind) if listing else ():
                if url not in seen:
                    seen.add(url)
                    yield url


def load_definitions(
    specs: Iterable[str | Path] = (), *, cache: PackageCache | None = None, base: bool = True,
    available: Iterable[str | Path] = (), defaults: Sequence[Path] = (),
) -> LayeredSource:
    """Base R4 plus the given packages/files/folders (see packages.py), later wins; ``available`` packages
    are loaded only where a given one depends on them. ``defaults``: packages HL7's validator loads by itself
    (default_packages.py), one shared layer between the base and the packages given.

    HL7's cross-version tables (``hl7.fhir.xver-extensions``) and another version's core package (``hl7.fhir.r5.core``)
    are not loaded as definitions: they become the generators of cross-version extensions (xver.py), below
    everything else so a package's own definition wins; HL7's table replaces a computed one of its version.

    Raises DefinitionLoadError naming the file and the reason when something cannot be loaded.
    """
    from conformance.fhirval.base import base_source
    from conformance.fhirval.xver import generators_for, is_generator_package, preferring_hl7s

    loaded = load_packages(specs, cache, available=available)
    generating = [p for p in loaded.packages if is_generator_package(p)]
    loaded.packages = [p for p in loaded.packages if not is_generator_package(p)]
    layers = preferring_hl7s([g for p in generating for g in generators_for(p, base_source())])
    examples = [r for p in loaded.packages if is_examples_package(p) for r in p.resources]
    if examples:  # below the base: see is_examples_package
        layers.append(MemorySource(examples))
    if base:
        layers.append(base_source())
    if defaults:
        from conformance.fhirval.package_layer import package_layer

        layer, names = package_layer(defaults)
        layers.append(layer)
        loaded.defaults = list(names)
    layers.append(MemorySource([r for p in loaded.packages if not is_examples_package(p) for r in p.resources]))
    return LayeredSource(layers, loaded)


def with_cross_version(source: DefinitionSource, generators: Sequence[DefinitionSource]) -> DefinitionSource:
    """``source`` with cross-version extension generators beneath it (a bench or server that builds them once)."""
    if not generators:
        return source
    if isinstance(source, LayeredSource):
        return LayeredSource([*generators, *source.layers], source.loaded)
    return LayeredSource([*generators, source])


def is_examples_package(package: Package) -> bool:
    """``hl7.fhir.r4.examples`` (SDC depends on it) carries copies of the core definitions besides example profiles:
    HL7's validator never lets such a package replace a canonical already loaded (CanonicalResourceManager.see,
    ``isExamplesPackage``), so its layer lies below the base and only its example-only canonicals are found."""
    name = package.name or ""
    return name.startswith("hl7.fhir.r") and name.endswith(".examples")
