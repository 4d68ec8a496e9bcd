"""Reference.reference: its format, the resource type it implies, and where it resolves.

Forms (R4 references.html): relative ``Type/id`` (optionally ``/_history/vid``), an absolute URL
(RESTful ``.../Type/id`` or any other absolute URI), a local ``#id`` (a contained resource, or ``#``
for the container), and ``urn:uuid:`` / ``urn:oid:``, which must resolve inside the Bundle that carries them;
and a conditional reference ``Type?search`` (its query must parse, as HL7's validator checks; not resolved).

Severities follow HL7's validator: whitespace is an error (REFERENCE_REF_INVALID_REF); a type FHIR does
not have, or a bad conditional query, is an error; syntax that only looks wrong is a warning on its own
(HL7: REFERENCE_REF_SUSPICIOUS), but an error inside a Bundle entry, where a relative reference must be
``Type/id`` to resolve against the fullUrl (HL7: Reference_REF_Format1/2).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from conformance.fhirval.index import Node, TypeRef
from conformance.fhirval.primitives import REGEX
from conformance.fhirval.reference_policy import TYPE_POLICIES, check_aggregation, fetch_checked
from conformance.fhirval.source import Json, items

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker

_MISSING: Any = object()

_ID = REGEX["id"]
RELATIVE = re.compile(rf"(?P<type>[A-Z][A-Za-z]+)/(?P<id>{_ID})(/_history/(?P<vid>{_ID}))?")
ABSOLUTE_REST = re.compile(rf"(?P<base>(https?|ftp)://\S+)/(?P<type>[A-Z][A-Za-z]+)/(?P<id>{_ID})(/_history/{_ID})?")
URN_UUID = re.compile(REGEX["uuid"])
URN_OID = re.compile(REGEX["oid"])
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
_WHITESPACE = re.compile(r"\s")
# HL7's Utilities.isAbsoluteUrl: a lowercase token scheme (a letter, then letters, digits, _ [ ]), then something
# with no space. Stricter than SCHEME: no upper case, + - or . in the scheme.
_ABSOLUTE_URL = re.compile(r"[a-z][a-z0-9_\[\]]*:[^ ]+")
CONDITIONAL = re.compile(r"(?P<type>[A-Z][A-Za-z]+)\?(?P<query>.*)")
_PARAM_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9.:-]*")


@dataclass(frozen=True, slots=True)
class ParsedReference:
    kind: str  # relative | absolute | local | uuid | oid | conditional | other
    type: str | None  # the resource type the reference names, when it names one
    problem: str | None = None
    # "warning" for syntax that only looks wrong (HL7: "looks incorrect, and should be checked"); every
    # other problem is an error. check() makes a looking-wrong relative reference an error inside a Bundle.
    severity: str = "warning"


def is_absolute_url(url: str) -> bool:
    """HL7's Utilities.isAbsoluteUrl, by which its validator asks that a canonical resource's ``url`` and an
    extension's ``url`` be absolute: the scheme decides, not whatever comes after it."""
    return _ABSOLUTE_URL.fullmatch(url) is not None


def _search_query_ok(query: str) -> bool:
    """``name=value&...``: what a conditional reference's query must be (each name a search parameter name,
    each value present and free of ``=``/``&`` once decoded)."""
    pairs = [p for p in query.split("&") if p]
    if not pairs:
        return False
    for pair in pairs:
        name, eq, value = pair.partition("=")
        if not eq or not _PARAM_NAME.fullmatch(unquote_plus(name)) or "=" in unquote_plus(value):
            return False
    return True


def parse_reference(ref: str, is_type: Callable[[str], bool]) -> ParsedReference:
    """Classify a reference string and say what is wrong with it, if anything."""
    if _WHITESPACE.search(ref):
        return ParsedReference("other", None, f"{ref!r} is not a valid reference: it contains whitespace", "error")
    if ref.startswith("#"):
        return ParsedReference("local", None)
    if ref.startswith("urn:uuid:"):  # its form is not judged here (HL7's validator only resolves it)
        return ParsedReference("uuid", None)
    if ref.startswith("urn:oid:"):
        return ParsedReference("oid", None)
    m = CONDITIONAL.fullmatch(ref) if "?" in ref else None
    if m and is_type(m.group("type")):
        if not _search_query_ok(m.group("query")):
            return ParsedReference("conditional", None, f"{ref!r}: the query of a conditional reference is not a "
                                                        "valid query string (name=value&...)", "error")
        return ParsedReference("conditional", None)  # its type is not judged (HL7's validator neither)
    m = RELATIVE.fullmatch(ref)
    if m:
        rtype = m.group("type")
        if not is_type(rtype):  # HL7's validator: no error (tryParse finds no type; "suspicious" only if asked)
            return ParsedReference("relative", None, f"{ref!r}: {rtype!r} is not a FHIR resource type")
        return ParsedReference("relative", rtype)
    m = ABSOLUTE_REST.fullmatch(ref)
    if m and is_type(m.group("type")):
        return ParsedReference("absolute", m.group("type"))
    if SCHEME.fullmatch(ref):
        return ParsedReference("absolute", None)
    if "/" in ref:
        head = ref.split("/", 1)[0]
        if head and head[0].isupper() and not is_type(head):
            return ParsedReference("relative", None, f"{ref!r}: {head!r} is not a FHIR resource type")
        return ParsedReference("relative", None, f"{ref!r} is not a valid reference (Type/id, an absolute URL, "
                                                 "#id or urn:uuid:)")
    return ParsedReference("other", None, f"{ref!r} is not a valid reference (Type/id, an absolute URL, #id or "
                                          "urn:uuid:)")


def type_from_url(url: str) -> str | None:
    """The resource type named by a RESTful URL's last two segments, if any."""
    m = re.search(rf"(?:^|/)([A-Z][A-Za-z]+)/{_ID}(/_history/{_ID})?$", url)
    return m.group(1) if m else None


def target_types(target_profiles: tuple[str, ...], type_of: Callable[[str], str],
                 is_type: Callable[[str], bool] = lambda name: True) -> set[str] | None:
    """Resource types a Reference may point to (None: any, or not knowable), from targetProfile canonicals.

    A target profile that is not loaded (US Core's us-core-practitioner when only its Patient profile is
    given) says nothing of the type it allows, so the target type is then not judged at all."""
    if not target_profiles:
        return None
    out: set[str] = set()
    for profile in target_profiles:
        name = type_of(profile)
        if name == "Resource" or not is_type(name):
            return None
        out.add(name)
    return out


# ---- judging a Reference in place ---------------------------------------------------------------


def check(w: Walker, item: Json, node: Node, tref: TypeRef | None, loc: str) -> None:
    """Format, local/Bundle resolution and target type of one Reference value."""
    ref = item.get("reference")
    declared = item.get("type")
    resolved: Json | None = None
    rtype: str | None = None
    external = False  # resolved by the reference folder (Options.validate_reference), not here
    if isinstance(ref, str):
        parsed = parse_reference(ref, w.model.is_resource_type)
        if parsed.problem:
            severity, problem = parsed.severity, parsed.problem
            if severity == "warning" and ref.count("/") not in (1, 3) and _in_bundle_entry(w):
                severity = "error"
                problem += ": in a Bundle, a relative reference must be Type/id, to resolve against the fullUrl"
            w.sink.add(severity, "reference-format", f"{loc}.reference", problem)
            if parsed.kind == "conditional":  # a bad query: HL7 resolves it in the Bundle all the same
                _conditional_in_entry(w, ref, loc, False)
            elif parsed.kind not in ("local", "uuid", "oid") and not w.bundles and w.options.fetches_references:
                # its form judged, HL7's checkReference still asks its fetcher for it under CHECK_EXISTS and
                # stronger, and one not found is REFERENCE_REF_CANTRESOLVE whatever it looks like (HL7's
                # ValidationEngineTests.testResolveRelativeFileError: 'patient/example-newborn-x')
                fetch_checked(w, ref, loc)
            return
        rtype = parsed.type
        frame = w.frames[-1]
        if parsed.kind == "conditional":
            _conditional_in_entry(w, ref, loc, True)
        if parsed.kind != "local" and w.bundles:
            _check_entry_full_url(w, ref, parsed.kind in ("relative", "conditional"), loc)
        if parsed.kind == "local":
            frame.local_refs.add(ref)
            if ref == "#" and not frame.contained:
                # "#" is the container, seen from a contained resource; elsewhere HL7's localResolve finds nothing
                # (it stops at a Bundle entry or a parameter) and checkReference reports REFERENCE_REF_CANTRESOLVE
                w.sink.error("reference-unresolved", f"{loc}.reference", "'#' refers to the resource that contains "
                                                                        "this one, but this resource is not contained")
            elif ref != "#":
                container = w.container()
                resolved = next((c for c in items(container.resource.get("contained")) if isinstance(c, dict)
                                 and c.get("id") == ref[1:]), None)
                if resolved is None:
                    # two errors, as HL7's validator: the reference cannot be resolved (checkReference,
                    # REFERENCE_REF_CANTRESOLVE, for a contained target) and the invariant ref-1 fails on it
                    w.sink.error("reference-unresolved", f"{loc}.reference",
                                 f"unable to resolve the local reference {ref!r}: no contained resource has that id")
                    w.sink.error("invariant", loc, "constraint failed: ref-1: SHALL have a contained resource if a "
                                                   "local reference is provided")
        elif w.bundles and parsed.kind != "conditional":
            strict = w.strict_entry(ref)
            resolved = w.resolve_here(ref) if strict is None else strict[0]
            strict_error = strict[1] if strict is not None else None
            if strict_error is not None:  # resolveInBundle (BundleValidator.checkAllInterlinked): documents, messages
                w.sink.error(strict_error[0], f"{loc}.reference", strict_error[1])
            if (n := w.entry_matches(ref)) > 1:
                # BaseValidator.getFromBundle: BUNDLE_BUNDLE_MULTIPLEMATCHES, a rule on every match after the first;
                # InstanceValidator.resolve calls it for a reference in any Bundle, a document's or message's too
                # (beside resolveInBundle's BUNDLE_BUNDLE_ENTRY_FOUND_MULTIPLE there)
                w.sink.error("bundle-duplicate", f"{loc}.reference", f"{n} entries have the fullUrl {ref!r} resolves "
                                                                     "to (getFromBundle): the reference is ambiguous")
            elif strict_error is None and resolved is None and parsed.kind in ("uuid", "oid"):
                w.sink.warning("reference-unresolved", f"{loc}.reference",
                               f"{ref!r} is not the fullUrl of any entry in the Bundle")
            if resolved is not None and parsed.kind == "relative":
                _check_resolved_type(w, ref, resolved, loc)
        elif parsed.kind != "conditional":
            resolved = w.resolve_here(ref)  # another parameter's resource, inside a Parameters
        if resolved is None and parsed.kind not in ("local", "conditional"):
            resolved = fetch_checked(w, ref, loc)
            external = resolved is not None
        if resolved is not None and isinstance(resolved.get("resourceType"), str):
            # a fetched target is of the type it has, whatever the reference says (checkReference: we.getType())
            rtype = resolved["resourceType"] if external else rtype or resolved["resourceType"]
    profiles = tref.target_profiles if tref else ()
    allowed = w.model.targets.get(profiles, _MISSING)
    if allowed is _MISSING:  # the same answer for every value of the element: worked out once per model
        found = target_types(profiles, w.model.sd_type, w.model.is_resource_type)
        allowed = w.model.targets[profiles] = frozenset(found) if found is not None else None
    if isinstance(declared, str) and not w.model.is_resource_type(declared) and "/" not in declared:
        # HL7's validator: an error only when the element's targets are restricted (REFERENCE_REF_WRONGTARGET);
        # otherwise only R4's extensible binding of Reference.type to the resource types speaks: a warning
        w.sink.add("error" if allowed is not None else "warning", "reference-format", f"{loc}.type",
                   f"{declared!r} is not a FHIR resource type")
    elif isinstance(declared, str) and rtype and declared != rtype and "/" not in declared:
        w.sink.error("reference-target", f"{loc}.type", f"the reference names a {rtype}, but type says {declared}")
    # only implied by a reference that resolves to nothing here: HL7's checkReference judges that type only under
    # the option assumeValidRestReferences (REFERENCE_REF_BADTARGETTYPE2: an error; our
    # Options.assume_valid_rest_references); R4 still says it is wrong: a warning otherwise
    # a fetched target's type is judged only by a policy that checks types (checkReference: pol.checkType())
    judged = resolved is not None and (not external or w.options.validate_reference in TYPE_POLICIES)
    implied_only = not judged and not isinstance(declared, str) and not w.options.assume_valid_rest_references
    rtype = rtype or (declared if isinstance(declared, str) else None)
    if rtype and allowed is not None and rtype not in allowed:
        w.sink.add("warning" if implied_only else "error", "reference-target", loc,
                   f"the reference is to a {rtype}, but {node.path} may refer only to {', '.join(sorted(allowed))}")
        if judged and external and w.options.validate_reference != "check_valid":
            # without validating it, HL7 also says no target profile is of its type (REFERENCE_REF_CANTMATCHTYPE)
            w.sink.error("reference-target", loc, f"{ref!r} is a {rtype}, for which none of the target profiles is")
    if tref is not None and tref.aggregation and isinstance(ref, str) and (judged or resolved is None):
        check_aggregation(w, ref, None if resolved is None else "external" if external else "internal",
                          tref.aggregation, loc)
    if judged and resolved is not None and tref is not None and tref.target_profiles and isinstance(ref, str):
        _unresolved_target_profiles(w, resolved, tref.target_profiles, loc)
        if not external or w.options.validate_reference == "check_valid":
            _check_target_profiles(w, resolved, tref.target_profiles, ref, loc)


_CORE = "http://hl7.org/fhir/StructureDefinition/"


def _unresolved_target_profiles(w: Walker, target: Json, profiles: tuple[str, ...], loc: str) -> None:
    """A reference that resolves here (contained, or in the Bundle) has its element's target profiles looked up
    one by one, as HL7's validator does (InstanceValidator.checkReference, policy CHECK_VALID for contained and
    internal targets): each one that cannot be found is an error (REFERENCE_REF_CANTRESOLVEPROFILE), and when no
    found one is of the target's type the type is wrong too (REFERENCE_REF_BADTARGETTYPE). ``Resource`` among the
    targets allows anything. A profile missing because the harness lacks a dependency package is information."""
    if any(p.split("|")[0] == _CORE + "Resource" for p in profiles):
        return
    rtype = target.get("resourceType")
    missing: list[str] = []
    typed = False
    for p in profiles:
        url = p.split("|")[0]
        idx = w.model.index(url)
        if idx is not None:
            typed = typed or idx.type == rtype
            continue
        lacking = w.model.missing_dependency(url)
        if lacking is not None:
            w.sink.info("unknown-profile", loc, f"the target profile {p} cannot be used: it may be (or derive from) a "
                                                f"definition of {lacking}, a dependency that is not loaded")
            return
        missing.append(p)
    for p in missing:
        w.sink.error("unknown-profile", loc, f"unable to resolve the target profile {p!r} of this reference")
    if missing and not typed:  # one not found may be of that type: a consequence of the lack, coded as one
        w.sink.error("unknown-profile", loc, f"the reference is to a {rtype}, but no target profile that could be "
                                             "found is of that type")


def _check_target_profiles(w: Walker, target: Json, profiles: tuple[str, ...], ref: str, loc: str) -> None:
    """A reference that resolves here (contained, or in the Bundle) must reach a resource that conforms to one of
    the element's target profiles of its type, as HL7's validator judges it (InstanceValidator.checkReference:
    the target validated against each, REFERENCE_REF_CANTMATCHCHOICE when none fits, unless all are core
    definitions, whose rules the target's own walk has judged). A profile not loaded is not judged."""
    rtype = target.get("resourceType")
    matching = [p for p in profiles if w.model.sd_type(p) == rtype and w.model.index(p.split("|")[0]) is not None]
    if not matching or all(p.startswith(_CORE) for p in matching):
        return
    if any(w.target_conforms(target, p.split("|")[0]) is not False for p in matching):
        return
    w.sink.error("reference-target", loc, f"{ref!r} is a {rtype} that conforms to none of the target profiles "
                                          f"({', '.join(matching)})")


def _check_resolved_type(w: Walker, ref: str, target: Json, loc: str) -> None:
    """A ``Type/id`` reference from an entry known by a ``urn:`` fullUrl finds the entry named by that urn's
    namespace and the id, whatever its type (bundles.resolve); one of another type is a wrong target, as HL7's
    validator says (BaseValidator.getFromBundle, REFERENCE_REF_RESOURCETYPE: "matching reference ... has
    resourceType ...")."""
    m = RELATIVE.fullmatch(ref)
    found = target.get("resourceType")
    if m is not None and isinstance(found, str) and found != m.group("type"):
        w.sink.error("reference-target", loc, f"the entry that {ref!r} resolves to is a {found}, not a "
                                              f"{m.group('type')}")


# Bundles whose entries may go without a fullUrl, and refer from there: R4 (Bundle.entry.fullUrl) "fullUrl can be
# empty on a POST", and a relative reference in a transaction or batch names a resource on the server it is sent
# to; HL7's BundleValidator holds fullUrl optional in all of them, and its own comment in
# BaseValidator.getFromBundle says the reference rule "doesn't apply for batches or transactions", though its code
# exempts only their responses. bundles.py uses it for the fullUrl itself; a reference from an entry without one is
# exempt only in a POST (_check_entry_full_url).
FULLURL_OPTIONAL = frozenset({"batch", "batch-response", "transaction", "transaction-response"})


def _check_entry_full_url(w: Walker, ref: str, relative: bool, loc: str) -> None:
    """A reference (not ``#id``) in an entry that has no fullUrl: HL7's validator says the entry misses its fullUrl
    (InstanceValidator.localResolve, BUNDLE_BUNDLE_ENTRY_NOFULLURL); and a relative reference has nothing to
    resolve against (BaseValidator.getFromBundle, BUNDLE_BUNDLE_FULLURL_MISSING). HL7 exempts only the responses of
    a transaction or batch; here a POST in a transaction or batch is exempt too, as R4 lets it omit the fullUrl
    (Bundle.entry.fullUrl "SHALL have a value except that: fullUrl can be empty on a POST") and its references
    resolve on the server. Any other entry of theirs (a PUT) is held to R4's "SHALL have a value", as HL7 holds it."""
    for k in range(len(w.frames) - 1, 0, -1):
        if w.frames[k - 1].type != "Bundle":
            continue
        frame, bundle = w.frames[k], w.frames[k - 1].resource
        btype = bundle.get("type")
        if frame.full_url is not None or btype in ("batch-response", "transaction-response"):
            return
        if btype in FULLURL_OPTIONAL and _posted_entry(bundle, frame.resource):
            return
        # HL7 reports it on the entry (localResolve: focus.getParentForValidator().getPath()), once per entry
        w.sink.error("bundle-fullurl", frame.loc.removesuffix(".resource"),
                     "the entry has no fullUrl, which the references in its resource need")
        if relative:
            w.sink.error("reference-unresolved", f"{loc}.reference",
                         f"the relative reference {ref!r} has nothing to resolve against: its entry has no fullUrl")
        return


def _posted_entry(bundle: Json, resource: Json) -> bool:
    """Whether the entry holding ``resource`` is a POST."""
    return any(isinstance(e, dict) and e.get("resource") is resource and posted(e) for e in bundle.get("entry") or ())


def posted(entry: Json) -> bool:
    """Whether a Bundle entry's request is a POST (R4 lets only a POST omit its fullUrl)."""
    request = entry.get("request")
    return isinstance(request, dict) and request.get("method") == "POST"


def _conditional_in_entry(w: Walker, ref: str, loc: str, query_ok: bool) -> None:
    """A conditional reference in a Bundle entry, as BaseValidator.getFromBundle resolves it: outside a transaction
    or batch a relative reference must be Type/id (Reference_REF_Format2; a conditional reference is resolved only
    by a server processing a transaction, R4 http.html#trules); inside one, a search URL too, which a bad query is
    not (Reference_REF_Format1, beside REFERENCE_REF_QUERY_INVALID)."""
    btype = _entry_bundle_type(w)
    if ref.count("/") in (1, 3) or btype in (None, ""):
        return
    if btype not in ("transaction", "batch"):
        w.sink.error("reference-format", f"{loc}.reference", f"{ref!r}: a conditional reference is allowed only in a "
                                                             "transaction or batch; in this Bundle a relative "
                                                             "reference must be Type/id")
    elif not query_ok:
        w.sink.error("reference-format", f"{loc}.reference", f"{ref!r}: a relative reference must be Type/id or a "
                                                             "search URL (Type?name=value&...)")


def _in_bundle_entry(w: Walker) -> bool:
    """Whether the reference is in a Bundle entry with a fullUrl (what a relative reference resolves against);
    the Bundle's own elements (its signature) excepted. A missing fullUrl is reported by the Bundle rules."""
    return _entry_bundle_type(w) is not None


def _entry_bundle_type(w: Walker) -> str | None:
    """The type of the Bundle whose entry (one with a fullUrl) holds the reference ("" when it has none); None when
    the reference is in no such entry."""
    if not w.bundles:
        return None
    for k in range(len(w.frames) - 1, -1, -1):
        frame = w.frames[k]
        if frame.type == "Bundle":
            return None
        if frame.full_url:
            btype = w.frames[k - 1].resource.get("type") if k > 0 and w.frames[k - 1].type == "Bundle" else None
            return btype if isinstance(btype, str) else ""
    return None
