"""The packages HL7's validator loads by itself: its extensions package, found in the package cache.

HL7's CLI (``ValidationService.buildValidationEngine``: ``withExtensionsVersion``, then
``ValidationEngine.loadExt``) and its test runner (``TestUtilities.getValidationEngine``) load, after the
core definitions and before anything the user gives, ``hl7.fhir.uv.extensions`` in the flavour of the FHIR
version (``hl7.fhir.uv.extensions.r4`` for R4): the hundreds of extensions HL7 publishes in its core
namespace since R4. Without it an extension such as ``organization-brand`` cannot be judged. We load it
the same way when the FHIR package cache holds it (``--package-cache``, ``$FHIR_PACKAGE_CACHE``,
``~/.fhir/packages``), never from the network; without it nothing changes (such extensions stay a
warning). The HL7 Terminology package, the other one HL7 loads, is found by terminology_packages.py.
``ValidationEngine.initContext`` also always loads ``hl7.fhir.xver-extensions`` (CommonPackages.ID_XVER), the tables
its cross-version extensions (``http://hl7.org/fhir/<v>/StructureDefinition/extension-...``) are generated from:
taken from the cache too (cross_version_generators), as xver.py's generators, beneath everything else.

A package loaded this way is one shared layer (read once per process), between base R4 and the packages
and files given, so those win over it, and it wins over base R4's older copies of the same extensions
(HL7's context keeps the latest version of a canonical), except base R4's own CodeSystems and ValueSets, which
HL7 keeps as the core's (see _base_owns). Its own dependencies are not followed: the
runner loads each package by name, and its THO dependency is THO's business.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from conformance.fhirval.loaders import DefinitionLoadError
from conformance.fhirval.package_layer import package_layer
from conformance.fhirval.packages import PackageCache
from conformance.fhirval.source import DefinitionSource

if TYPE_CHECKING:
    from conformance.fhirval.base import ZipSource
    from conformance.fhirval.layered import LayeredSource

EXTENSIONS_R4 = "hl7.fhir.uv.extensions.r4"  # ValidationEngine.loadExt's package id for R4 and R4B
_LOG = logging.getLogger(__name__)
_WARNED: set[str] = set()  # default packages already reported unreadable (once per process each)
_LOCK = threading.Lock()
_SHARED: dict[str, DefinitionSource] = {}  # default_source's one source per package cache root
_BUILD = threading.Lock()


def find_extensions_package(cache: PackageCache | None = None) -> Path | None:
    """The newest R4 extensions package in the package cache, or None (nothing is fetched)."""
    return (cache or PackageCache()).find(EXTENSIONS_R4)


def default_packages(cache: PackageCache | None = None) -> list[Path]:
    """What HL7's validator would load by itself that the package cache holds (its extensions package)."""
    found = find_extensions_package(cache)
    return [found] if found is not None else []


def with_defaults(specs: Sequence[str | Path] = (), cache: PackageCache | None = None) -> LayeredSource | ZipSource:
    """What ``conformance validate fhir`` validates against: base R4, the packages HL7's validator loads by
    itself that the cache holds, then ``specs``; plain base R4 (shared, opened once) when there is neither."""
    from conformance.fhirval.layered import LayeredSource, load_definitions

    defaults = [path for path in default_packages(cache) if _readable(path)]
    generators = cross_version_generators(cache)
    if not specs and not defaults:
        from conformance.fhirval.base import base_source

        return LayeredSource([*generators, base_source()]) if generators else base_source()
    source = load_definitions(specs, cache=cache, defaults=defaults)
    return LayeredSource([*generators, *source.layers], source.loaded) if generators else source


def cross_version_generators(cache: PackageCache | None = None) -> list[DefinitionSource]:
    """The cross-version extension generators of HL7's tables when the package cache holds them: HL7's validator
    always loads ``hl7.fhir.xver-extensions#0.1.0`` (ValidationEngine.initContext, CommonPackages.ID_XVER) and
    generates from it every ``http://hl7.org/fhir/<v>/StructureDefinition/extension-...`` it meets (BaseValidator
    .getXverExt, XVerExtensionManagerOld). Unreadable, it is left out (warned once), as the extensions package."""
    from conformance.fhirval.packages import read_source
    from conformance.fhirval.xver import generators_for
    from conformance.fhirval.xver_tables import XVER_PACKAGE

    found = (cache or PackageCache()).find(XVER_PACKAGE, None)
    if found is None:
        return []
    try:
        from conformance.fhirval.base import base_source

        return generators_for(read_source(found), base_source())
    except (DefinitionLoadError, OSError, ValueError) as exc:
        _warn_unreadable(found, exc)
        return []


def _readable(path: Path) -> bool:
    """Whether the default package at ``path`` can be read (its layer is then cached). One that cannot (a
    ``package/`` without package.json) is the harness environment's lack, not the input's fault: it is
    warned of once on stderr and validation goes on without it, as a THO package that cannot be read is no
    package (terminology_packages.py)."""
    try:
        package_layer([path])
    except DefinitionLoadError as exc:
        _warn_unreadable(path, exc)
        return False
    return True


def _warn_unreadable(path: Path, exc: Exception) -> None:
    """Once per process and package: a default package that cannot be read is left out, said on stderr."""
    with _LOCK:
        first = str(path) not in _WARNED
        _WARNED.add(str(path))
    if first:
        _LOG.warning("conformance: the default package %s cannot be read (%s); validating without it", path, exc)


def default_source(cache: PackageCache | None = None) -> DefinitionSource:
    """``with_defaults()`` with nothing given, built once per process (per cache root): what the web service
    validates against, so a resource gets the same verdict there as from ``conformance validate fhir``."""
    key = str((cache or PackageCache()).root)
    with _BUILD:  # the first requests of a service arrive together: one builds, the others wait for it
        hit = _SHARED.get(key)
        if hit is None:
            hit = _SHARED[key] = with_defaults((), cache)
        return hit
