"""Extensions (definition, context, modifier) and the resource-level rules dom-2..dom-6.

An extension's URL is looked up in the definitions: a known one is walked against its own
StructureDefinition (which fixes its value type and nested extensions), checked against its
``context`` and its modifier flag; an unknown one cannot be checked, which the reference validator
reports as an error unless its domain is an example, tooling or allowed one (for a modifierExtension
too: HL7's checkExtension does not tell them apart there), and a core-namespace one as a warning (not for
a modifierExtension) while HL7's extensions package is not loaded.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from conformance.fhirval import matchetypes
from conformance.fhirval.default_packages import EXTENSIONS_R4
from conformance.fhirval.extension_versions import context_applies, definition_window
from conformance.fhirval.index import Node, StructureIndex
from conformance.fhirval.references import is_absolute_url
from conformance.fhirval.source import Json, items
from conformance.fhirval.xver import XVER_MARK

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.elements_values import Frame

_INDEX = re.compile(r"\[\d+\]|\.ofType\([A-Za-z]+\)")
_POSITION = re.compile(r"\[\d+\]")
# A profile's fixed, pattern and example values may carry any extension (HL7's validator,
# InstanceValidator.EXTENSION_CONTEXT_LIST): they stand for an instance's value, wherever that will be.
_ANY_EXTENSION_HOSTS = frozenset({"ElementDefinition.fixed", "ElementDefinition.pattern",
                                  "ElementDefinition.example.value"})
_ANYWHERE = frozenset({"Element", "Base", "Any"})  # "Any" as HL7's validator (checkExtensionContext)
# R5's CanonicalResource, a context R5-era extensions use: in R4, the root of these resources (HL7's validator,
# VersionUtilities.getExtendedCanonicalResourceNames for R4).
CANONICAL_RESOURCES = frozenset(
    "ActivityDefinition CapabilityStatement ChargeItemDefinition CodeSystem CompartmentDefinition ConceptMap "
    "EffectEvidenceSynthesis EventDefinition Evidence EvidenceVariable ExampleScenario GraphDefinition "
    "ImplementationGuide Library Measure MessageDefinition NamingSystem OperationDefinition PlanDefinition "
    "Questionnaire ResearchDefinition ResearchElementDefinition RiskEvidenceSynthesis SearchParameter "
    "StructureDefinition StructureMap TerminologyCapabilities TestScript ValueSet ActorDefinition Requirements "
    "SubscriptionTopic TestPlan".split())
CROSS_VERSION = re.compile(r"http://hl7\.org/fhir/[0-9.]+/StructureDefinition/extension-")
# URLs HL7's validator treats as known though no definition is loaded (its isKnownExtension, with examples
# allowed, its default): example domains, DICOM's, and its own tooling extensions. A warning, not an error.
_EXAMPLE_DOMAINS = ("example.org", "acme.com", "nema.org")
_TOOLING = ("http://hl7.org/fhir/tools/StructureDefinition/",
            "http://hl7.org/fhir/StructureDefinition/structuredefinition-expression")
# The build tool's extensions HL7's validator lets pass unknown and unremarked (InstanceValidator.checkExtension:
# BuildExtensions.allConsts(), and SpecialExtensions' two build ones): R5-era definitions, the extensions package
# among them, carry them on bindings and elements.
_BUILD = "http://hl7.org/fhir/build/StructureDefinition/"
_BUILD_NAMES = frozenset(
    "description title registered ig example-for path footer footer2 entered-in-error-status proposed-order hint "
    "layout todo committee-notes uml-dir uml-break svg ocl fixed-name turtle name v2-map v3-map uri website email "
    "copyright status introduction notes code type no-binding example template definition binding-definition"
    .split())
# HL7's core namespace: an extension there that R4 does not define is most likely one of the hundreds HL7 has
# published since in its extensions package (hl7.fhir.uv.extensions), which HL7's validator loads by itself and
# which is not shipped here (default_packages.py loads it from the package cache when it is there). Not knowing
# it is the harness's lack, so a warning naming the package, not an error.
# With the package loaded (as HL7's runner and CLI load it), one neither defines is HL7's error
# (EXTENSION_EXT_UNKNOWN_NOTHERE; fhir-test-cases profile-patient-op1, bundle-urn).
CORE_NAMESPACE = "http://hl7.org/fhir/StructureDefinition/"
# HL7's validator's own definitions of extensions no package it loads defines (SpecialExtensions.KNOWN_EXTENSIONS;
# the others of that list are in the extensions package or among the build tool's, _BUILD_NAMES)
HL7_BUILT_IN = frozenset(CORE_NAMESPACE + name for name in (
    "instance-name", "instance-description", "structuredefinition-rdf-type"))


def example_extension(url: str, allow_examples: bool = True) -> bool:
    """An extension URL HL7's validator lets pass unknown (example or tooling domain). Without examples allowed
    (-allow-example-urls off) only DICOM's and the tooling ones (InstanceValidator.allowUnknownExtension)."""
    domains = _EXAMPLE_DOMAINS if allow_examples else _EXAMPLE_DOMAINS[2:]
    return any(d in url for d in domains) or url.startswith(_TOOLING)


def ext1(w: Walker, item: Json, loc: str) -> None:
    """ext-1. A ``value`` property naming no type (``valueCodeX``) is no value: HL7's parser drops it as
    unrecognised before the invariant is evaluated (fhir-test-cases list-extension2: both errors)."""
    base = w.model.index("Extension")
    names = base.root.json_names if base is not None and base.root is not None else None
    has_value = False
    for k in item:  # value[x] or its _value[x] shadow (each key stripped once)
        bare = k.lstrip("_")
        if len(bare) > 5 and bare.startswith("value") and (names is None or bare in names):
            has_value = True
            break
    if bool(item.get("extension")) == has_value:
        w.sink.error("invariant", loc, "constraint failed: ext-1: Must have either extensions or value[x], not both")


def definition(w: Walker, node: Node, item: Json, loc: str) -> tuple[StructureIndex, Node] | None:
    """The StructureDefinition an extension's URL names (checking context and modifier), else base Extension."""
    base = w.model.index("Extension")
    fallback = (base, base.root) if base is not None and base.root is not None else None
    url = item.get("url")
    if isinstance(url, str):
        matchetypes.pattern_extension(w, url, loc)
    if not isinstance(url, str) or not url.strip():
        if "url" not in item or isinstance(url, str):  # an empty one is also reported as an empty value
            w.sink.error("extension-url", loc, "Extension.url is required to identify, use and validate the extension")
        return fallback
    if not _in_extension(node) and not is_absolute_url(url):
        # only a sub-extension may have a relative url (HL7's validator, InstanceValidator.checkChildByDefinition:
        # EXTENSION_EXT_URL_ABSOLUTE unless inside an extension), and it then checks nothing more of it
        w.sink.error("extension-url", loc, f"Extension.url must be an absolute URL (not {url!r})")
        return fallback
    if ":" not in url:  # a relative url names a part of its parent extension, judged by the parent's definition
        defined = _sub_extension_urls(node)
        if defined and url not in defined:
            w.sink.error("extension-unknown", loc, f"sub-extension url {url!r} is not defined by the extension "
                                                   f"(it defines {', '.join(sorted(defined))})")
        return fallback
    idx = w.model.index(url.partition("|")[0])
    known = idx is not None and idx.root is not None and idx.type == "Extension"
    if not known and CROSS_VERSION.match(url):  # a package's (UK Core's R5 backports) or generated (xver.py)
        _cross_version_not_defined(w, url, loc)
        return fallback
    modifier = node.name == "modifierExtension"
    if "|" in url and known:
        w.sink.error("extension-url", loc, f"an extension URL must not contain a version ({url})")
    elif "|" in url:  # HL7's validator: a warning when no version of it is known (InstanceValidator.java, NO_MATCH)
        w.sink.warning("extension-url", loc, f"an extension URL must not contain a version ({url}); no "
                                             "extension by that URL is known, with or without the version")
    if idx is None or idx.root is None or idx.type != "Extension":
        kind = "modifier extension" if modifier else "extension"
        if (pending := w.model.unloaded(url)) is not None:
            w.sink.info("extension-unknown", loc, f"the {kind} {url} was not checked: it is under the canonical base "
                                                  f"of {pending}, a dependency that is not loaded")
        # HL7's checkExtension treats an unknown modifierExtension as it treats an unknown extension: allowed in
        # its extension domains, example and tooling domains and the build tool's (allowUnknownExtension, with
        # isModifier not consulted), an error elsewhere (EXTENSION_EXT_UNKNOWN_NOTHERE)
        elif w.allows_unknown_extension(url):
            w.sink.info("extension-unknown", loc, f"the {kind} {url} could not be found: allowed by "
                                                  "--extension-domain, its content not checked")
        elif url.startswith(_BUILD) and url[len(_BUILD):] in _BUILD_NAMES:
            w.sink.info("extension-unknown", loc, f"the {kind} {url} is one of HL7's build tool's, which its "
                                                  "validator accepts unchecked")
        elif example_extension(url, w.options.allow_examples):
            w.sink.warning("extension-unknown", loc, f"the {kind} {url} could not be found: an example or "
                                                     "tooling URL, its content not checked")
        elif url in HL7_BUILT_IN:
            w.sink.info("extension-unknown", loc, f"the {kind} {url} is one HL7's validator defines itself, not "
                                                  "published in a package: accepted, its content not checked")
        elif not modifier and url.startswith(CORE_NAMESPACE) and not w.model.holds_package(EXTENSIONS_R4):
            w.sink.warning("extension-unknown", loc, f"the extension {url} is not an R4 one: it may be defined by "
                                                     "HL7's extensions package (hl7.fhir.uv.extensions.r4), which is "
                                                     "not loaded; install it in the FHIR package cache (then loaded "
                                                     "by default) or load it with --package to have it checked")
        else:
            w.sink.error("extension-unknown", loc, f"the {kind} {url} could not be found, so it is not allowed here")
        return fallback
    defined_modifier = bool(idx.root.ed.get("isModifier"))
    if modifier and not defined_modifier:
        w.sink.error("extension-modifier", loc, f"the extension {url} is not a modifier extension, but is used in "
                                                "modifierExtension")
    elif defined_modifier and not modifier:
        w.sink.error("extension-modifier", loc, f"the extension {url} is a modifier extension: it must be used in "
                                                "modifierExtension")
    _check_context(w, idx, url, loc)
    return idx, idx.root


def _cross_version_not_defined(w: Walker, url: str, loc: str) -> None:
    """A cross-version URL nothing defines: an error when the generator of its version says HL7's would refuse it
    (BaseValidator.getXverExt: Extension_EXT_Version_Invalid / _InvalidId / _NoChange), else not checked (no
    generator for its version)."""
    from conformance.fhirval.xver import cross_version_status

    status = cross_version_status(w.model.source, url)
    if status == "unknown":
        w.sink.error("extension-unknown", loc, f"the cross-version extension {url} names an element its FHIR version "
                                               "does not have")
    elif status == "bad-version":
        w.sink.error("extension-unknown", loc, f"the cross-version extension {url} names a FHIR version HL7 has no "
                                               "cross-version definitions for")
    elif status == "no-change":
        w.sink.error("extension-unknown", loc, f"the cross-version extension {url} names an element R4 has unchanged: "
                                               "use the R4 element, not an extension")
    else:
        w.sink.info("extension-unknown", loc, f"cross-version extension {url}: not checked (no definition of its "
                                              "FHIR version is loaded)")


def _in_extension(node: Node) -> bool:
    """Whether an extension element is a sub-extension: its parent is an extension (``Extension.extension``, or
    deeper in a complex extension's own definition, ``Extension.extension.extension``)."""
    parent = node.path.rpartition(".")[0]
    return parent == "Extension" or parent.endswith((".extension", ".modifierExtension"))


def _sub_extension_urls(node: Node) -> set[str]:
    """The urls a complex extension's definition slices its ``extension`` by (empty: not a complex one)."""
    if node.path != "Extension.extension" or not node.slices:
        return set()
    urls: set[str] = set()
    for s in node.slices:
        url_node = s.children.get("url")
        fixed = url_node.fixed() if url_node is not None else None
        if fixed is None or not isinstance(fixed[1], str):
            return set()  # a slice whose url is not fixed: cannot tell what is defined
        urls.add(fixed[1])
    return urls


# Contexts R4 declares too narrowly, widened as HL7's validator widens them (InstanceValidator.fixContexts):
# the core StructureDefinitions (Patient's own snapshot among them) put structuredefinition-fhir-type on
# ElementDefinition.type, not on its code as declared (R5 corrected the context); regex is used on
# ElementDefinition.type as well as on ElementDefinition (FHIR-13328); structuredefinition-normative-version
# marks every kind of definition R4 publishes, and R4's capabilitystatement-expectation / -prohibited the
# many parts of a CapabilityStatement, so both may stand anywhere. Without this, R4's own definitions fail.
_ERRATA: dict[str, tuple[Json, ...]] = {
    "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type":
        ({"type": "element", "expression": "ElementDefinition.type"},),
    "http://hl7.org/fhir/StructureDefinition/regex": ({"type": "element", "expression": "ElementDefinition.type"},),
    "http://hl7.org/fhir/StructureDefinition/structuredefinition-normative-version":
        ({"type": "element", "expression": "Element"},),
    "http://hl7.org/fhir/StructureDefinition/capabilitystatement-expectation":
        ({"type": "element", "expression": "Element"},),
    "http://hl7.org/fhir/StructureDefinition/capabilitystatement-prohibited":
        ({"type": "element", "expression": "Element"},),
}


def _check_context(w: Walker, idx: StructureIndex, url: str, loc: str) -> None:
    given = idx.sd.get("context")
    # a malformed definition's context that is no object has nothing to judge by (review11: it crashed the walk)
    contexts = [c for c in given if isinstance(c, dict)] if isinstance(given, list) else []
    if not contexts:
        return
    contexts += list(_ERRATA.get(url, ()))
    frame = w.frames[-1]
    host_loc = loc.rpartition(".")[0]
    if host_loc == f"{frame.loc}.id":  # InstanceValidator.checkExtensionContext: FHIR_RESOURCE_ID_CANT_BE_EXTENDED
        w.sink.error("extension-context", loc, f"the extension {url} is not allowed here: extensions are not allowed "
                                               "on Resource.id")
        return
    rel = host_loc[len(frame.loc):] if host_loc.startswith(frame.loc) else ""
    host_path = frame.type + _INDEX.sub("", rel)
    host_types = _types_at(w, frame.type + _POSITION.sub("", rel))
    if host_types & _ANY_EXTENSION_HOSTS:
        return
    for why in definition_window(idx.sd):  # EXTENSION_FHIR_VERSION_EARLIEST / _LATEST; the contexts still checked
        w.sink.error("extension-context", loc, f"the extension {url} is not allowed here: {why}")
    host = w.hosts[-1] if w.hosts else {}
    limited = False
    for ctx in contexts:
        kind, expr = ctx.get("type"), ctx.get("expression")
        marked, applies = context_applies(ctx)
        limited = limited or marked
        if not applies:  # a context for other FHIR versions (checkExtensionContext's cok)
            continue
        if not isinstance(expr, str):
            continue
        if kind == "fhirpath":
            if _in_fhirpath_context(w, expr, host):
                break
            continue
        if kind == "extension":
            if host_path.endswith(".extension") or host_path.endswith(".modifierExtension"):
                if isinstance(host, dict) and host.get("url") == expr:
                    break
            # on the value of an extension (a primitive's own extensions): that extension is the context
            if ".extension.value" in host_path and len(w.hosts) >= 2 and w.hosts[-2].get("url") == expr:
                break
            continue
        if "#" in expr:  # profile#element: that element of a resource that conforms to the profile
            profile, _, expr = expr.partition("#")
            if profile != CORE_NAMESPACE + frame.type and not _conforms_for_context(w, profile):
                continue
        expr = expr.removesuffix("[x]")
        if expr in _ANYWHERE or expr == host_path or expr in host_types:
            break
        if expr in ("Resource", "DomainResource") and "." not in host_path:
            break
        if expr == "CanonicalResource" and host_path in CANONICAL_RESOURCES:
            break
        if "." in expr and expr in _on_base_types(w, host_path):
            break
    else:
        allowed = ", ".join(str(c.get("expression")) for c in contexts)
        message = f"the extension {url} is not allowed here ({host_path}); its context is: {allowed}"
        if XVER_MARK in idx.sd:  # a generated one: contexts may be renamed between versions (..._CONTEXT_WRONG_XVER)
            w.sink.warning("extension-context", loc, f"{message} (a cross-version extension: a warning)")
        elif limited:  # EXTENSION_EXTP_CONTEXT_WRONG_VER: some contexts hold only in other FHIR versions
            w.sink.error("extension-context", loc, f"{message} (contexts limited to other FHIR versions left out)")
        else:
            w.sink.error("extension-context", loc, message)
        return
    _check_context_invariants(w, idx, url, loc, host, host_path)


def _conforms_for_context(w: Walker, profile: str) -> bool:
    """An element context ``profile#path`` holds only in a resource that conforms to that profile (HL7's
    InstanceValidator.checkConformsToProfile, 2023-07-03): a profile not found fails it (an error there too),
    one of another resource type is not checked (a warning there: allowed), and a resource being judged against
    it already (the extension met again in that trial) is allowed. Judged once per resource and profile."""
    frame = w.frames[-1]
    pidx = w.model.index(profile)
    if pidx is None or pidx.root is None:
        return False
    if pidx.type != frame.type:
        return True
    key = (id(frame.resource), "#" + profile)
    if key not in w._targets:
        w._targets[key] = None
        w._targets[key] = w.conforms(frame.resource, frame.type, profile, frame.loc)
    return w._targets[key] is not False


def _on_base_types(w: Walker, host_path: str) -> set[str]:
    """The host's path on each type its type derives from: ``Patient.meta`` is also ``DomainResource.meta`` and
    ``Resource.meta``, so an extension whose context is ``Resource.meta`` is allowed on any resource's meta
    (InstanceValidator.checkExtensionContext walks ``sd.getBaseDefinition()`` comparing ``type + rest``)."""
    def lookup(key: str) -> tuple[str, object] | None:
        idx = w.model.index(key)
        return (idx.type, idx.sd.get("baseDefinition")) if idx is not None else None
    return base_paths(host_path, lookup)


def base_paths(host_path: str, lookup: Callable[[str], tuple[str, object] | None]) -> set[str]:
    """_on_base_types over ``lookup`` (a definition's type and baseDefinition, by URL or type name)."""
    first, dot, rest = host_path.partition(".")
    out: set[str] = set()
    seen: set[str] = set()  # each baseDefinition once: a cycle among a package's definitions ends the walk
    found = lookup(first) if dot else None
    while found is not None:
        base = found[1]
        if not isinstance(base, str) or base in seen:
            break
        seen.add(base)
        found = lookup(base)
        if found is not None:
            out.add(f"{found[0]}.{rest}")
    return out


def _in_fhirpath_context(w: Walker, expression: str, host: Any) -> bool:
    """Whether the element the extension is on is one the context expression selects in the resource (as HL7's
    validator: evaluated from the resource, the element among the results). Not evaluable: allowed. On a
    primitive (``_valueCode``), the host is its ``_name`` object, found among what the expression selects."""
    from conformance.fhirval.invariants import evaluate, select
    from conformance.fhirval.type_names import type_and_ancestors

    frame = w.frames[-1]
    res = frame.resource
    expr = expression
    # a leading type name is the resource when it is its type or an ancestor's (FHIRPathEngine.execute's "special
    # case for start up" walks baseDefinition: ``Resource`` is every resource); fhirpathpy answers empty to it
    first = re.match(r"[A-Z][A-Za-z]*", expr)
    if first is not None and first.group(0) in type_and_ancestors(w, frame.type):
        rest = expr[first.end():]
        if not rest.strip():
            return host is res
        if rest.startswith("."):
            expr = rest[1:]
    try:
        root = w.root_resource()
        found = evaluate(expr, res, frame.type, res, root)
        if not any(f is host for f in found) and isinstance(host, dict) and host.keys() <= {"id", "extension"}:
            found = select(expr, res, frame.type, res, root)
    except Exception:  # noqa: BLE001 - fhirpathpy raises plain Exceptions for what it cannot evaluate
        return True
    return any(f is host for f in found)


def _check_context_invariants(w: Walker, idx: StructureIndex, url: str, loc: str, host: Any, host_path: str) -> None:
    """contextInvariant: each must hold on the element the extension is on."""
    from conformance.fhirval.invariants import evaluate

    frame = w.frames[-1]
    for expression in idx.sd.get("contextInvariant") or ():
        if not isinstance(expression, str) or not isinstance(host, dict):
            continue
        expr = expression
        if host is frame.resource and expr.startswith(frame.type + "."):
            expr = expr[len(frame.type) + 1:]
        try:
            result = evaluate(expr, host, host_path, frame.resource, w.root_resource())
        except Exception:  # noqa: BLE001
            w.sink.info("invariant-not-evaluated", loc, f"context invariant of {url} not evaluated: {expression!r}")
            continue
        if not result or result == [False]:
            w.sink.error("extension-context", loc, f"the extension {url} is not allowed here: its context invariant "
                                                   f"{expression!r} fails")


def _types_at(w: Walker, path: str) -> set[str]:
    """Names the element at a resource path answers to in a context: its types and its path within its type
    (``Patient.name.given`` -> {string, HumanName.given, Element...}). A choice element is followed through the
    type its ``.ofType(T)`` step names (``Observation.value.ofType(CodeableConcept).coding`` is a Coding, as in
    HL7's validator, whose logical paths hold each element's type)."""
    parts = path.split(".")
    idx = w.model.resource_index(parts[0])
    if idx is None or idx.root is None:
        return set()
    node: Node = idx.root
    names = {parts[0], "Resource", "DomainResource"}
    for i, part in enumerate(parts[1:], start=2):
        if part.startswith("ofType("):
            continue
        child = node.children.get(part) or node.children.get(part + "[x]")
        if child is None:
            return set()
        codes = [t.code for t in child.types]
        following = parts[i] if i < len(parts) else ""
        if len(codes) > 1 and following.startswith("ofType(") and following[7:-1] in codes:
            codes = [following[7:-1]]
        names = set(codes) or {"BackboneElement"}
        names.add(f"{node.path}.{part}")
        ref = child.content_reference
        if ref and ref.partition("#")[2] in idx.by_id:  # CodeSystem.concept.concept is CodeSystem.concept
            child = idx.by_id[ref.partition("#")[2]]
            names.add(child.path)
        if child.children or not codes:
            node = child
            continue
        tidx = w.model.index(codes[0])
        if tidx is None or tidx.root is None:
            return names
        node = tidx.root
    extra = {w.model.sd_type(n) for n in names if n not in ("Resource", "DomainResource") and "." not in n}
    return names | extra | {"Element"}


def resource_rules(w: Walker, res: Json, frame: Frame, contained: bool) -> None:
    """dom-2..dom-6, natively (see invariants.py for why)."""
    loc = frame.loc
    if contained:
        if "id" not in res and "_id" not in res:  # HL7: a contained resource's id is REQUIRED (RESOURCE_RES_ID_MISSING)
            w.sink.error("resource-id", loc, "a contained resource must have an id (nothing could reference it)")
        meta: Any = res.get("meta")
        if res.get("contained"):
            w.sink.error("invariant", loc, "constraint failed: dom-2: If the resource is contained in another "
                                           "resource, it SHALL NOT contain nested Resources")
        if isinstance(meta, dict) and (meta.get("versionId") is not None or meta.get("lastUpdated") is not None):
            w.sink.error("invariant", loc, "constraint failed: dom-4: If a resource is contained in another resource, "
                                           "it SHALL NOT have a meta.versionId or a meta.lastUpdated")
        if isinstance(meta, dict) and meta.get("security"):
            w.sink.error("invariant", loc, "constraint failed: dom-5: If a resource is contained in another resource, "
                                           "it SHALL NOT have a security label")
        if len(w.frames) >= 2:
            parent = w.frames[-2]
            parent.local_refs |= frame.local_refs
            if "#" in frame.local_refs and isinstance(res.get("id"), str):
                parent.local_refs.add("#" + res["id"])
        return
    # contained resources not walked (validateContains IGNORE / CHECK_TYPE): HL7 checks their ids only when it walks
    # them, and dom-3 only once every one has been walked (InstanceValidator.checkContainedReferences, allDone)
    walked = w.options.contained == "valid"
    ids: set[str] = set()
    for i, c in enumerate(items(res.get("contained")) if walked else ()):
        cid = c.get("id") if isinstance(c, dict) else None
        if isinstance(cid, str) and cid in ids:  # HL7's validator, validateContains: RESOURCE_DUPLICATE_CONTAINED_ID
            w.sink.error("duplicate-id", f"{loc}.contained[{i}]", f"another contained resource has the id {cid!r}: "
                                                                  "a local reference could not tell them apart")
        elif isinstance(cid, str):
            ids.add(cid)
    idx = w.model.resource_index(frame.type)
    domain = idx is not None and idx.root is not None and "text" in idx.root.children
    if not domain:
        return
    for i, c in enumerate(items(res.get("contained")) if walked else ()):
        # one without an id cannot be referenced: dom-3 fails for it too (HL7: "The contained resource 'null'...")
        own: Any = c.get("id") if isinstance(c, dict) else False  # not a resource: judged elsewhere
        if own is None or (isinstance(own, str) and "#" + own not in frame.local_refs):
            w.sink.error("contained-unreferenced", f"{loc}.contained[{i}]",
                         f"constraint failed: dom-3: the contained resource {own!r} is not referenced from "
                         "elsewhere in the containing resource, nor does it refer to the containing resource")
    text = res.get("text")
    if not (isinstance(text, dict) and text.get("div")) and w.frames[0] is frame:
        w.sink.best_practice("invariant", loc, "constraint failed: dom-6: A resource should have narrative for "
                                               "robust management")
