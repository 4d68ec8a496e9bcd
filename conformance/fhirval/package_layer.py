"""One shared definition layer of the packages HL7's validator loads by itself (default_packages.py finds them).

Its own module so that layered.py (which puts the layer between base R4 and the packages given) and
default_packages.py (which builds sources with layered.load_definitions) do not import each other.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from conformance.fhirval.loaders import DefinitionLoadError
from conformance.fhirval.packages import read_source
from conformance.fhirval.source import Json, MemorySource
from conformance.fhirval.terminology_packages import THO_BASE


def _base_owns(resource: Json) -> bool:
    """A CodeSystem or ValueSet base R4 defines, outside THO: HL7's context keeps the core package's own (it is
    loaded as master, and CanonicalResourceManager.get answers a master CodeSystem or ValueSet first), so the
    extensions package's later copies (40 ValueSets, 9 CodeSystems in 5.3.0-ballot-tc1) do not replace it."""
    from conformance.fhirval.base import base_source

    url, kind = resource.get("url"), resource.get("resourceType")
    if not isinstance(url, str) or url.startswith(THO_BASE) or kind not in ("CodeSystem", "ValueSet"):
        return False
    base = base_source()
    return (base.code_system(url) if kind == "CodeSystem" else base.value_set(url)) is not None


@functools.lru_cache(maxsize=8)
def _layer(paths: tuple[tuple[str, int, int], ...]) -> tuple[MemorySource, tuple[str, ...]]:
    resources: list[Json] = []
    names = []
    for path, _size, _mtime in paths:
        package = read_source(Path(path))
        resources.extend(r for r in package.resources if not _base_owns(r))
        names.append(f"{package.name}#{package.version}" if package.name else path)
    return MemorySource(resources), tuple(names)


def package_layer(paths: Sequence[Path]) -> tuple[MemorySource, tuple[str, ...]]:
    """One source of the packages at ``paths`` (later wins) and their ``id#version``s, read once per process
    while the files are unchanged. Raises DefinitionLoadError for a package that cannot be read."""
    keys = []
    for path in paths:
        try:
            stat = path.stat()
        except OSError as exc:
            raise DefinitionLoadError(path, exc.strerror or str(exc)) from None
        keys.append((str(path), stat.st_size, stat.st_mtime_ns))
    return _layer(tuple(keys))
