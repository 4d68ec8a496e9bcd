"""An extension's FHIR-version window (``version-specific-use``), as HL7's validator reads it for R4 content.

HL7's extensions package marks definitions and single contexts with the extension
``http://hl7.org/fhir/StructureDefinition/version-specific-use`` (sub-extensions ``startFhirVersion`` and
``endFhirVersion``): ``hl7.fhir.uv.extensions.r4`` 5.3.0 carries it on 461 contexts (``Basic`` for the
``artifact-*`` extensions only from 5.0, for instance) and on 4 definitions. InstanceValidator.checkExtensionContext
compares the window with the major.minor of the FHIR version of the resource (``4.0`` for R4, through
VersionUtilities.compareVersions): on the definition, outside it is EXTENSION_FHIR_VERSION_EARLIEST / _LATEST (an
error, the context still checked); on a context, outside it the context is passed over, and when no context then
allows the element the message is EXTENSION_EXTP_CONTEXT_WRONG_VER (EXTM for a modifier), an error as the plain
context error. Nothing here is reached without such a marked definition.
"""

from __future__ import annotations

import re
from typing import Any

from conformance.fhirval.source import Json, objects

VERSION_SPECIFIC = "http://hl7.org/fhir/StructureDefinition/version-specific-use"
R4 = "4.0"  # VersionUtilities.getMajMin of the resource's StructureDefinition.fhirVersion, 4.0.1
_SEMVER = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?")
_NO_LABEL = (1, "")  # compareVersionStrings(inverted): a version without a release label sorts after one with one


def _key(version: str) -> tuple[int, int, int, tuple[int, str]] | None:
    """compareVersions' order: major, minor, patch as integers (none before any), then the release label."""
    m = _SEMVER.fullmatch(version.strip())
    if m is None:
        return None
    patch = -1 if m[3] is None else int(m[3])
    return int(m[1]), int(m[2]), patch, _NO_LABEL if m[4] is None else (0, m[4])


def _compare(a: str, b: str) -> int | None:
    ka, kb = _key(a), _key(b)
    if ka is None or kb is None:
        return None
    return (ka > kb) - (ka < kb)


def _bounds(holder: Json) -> tuple[str | None, str | None] | None:
    """The (start, end) a definition or context declares (ExtensionUtilities.readStringExtension), or None."""
    for ext in objects(holder.get("extension")):
        if ext.get("url") == VERSION_SPECIFIC:
            found: dict[str, str] = {}
            for sub in objects(ext.get("extension")):
                value = next((v for k, v in sub.items() if k.startswith("value") and isinstance(v, str)), None)
                if isinstance(sub.get("url"), str) and value is not None:
                    found[sub["url"]] = value
            if not found.keys() & {"startFhirVersion", "endFhirVersion"}:
                return None  # a malformed marker limits nothing
            return found.get("startFhirVersion"), found.get("endFhirVersion")
    return None


def definition_window(sd: Json) -> list[str]:
    """Why the extension definition excludes R4 (EXTENSION_FHIR_VERSION_EARLIEST / _LATEST), empty when it does not."""
    bounds = _bounds(sd)
    if bounds is None:
        return []
    start, end = bounds
    why: list[str] = []
    if start is not None and (_compare(R4, start) or 0) < 0:
        why.append(f"it is for use from FHIR version {start}, and this is FHIR version {R4}")
    if end is not None and (_compare(R4, end) or 0) > 0:
        why.append(f"it is for use up to FHIR version {end}, and this is FHIR version {R4}")
    return why


def context_applies(ctx: Any) -> tuple[bool, bool]:
    """(the context is version-limited, it applies to R4): a context outside its window is passed over."""
    bounds = _bounds(ctx) if isinstance(ctx, dict) else None
    if bounds is None:
        return False, True
    start, end = bounds
    ok = (start is None or (_compare(R4, start) or 0) >= 0) and (end is None or (_compare(R4, end) or 0) <= 0)
    return True, ok
