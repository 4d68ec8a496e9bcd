"""Profiles asked for by the caller (``--profile``, a suite's claim): which resource each one is walked against.

HL7's validator, given a list of profiles (InstanceValidator.validate(..., List<StructureDefinition>)), validates
the resource against each of them and not against its base definition (the profile's snapshot carries every base
rule); ``meta.profile`` is walked as well, from start(). In validateResource, a profile of another type than the
resource is VALIDATION_VAL_PROFILE_WRONGTYPE and nothing else is walked, with one exception: a Bundle asked to
meet a profile of another type has its first entry's resource validated against it, when that resource is of the
profile's type ("special case: we have a bundle, and the profile is not for a bundle. We'll try the first entry
instead"); the Bundle itself is then not walked.

A profile may impose others (the ``structuredefinition-imposeProfile`` extension on the StructureDefinition):
start() walks each one it can find after the profile, whether the profile was asked for, claimed in meta.profile,
or imposed in turn; one it cannot find is a warning (VALIDATION_VAL_PROFILE_DEPENDS_NOT_RESOLVED).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from conformance.fhirval import bundles
from conformance.fhirval.elements_values import Frame

if TYPE_CHECKING:
    from conformance.fhirval.context import Model
    from conformance.fhirval.elements import Walker

IMPOSE_PROFILE = "http://hl7.org/fhir/StructureDefinition/structuredefinition-imposeProfile"


def imposed(model: Model, url: str) -> list[str]:
    """The canonicals a loaded profile imposes (none when it is not loaded)."""
    idx = model.index(url)
    extensions = idx.sd.get("extension") if idx is not None else None
    return [str(e["valueCanonical"]) for e in extensions or () if isinstance(e, dict)
            and e.get("url") == IMPOSE_PROFILE and isinstance(e.get("valueCanonical"), str)]


def walk(walker: Walker, resource: Any, profiles: Sequence[str]) -> None:
    """Walk a top-level resource against the profiles asked for (none: its base definition), as HL7's does."""
    rtype = resource.get("resourceType") if isinstance(resource, dict) else None
    other = [p for p in profiles if _other_type(walker, p, rtype)]
    if not other or not isinstance(rtype, str):
        walker.resource(resource, "", 0, profiles)
        return
    same = [p for p in profiles if p not in other]
    if same:
        walker.resource(resource, "", 0, same)
    for url in other:
        ptype = walker.model.sd_type(url)
        first = _first_entry(resource) if rtype == "Bundle" else None
        if first is not None and first[1].get("resourceType") == ptype:
            _walk_first_entry(walker, resource, first[0], first[1], url)
        else:
            walker.sink.error("profile-type", rtype, f"the profile {url} constrains {ptype}, not {rtype}")


def _other_type(walker: Walker, url: str, rtype: Any) -> bool:
    """Whether a profile asked for is loaded and constrains another type than the resource's."""
    idx = walker.model.index(url)
    return idx is not None and idx.root is not None and isinstance(rtype, str) and idx.type != rtype


def _first_entry(bundle: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    entries = bundle.get("entry")
    entry = entries[0] if isinstance(entries, list) and entries else None
    res = entry.get("resource") if isinstance(entry, dict) else None
    return (entry, res) if isinstance(entry, dict) and isinstance(res, dict) else None


def _walk_first_entry(walker: Walker, bundle: dict[str, Any], entry: dict[str, Any], res: dict[str, Any],
                      url: str) -> None:
    """The first entry's resource against the profile, standing in its Bundle (HL7's NodeStack is the entry's,
    its root the Bundle), so that its references resolve among the entries."""
    walker.root = bundle
    walker.frames.append(Frame(bundle, "Bundle", "Bundle", False))
    walker.bundles.append(bundles.index_entries(bundle))
    walker.hosts.extend((bundle, entry))
    try:
        walker.resource(res, "Bundle.entry[0].resource", 1, [url])
    finally:
        del walker.hosts[-2:]
        walker.bundles.pop()
        walker.frames.pop()
