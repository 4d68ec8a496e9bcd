"""An ImplementationGuide's dependencies name the guide itself and a well-formed package.

As HL7's ImplementationGuideValidator ``checkDependency`` (the checks that need no package registry): the
``uri`` refers to the ImplementationGuide resource (IG_DEPENDENCY_DIRECT); a version written into it
(``uri|version``) is not empty and is also the dependency's ``version`` (IG_DEPENDENCY_CAN_VERSION_NONE,
_ALONE, _ERROR); the ``packageId`` has the form of an npm package id (IG_DEPENDENCY_INVALID_PACKAGEID,
FilesystemPackageCacheManager.PACKAGE_REGEX); and, when nothing above failed and both are given, ``packageId#version``
has the form of a package reference (IG_DEPENDENCY_INVALID_PACKAGE_VERSION, PACKAGE_VERSION_REGEX; HL7 asks its
package cache about the id's canonical first, which finds nothing to clash with for a package it does not know).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

_PACKAGE_ID = re.compile(r"[a-zA-Z][A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]+)+")
_PACKAGE_VERSION = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]+)+#[A-Za-z0-9\-_$]+(\.[A-Za-z0-9\-_$]+)*")


def check(w: Walker, ig: Json, loc: str) -> None:
    dependencies: Any = ig.get("dependsOn")
    for i, dep in enumerate(dependencies if isinstance(dependencies, list) else []):
        if isinstance(dep, dict):
            _dependency(w, dep, f"{loc}.dependsOn[{i}]")


def _dependency(w: Walker, dep: Json, where: str) -> None:
    uri, package, version = dep.get("uri"), dep.get("packageId"), dep.get("version")
    problems: list[str] = []
    if isinstance(uri, str):
        uri, bar, written = uri.partition("|")
        if bar and not written:
            problems.append("the canonical URL cannot end in '|'")
        elif bar and not isinstance(version, str):
            problems.append(f"the canonical URL names the version {written!r}, but the dependency has no version")
        elif bar and written != version and "/ImplementationGuide/" not in uri:
            problems.append(f"the canonical URL names the version {written!r}, but the dependency's version is "
                            f"{version!r}")
        if "/ImplementationGuide/" not in uri:
            problems.append(f"the uri {uri} does not refer to the ImplementationGuide resource (a path with "
                            "'/ImplementationGuide/')")
    if isinstance(package, str) and not _PACKAGE_ID.fullmatch(package):
        problems.append(f"the packageId {package!r} is not a valid package id")
    if not problems and isinstance(package, str) and isinstance(version, str) \
            and not _PACKAGE_VERSION.fullmatch(f"{package}#{version}"):
        problems.append(f"the version {version!r} is not a valid package version")
    for problem in problems:
        w.sink.error("implementation-guide", where, problem)
