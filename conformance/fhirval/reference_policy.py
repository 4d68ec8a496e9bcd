"""What HL7's validator asks of where a reference leads: the fetch policy, and a profile's aggregation modes.

Both follow InstanceValidator.checkReference. A reference that resolves here (contained, a Bundle entry, another
parameter's resource) is always judged in full (policy CHECK_VALID); one that does not is looked up only under
the ``validate_reference`` option (HL7's ReferenceValidationPolicy from its policy advisor, IGNORE by default):
CHECK_EXISTS and stronger fetch it and make one not found an error (REFERENCE_REF_CANTRESOLVE); a fetched
target's type, aggregation and target profiles are judged only by a policy that checks types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from conformance.fhirval.index import TypeRef
from conformance.fhirval.source import Json, canonical_resource, search_parameter

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker

# ReferenceValidationPolicy.checkType(): CHECK_TYPE_IF_EXISTS fetches nothing, so it never has a target to judge
TYPE_POLICIES = frozenset({"check_type_if_exists", "check_exists_and_type", "check_valid"})


def fetch_checked(w: Walker, ref: str, loc: str) -> Json | None:
    """A reference that resolves nowhere here, fetched when the policy asks it to exist: not found is an error
    unless it is an example URL the options allow (checkReference: ``allowExamples`` and example.org / acme.com)."""
    if not w.options.fetches_references:
        return None
    found = w.fetch(ref)
    if found is None and not (w.options.allow_examples and ("example.org" in ref or "acme.com" in ref)):
        w.sink.error("reference-unresolved", f"{loc}.reference", f"unable to resolve the resource {ref!r}: it is "
                                                                 "neither here nor in the reference folder")
    return found


def aggregation_allows(modes: tuple[str, ...], kind: str, in_bundle: bool, enforce_outside: bool) -> bool:
    """Whether a resolved reference of ``kind`` (contained / internal / external) meets one of the modes, as HL7's
    checkReference reads them: ``contained`` a contained target; ``bundled`` one in the Bundle (or Parameters),
    enforced in a Bundle and, for R4 unless told otherwise, outside one too (enforceAggregationOutsideBundles:
    R5 reads it as binding only inside a Bundle); ``referenced`` anything not contained."""
    for mode in modes:
        if mode == "contained" and kind == "contained":
            return True
        if mode == "bundled" and (kind == "internal" or not (in_bundle or enforce_outside)):
            return True
        if mode == "referenced" and kind != "contained":
            return True
    return False


def check_aggregation(w: Walker, ref: str, kind: str | None, modes: tuple[str, ...], loc: str) -> None:
    """A profile's aggregation modes on a Reference. ``kind`` is None when it resolves nowhere: then only
    ``referenced`` allows it (REFERENCE_REF_NOTFOUND_BUNDLE); otherwise ``aggregation_allows``
    (REFERENCE_REF_AGGREGATION). A ``#id`` is contained; ``#`` is the container itself."""
    shown = ", ".join(modes)
    if ref.startswith("#") and (kind is not None or ref == "#"):
        kind = "contained"
    if kind is None:
        if "referenced" not in modes:
            w.sink.error("reference-aggregation", loc, f"{ref!r} is neither contained nor in the Bundle, as the "
                                                       f"profile's aggregation ({shown}) requires")
        return
    if not aggregation_allows(modes, kind, bool(w.bundles), w.options.enforce_aggregation_outside_bundles):
        shown_kind = {"internal": "bundled", "external": "external (not in the Bundle)"}.get(kind, kind)
        w.sink.error("reference-aggregation", loc, f"{ref!r} is {shown_kind}, which the profile's aggregation "
                                                   f"({shown}) does not allow")


_KINDS = ("StructureDefinition", "ValueSet", "CodeSystem", "SearchParameter", "Questionnaire", "Measure",
          "OperationDefinition")  # the canonical resources the definition sources index by url


def _held_as(w: Walker, kind: str, url: str) -> bool:
    source = w.model.source
    if kind == "StructureDefinition":
        return source.structure(url) is not None
    if kind == "ValueSet":
        return source.value_set(url) is not None
    if kind == "CodeSystem":
        return source.code_system(url) is not None
    if kind == "SearchParameter":
        return search_parameter(source, url) is not None
    return canonical_resource(source, kind, url) is not None


def check_canonical_type(w: Walker, url: str, tref: TypeRef | None, loc: str) -> None:
    """Under a policy that checks types, a canonical found among the loaded definitions must be of a type its
    element's target profiles allow (InstanceValidator.checkPrimitive, isCorrectCanonicalType:
    TYPE_SPECIFIC_CHECKS_DT_CANONICAL_TYPE). No targets, or Resource / CanonicalResource, allow any; a target
    profile not loaded, an example URL (HL7's runner does not resolve them) or a URL not held is not judged."""
    if tref is None or not tref.target_profiles or url.startswith("#") or "example.org" in url:
        return
    allowed: set[str] = set()
    for profile in tref.target_profiles:
        name = w.model.sd_type(profile)
        if name in ("Resource", "CanonicalResource", "MetadataResource") or not w.model.is_resource_type(name):
            return
        allowed.add(name)
    if any(_held_as(w, kind, url) for kind in allowed if kind in _KINDS):
        return
    found = next((kind for kind in _KINDS if kind not in allowed and _held_as(w, kind, url)), None)
    if found is not None:
        w.sink.error("reference-target", loc, f"the canonical {url!r} is a {found}, but this element may refer only "
                                              f"to {', '.join(sorted(allowed))}")
