"""An ImplementationGuide's dependencies name the guide itself and a well-formed package.

As HL7's ImplementationGuideValidator ``checkDependency`` (the checks that need no package registry): the
``uri`` refers to the ImplementationGuide resource (IG_DEPENDENCY_DIRECT); a version written into it
(``uri|version``) is not empty and is also the dependency's ``version`` (IG_DEPENDENCY_CAN_VERSION_NONE,
_ALONE, _ERROR); the ``packageId`` has the form of an npm package id (IG_DEPENDENCY_INVALID_PACKAGEID,
FilesystemPackageCacheManager.PACKAGE_REGEX).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json

_PACKAGE_ID = re.compile(r"[a-zA-Z][A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]+)+")


def check(w: Walker, ig: Json, loc: str) -> None:
    dependencies: Any = ig.get("dependsOn")
    for i, dep in enumerate(dependencies if isinstance(dependencies, list) else []):
        if not isinstance(dep, dict):
            continue
        where = f"{loc}.dependsOn[{i}]"
        uri, package, version = dep.get("uri"), dep.get("packageId"), dep.get("version")
        if isinstance(uri, str):
            uri, bar, written = uri.partition("|")
            if bar and not written:
                w.sink.error("implementation-guide", where, "the canonical URL cannot end in '|'")
            elif bar and not isinstance(version, str):
                w.sink.error("implementation-guide", where, f"the canonical URL names the version {written!r}, "
                                                            "but the dependency has no version")
            elif bar and written != version and "/ImplementationGuide/" not in uri:
                w.sink.error("implementation-guide", where, f"the canonical URL names the version {written!r}, "
                                                            f"but the dependency's version is {version!r}")
            if "/ImplementationGuide/" not in uri:
                w.sink.error("implementation-guide", where, f"the uri {uri} does not refer to the ImplementationGuide "
                                                            "resource (a path with '/ImplementationGuide/')")
        if isinstance(package, str) and not _PACKAGE_ID.fullmatch(package):
            w.sink.error("implementation-guide", where, f"the packageId {package!r} is not a valid package id")
