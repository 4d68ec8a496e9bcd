"""What the validator knows about one DefinitionSource, worked out once and reused across resources.

The walker asks the same questions for every instance (is ``Observation`` a resource type? which
StructureDefinition does ``http://x/SD/p`` name? which type does a targetProfile constrain?);
answering from a cache keeps per-resource work proportional to the resource, not to the definitions.
"""

from __future__ import annotations

import threading
from typing import Any

from conformance.fhirval.bindings import Terminology
from conformance.fhirval.index import StructureIndex, structure_index
from conformance.fhirval.primitives import PRIMITIVES
from conformance.fhirval.snapshot_checks import Refused
from conformance.fhirval.source import DefinitionSource, as_loaded

_MISSING: Any = object()


class Model:
    """Cached lookups over one source: StructureDefinition indexes, resource types, terminology."""

    def __init__(self, source: DefinitionSource) -> None:
        self.source = source
        self.term = Terminology(source)
        self._index: dict[str, StructureIndex | None] = {}
        self._refused: dict[str, str] = {}  # key -> why HL7's generator would throw on it (index() is None)
        self._resource: dict[str, StructureIndex | None] = {}
        self._type_of: dict[str, str] = {}
        self._is_type: dict[str, bool] = {}
        self.plans: dict[tuple[Any, str], Any] = {}  # (Node, type code) -> the walker's Plan for its values
        self.targets: dict[tuple[str, ...], frozenset[str] | None] = {}  # targetProfiles -> types (references.py)
        # resource type -> the loaded guides' global profiles (LayeredSource.global_profiles; none for other sources)
        found = getattr(source, "global_profiles", None)
        self.global_profiles: dict[str, tuple[str, ...]] = found if isinstance(found, dict) else {}

    def index(self, key: str) -> StructureIndex | None:
        """The index of a StructureDefinition by canonical URL or base type name (None if unknown)."""
        hit = self._index.get(key, _MISSING)
        if hit is _MISSING:
            try:
                hit = structure_index(self.source, key)
            except Refused as exc:  # HL7's generator throws on it: the profile is there, without a snapshot
                self._refused[key] = str(exc)
                hit = None
            except Exception:  # noqa: BLE001 - a definition that cannot be built (e.g. SnapshotError) is unknown here
                hit = None
            self._index[key] = hit
        result: StructureIndex | None = hit
        return result

    def refused(self, key: str) -> str | None:
        """Why the snapshot of this loaded profile cannot be generated, when HL7's generator throws on it too
        (snapshot_checks.Refused); None for a profile that is usable, unknown, or unbuilt for another reason."""
        return self._refused.get(key) if self.index(key) is None else None

    def unloaded(self, url: str) -> str | None:
        """The dependency (id#version) that could not be loaded whose canonical base holds ``url``: what it
        defines is not judged (a harness's lack), never reported as unknown."""
        if getattr(self.source, "loaded", None) is None:  # no packages loaded: asked for every unknown extension
            return None
        from conformance.fhirval.packages import unloaded_in

        return unloaded_in(self.source, url)

    def missing_dependency(self, url: str) -> str | None:
        """The package (``id#version``), a dependency of a loaded one that could not be loaded, that may define ``url``
        or the base it derives from; None when no missing dependency is involved. HL7's extensions package counts as
        one while it is not loaded: HL7's runner and CLI always load it (ValidationEngine.loadExt), so a structure of
        HL7's core namespace that nothing here defines may be one of its (as extensions.definition says of an
        extension); with it loaded, such a structure is unknown to HL7 too."""
        from conformance.fhirval.default_packages import EXTENSIONS_R4
        from conformance.fhirval.extensions import CORE_NAMESPACE

        loaded = getattr(self.source, "loaded", None)
        core_lacking = not self.holds_package(EXTENSIONS_R4)
        if not core_lacking and (loaded is None or not loaded.missing):
            return None
        raw = as_loaded(self.source)
        for _ in range(16):  # a derivation chain
            found = self.unloaded(url)
            try:
                sd = raw(url) if found is None else None
            except Exception:  # noqa: BLE001 - held, but its snapshot cannot be generated: not lacking
                sd = {}
            if found is None and sd is None and core_lacking and url.startswith(CORE_NAMESPACE):
                return EXTENSIONS_R4
            base = sd.get("baseDefinition") if isinstance(sd, dict) else None
            if found is not None or not isinstance(base, str):
                return found
            url = base
        return None

    def holds_package(self, name: str) -> bool:
        """Whether a package of this id was loaded behind the source, given or by default (packages.Loaded.holds)."""
        loaded = getattr(self.source, "loaded", None)
        return loaded is not None and bool(loaded.holds(name))

    def resource_index(self, name: str) -> StructureIndex | None:
        """The base definition of a concrete resource type, or None when ``name`` is not one."""
        hit = self._resource.get(name, _MISSING)
        if hit is _MISSING:
            hit = None
            if name[:1].isupper() and name.isalnum():
                idx = self.index(name)
                if idx is not None and idx.kind == "resource" and not idx.sd.get("abstract") and idx.type == name:
                    hit = idx
            self._resource[name] = hit
        result: StructureIndex | None = hit
        return result

    def is_resource_type(self, name: str) -> bool:
        return self.resource_index(name) is not None

    def is_type_name(self, name: str) -> bool:
        """Whether ``name`` is any FHIR type (used to tell a disallowed choice type from an unknown element)."""
        hit = self._is_type.get(name)
        if hit is None:
            hit = name in PRIMITIVES or self.index(name) is not None
            self._is_type[name] = hit
        return hit

    def sd_type(self, url: str) -> str:
        """The type a StructureDefinition constrains (its last URL segment when it is not held)."""
        hit = self._type_of.get(url)
        if hit is None:
            idx = self.index(url)
            hit = idx.type if idx is not None else url.split("|")[0].rsplit("/", 1)[-1]
            self._type_of[url] = hit
        return hit


_MODELS: dict[int, tuple[DefinitionSource, Model]] = {}
_LOCK = threading.Lock()


def model_for(source: DefinitionSource) -> Model:
    """One Model per source object, kept for the life of the process (sources are few and long-lived)."""
    hit = _MODELS.get(id(source))
    if hit is not None and hit[0] is source:
        return hit[1]
    with _LOCK:  # looked up again: a thread that waited here must take the Model the other one built
        hit = _MODELS.get(id(source))
        if hit is not None and hit[0] is source:
            return hit[1]
        built = Model(source)
        _MODELS[id(source)] = (source, built)
        return built
