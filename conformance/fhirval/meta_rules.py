"""A resource's security labels are a set: the same label (system and code) twice is an error.

A label stated twice may be a copy that lost its distinction (another system, another code), and a
receiver cannot tell which was meant: HL7's validator says so (InstanceValidator ``validateResourceRules``:
META_RES_SECURITY_DUPLICATE, on every resource, contained ones too). Tags and profiles are not judged so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.source import Json


def check(w: Walker, res: Json, loc: str) -> None:
    meta = res.get("meta")
    labels: Any = meta.get("security") if isinstance(meta, dict) else None
    if not isinstance(labels, list):
        return
    seen: set[tuple[Any, Any]] = set()
    for i, label in enumerate(labels):
        if not isinstance(label, dict):
            continue
        key = (label.get("system"), label.get("code"))
        if key in seen:
            w.sink.error("security-duplicate", f"{loc}.meta.security[{i}]",
                         f"the security label {key[0]}#{key[1]} is given twice: security labels are a set")
        seen.add(key)


# VersionUtilities.parseVersionUrl: the four characters after the first twenty ("http://hl7.org/fhir/") name a FHIR
# version followed by "/"; the prefix itself is not compared
_VERSIONS = ("1.0", "1.4", "3.0", "4.0", "5.0", "6.0")


def version_url(url: str) -> tuple[str, str] | None:
    """(version, the URL without it) for a version-specific core URL such as ``http://hl7.org/fhir/4.0/...``."""
    if len(url) < 24 or url[23] != "/" or url[20:23] not in _VERSIONS:
        return None
    return url[20:23], "http://hl7.org/fhir/" + url[24:]


def claimed_version_url(w: Walker, url: str, base_url: str, loc: str) -> bool:
    """A claimed profile named by a version-specific URL (InstanceValidator.start): another FHIR version's is only
    noted (VALIDATION_VAL_PROFILE_OTHER_VERSION), R4's own base definition too (..._THIS_VERSION_OK), any other R4
    one is an error (..._THIS_VERSION_OTHER). True when ``url`` is such a URL: it is then not walked against."""
    found = version_url(url) if url != base_url else None
    if found is None:
        return False
    version, plain = found
    if version != "4.0":
        w.sink.info("profile-version", loc, f"the profile {url} is for FHIR version {version}, so was not checked")
    elif plain == base_url:
        w.sink.info("profile-version", loc, f"the profile {url} is this version's base definition")
    else:
        what = w.model.index(plain)
        w.sink.error("profile-type", loc, f"the version-specific profile {url} names a definition other than this "
                                          f"resource's base ({what.type if what is not None else 'null'}); the "
                                          f"profile for this version is {base_url}")
    return True
