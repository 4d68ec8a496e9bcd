"""Walking a JSON instance against a StructureDefinition tree, reporting every problem where it is.

One pass per definition: each JSON property is matched to its element (unknown ones reported), each
element's values are checked for array-ness, cardinality and slicing here, then handed one by one to
elements_values.py (lexical form; fixed/pattern values, bindings, references, extensions and invariants;
walking into complex values). Recursion is bounded by
``MAX_DEPTH`` so a hostile, deeply nested input ends in an issue, not a RecursionError.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from conformance.fhirval import (
    bundles,
    conformance_rules,
    documents,
    extensions,
    matchetypes,
    meta_rules,
    option_rules,
    publisher_rules,
    signatures,
    slicing,
)
from conformance.fhirval.asked import imposed
from conformance.fhirval.bidi import report_bidi
from conformance.fhirval.bundle_resolution import EntryMaps
from conformance.fhirval.context import Model
from conformance.fhirval.elements_values import Frame
from conformance.fhirval.fhirpath import TERMINOLOGY
from conformance.fhirval.index import (
    FAST_COMPLEX,
    FAST_PRIMITIVE,
    FAST_PRIMITIVES,
    FHIR_TYPE_EXT,
    Node,
    StructureIndex,
    choice_stem,
    takes_shadow,
)
from conformance.fhirval.issues import Issue, Sink
from conformance.fhirval.options import DEFAULT, Options, options_from
from conformance.fhirval.primitives import PRIMITIVES, check_primitive, report_primitive
from conformance.fhirval.reference_targets import Place, TargetWalker
from conformance.fhirval.snapshot_checks import no_snapshot
from conformance.fhirval.source import Json
from conformance.fhirval.tx_issues import service_for
from conformance.fhirval.values import show
from conformance.fhirval.vitals import implied_profile

MAX_DEPTH = 120
_ABSENT: Any = object()
_SCALARS = frozenset({str, bool, int, float})  # the JSON scalars json.loads gives (null aside)


class Walker(TargetWalker):
    """Per-validation state over a shared :class:`Model`; see validate.py for the entry points."""

    def __init__(self, model: Model, sink: Sink, extension_domains: Sequence[str] = (), *,
                 options: Options = DEFAULT) -> None:
        self.model = model
        self.sink = sink
        self.options = options_from(options, extension_domains)
        # URL prefixes whose unknown (non-modifier) extensions are information, not errors ("any": all),
        # as HL7's validator's -extension option; by default an extension nobody defined is an error.
        self.extension_domains = self.options.extension_domains
        self.screening = self.options.screens_strings or not self.options.allow_examples  # option_rules.screen_value
        self.patterned = False  # the resource being walked is a matchetype: its "$" values are patterns
        self.per_value = self.screening  # a primitive needs primitive()'s look even when its lexical form is all
        self.tx = service_for(self.options)  # None unless a terminology service is named (tx_service.py)
        self.frames: list[Frame] = []
        self.root: Json = {}
        self.bundles: list[dict[str, Json]] = []  # fullUrl -> resource, innermost Bundle last
        self._entry_maps: dict[int, tuple[Json, EntryMaps]] = {}  # document/message Bundles, by id()
        self.hosts: list[Json] = []  # the objects being walked, innermost last
        self.plans = model.plans
        self._noted: set[str] = set()
        self.unbound = 0  # > 0 while walking a profile whose non-primitive bindings are not judged (walk_implied)
        self._targets: dict[tuple[int, str], bool | None] = {}
        self.fetched: dict[str, Json | None] = {}
        self.external: dict[int, str] = {}
        if TERMINOLOGY.get() is not model.term:  # for memberOf() in invariants; set once per thread and model
            TERMINOLOGY.set(model.term)

    def allows_unknown_extension(self, url: str) -> bool:
        return any(d == "any" or url.startswith(d) for d in self.extension_domains)

    def note_once(self, key: str) -> bool:
        if key in self._noted:
            return False
        self._noted.add(key)
        return True

    # ---- resources -----------------------------------------------------------------------------

    def resource(self, res: Any, loc: str, depth: int, profiles: Sequence[str] = (), *, contained: bool = False,
                 full_url: str | None = None, slicer_profiles: Sequence[str] | None = None) -> None:
        if not isinstance(res, dict):
            self.sink.error("object-expected", loc or "", f"a resource must be a JSON object, not {show(res)}")
            return
        rtype = res.get("resourceType")
        if not isinstance(rtype, str):
            self.sink.error("resource-type", loc, "a resource must have a resourceType (a string)")
            return
        idx = self.model.resource_index(rtype)
        if idx is None or idx.root is None:
            self.sink.error("unknown-resource-type", loc or rtype, f"{rtype!r} is not a FHIR R4 resource type")
            return
        loc = loc or rtype
        if depth > MAX_DEPTH:
            self.sink.error("too-deep", loc, f"nested more than {MAX_DEPTH} levels deep: not walked further")
            return
        if not self.frames:
            self.root = res
            self.fetched.setdefault(f"{rtype}/{res.get('id')}", res)  # HL7 seeds its fetch cache with the root
            for p in profiles:  # being judged against it: a reference back to it is taken as conforming (a circle)
                self._targets.setdefault((id(res), p), None)
        if full_url is None and self.frames and self.frames[-1].type == "Bundle" and self.hosts:
            full_url = bundles.entry_full_url(self.frames[-1].resource, res, self.hosts[-1])
        frame = Frame(res, loc, rtype, contained, full_url=full_url)
        self.frames.append(frame)
        outer = self.patterned  # each resource by its own marker (validateResource: valContext.setMatchetype)
        self.patterned = matchetypes.is_matchetype(res)
        self.per_value = self.screening or self.patterned
        if rtype == "Bundle":
            self.bundles.append(bundles.index_entries(res))
        try:
            if rtype == "Bundle":
                bundles.check_entries(self, res, loc)
                documents.check_first_resource(self, res, loc)
                documents.check_reachable(self, res, loc)
                documents.check_references(self, res, loc)
                documents.check_narrative_links(self, res, loc)
                signatures.check(self, res, loc)
            if not self.profiled_as(rtype, profiles) or slicer_profiles == ():  # a slicer without a profile: base
                if self.options.crumb_trails:
                    self.sink.info("signpost", loc, f"validate resource against profile {idx.url}")
                self.walk_root(res, idx, loc, depth)
            meta = res.get("meta")
            claimed = meta.get("profile") if isinstance(meta, dict) else None
            claimed = claimed if isinstance(claimed, list) else ()  # a wrong JSON type is the walk's error
            wanted = [(p, True) for p in (*profiles, *(slicer_profiles or ()))] + [
                (p, False) for i, p in enumerate(claimed) if isinstance(p, str)
                and not meta_rules.claimed_version_url(self, p, idx.url, f"{loc}.meta.profile[{i}]")]
            implied = implied_profile(res) if rtype == "Observation" else None
            if implied is not None:  # a vital sign, held to its R4 profile as HL7's validator does (vitals.py)
                wanted.append((implied, False))
            wanted += [(p, False) for p in self.model.global_profiles.get(rtype, ())]  # a loaded guide's global
            done: set[str] = {idx.url}
            for url, asked in wanted:  # grows with the profiles each one imposes (asked.imposed)
                if url in done:
                    continue
                done.add(url)
                if url == implied:
                    self.walk_implied(res, rtype, url, loc, depth)
                else:
                    self.walk_profile(res, rtype, url, loc, depth, asked)
                    wanted += [(u, False) for u in imposed(self.model, url)]
            extensions.resource_rules(self, res, frame, contained)
            conformance_rules.check(self, res, rtype, loc)
            if self.options.no_experimental_content or self.options.for_publication:
                option_rules.canonical_rules(self, res, rtype, loc)
            publisher_rules.check(self, res, rtype, loc)
            matchetypes.check(self, res, loc)
            if self.options.for_publication and not contained:
                option_rules.shareable_rules(self, res, rtype, loc)
        finally:
            self.frames.pop()
            self.patterned, self.per_value = outer, self.screening or outer
            if rtype == "Bundle":
                self.bundles.pop()

    def conforms(self, value: Any, vtype: str, profile: str, loc: str = "$") -> bool:
        """Whether a value conforms to a profile: a trial validation whose issues are kept apart. Only its
        first error is kept: a warning or information found first must not fill the probe and overflow it
        into an error. ``loc`` is where the value stands: an extension's context is judged from it; a resource
        contained or in a Bundle here (a slice's ``resolve()`` target, a contained or entry resource) is judged
        at its own place (``place_of``), so its references resolve as in the real walk."""
        place = self.place_of(value) if isinstance(value, dict) and "resourceType" in value else None
        found = self.trial(value, profile, loc, 1, errors_only=True, place=place)
        return found is not None and not any(i.is_error for i in found)

    def trial(self, value: Any, profile: str, loc: str, limit: int, *, errors_only: bool = False,
              place: Place | None = None) -> list[Issue] | None:
        """The issues of a value against a profile, apart from this walk's (None: the profile is not loaded).
        The probe stands where the value stands: under this walk's frames, or a resource's own ``place``
        (``place_of``), with the walk's options (its extension domains). It writes only to its own copy of the
        frame it stands in: an element id it saw there made the real walk call that element's id a duplicate."""
        idx = self.model.index(profile)
        if idx is None or idx.root is None:
            return None
        probe = Walker(self.model, Sink(limit=limit, errors_only=errors_only,
                                        display_errors=self.sink.display_errors,
                                        best_practice_level=self.sink.best_practice_level), options=self.options)
        kept, hosts = (self.frames[:place.depth] if place is not None else self.frames), self.hosts
        if kept:
            last = kept[-1]
            kept = [*kept[:-1], replace(last, local_refs=set(last.local_refs), element_ids={})]
            if place is not None:  # the objects walked down to the frame it stands under
                at = next((i for i in range(len(hosts) - 1, -1, -1) if hosts[i] is last.resource), len(hosts) - 1)
                hosts = hosts[:at + 1]
        probe.frames, probe.root, probe.bundles, probe.hosts = kept, self.root, self.bundles, list(hosts)
        probe._noted = self._noted
        probe._targets, probe.fetched, probe.external = self._targets, self.fetched, self.external
        if place is not None and place.depth == 0:  # a fetched resource stands alone: no Bundle, no host around it
            probe.bundles, probe.hosts = [], []
        probe.unbound = self.unbound
        probe.patterned, probe.per_value = self.patterned, self.per_value
        if place is not None:
            probe.resource(value, place.loc, 1, [profile], contained=place.contained, full_url=place.full_url)
        elif isinstance(value, dict) and "resourceType" in value:
            probe.resource(value, loc, 1, [profile])
        elif isinstance(value, dict):
            probe.object(value, idx, idx.root, loc, 1)
            probe.constraints(idx.root, value, idx.root.path, loc)
        elif value is not None:  # a primitive against a profile of its type (a profile discriminator on ``text``)
            probe.primitive(value, idx.root, idx.type, loc)
        return probe.sink.issues

    def profiled_as(self, rtype: str, profiles: Sequence[str]) -> bool:
        """Whether a profile asked for (not merely claimed) is loaded and constrains ``rtype``: then, as in
        HL7's validator, the resource is walked against that profile alone, whose snapshot carries every
        base rule. The base walk would add the base's own bindings where the profile rebinds an element
        (UK Core's Patient.contact.relationship, DiagnosticReport.code...): warnings HL7 does not give."""
        base = self.model.resource_index(rtype)
        for url in profiles:
            pidx = self.model.index(url)
            if pidx is not None and pidx.root is not None and pidx.type == rtype and (
                    base is None or pidx.url != base.url):  # the core definition asked for is the base walk
                return True
        return False

    def walk_root(self, res: Json, idx: StructureIndex, loc: str, depth: int) -> None:
        assert idx.root is not None
        self.object(res, idx, idx.root, loc, depth)
        self.constraints(idx.root, res, idx.root.path, loc)

    def walk_profile(self, res: Json, rtype: str, url: str, loc: str, depth: int, asked: bool) -> None:
        pidx = self.model.index(url)
        if pidx is None or pidx.root is None:
            missing = self.model.missing_dependency(url)
            refused = self.model.refused(url)
            if missing is not None:  # the harness lacks a package the profile's IG depends on: not judged
                self.sink.info("unknown-profile", loc, f"the profile {url} cannot be used: it may be (or derive from) "
                                                       f"a definition of {missing}, a dependency that is not loaded")
            elif refused is not None:
                no_snapshot(self.sink, url, refused, loc)
            elif asked:
                self.sink.error("unknown-profile", loc, f"the profile {url} is not known (not in the loaded "
                                                        "definitions)")
            else:
                self.sink.warning("unknown-profile", loc, f"the profile {url} (claimed in meta.profile, or imposed by "
                                                          "one) is not known, so was not checked")
            return
        if pidx.type != rtype:
            self.sink.error("profile-type", loc, f"the profile {url} constrains {pidx.type}, not {rtype}")
            return
        if self.options.crumb_trails:  # HL7's -crumb-trails signposts (VALIDATION_VAL_PROFILE_SIGNPOST*)
            self.sink.info("signpost", loc, f"validate resource against profile {url}{'' if asked else ' (per meta)'}")
        self.walk_root(res, pidx, loc, depth)

    def walk_implied(self, res: Json, rtype: str, url: str, loc: str, depth: int) -> None:
        """A profile nobody asked for (a vital sign's): its structure and invariants, and of its own terminology
        bindings only those on primitives (value_judge.judge_value; a required one given only by extensions too,
        elements_values): HL7's validator was not seen to apply its Quantity / CodeableConcept-level ones there
        (an ISO 11073 or L/min component value passes it), while checkPrimitive judges bodytemp's
        ``valueQuantity.code`` (checkPrimitiveBinding, HAPI's testValidateWithUcum). The same
        walk when the profile is also claimed: HL7 validates the implied profiles first (startInner ->
        checkSpecials) and a claimed one after it reuses that outcome (ResourceValidationTracker). The base walk
        has judged the base's bindings already."""
        self.unbound += 1
        try:
            self.walk_profile(res, rtype, url, loc, depth, False)
        finally:
            self.unbound -= 1

    # ---- objects and their properties ----------------------------------------------------------

    def object(self, obj: Json, idx: StructureIndex, node: Node, loc: str, depth: int) -> None:
        """Match each property of ``obj`` to a child of ``node``; check every child present or required."""
        if depth > MAX_DEPTH:
            self.sink.error("too-deep", loc, f"nested more than {MAX_DEPTH} levels deep: not walked further")
            return
        self.hosts.append(obj)
        names = node.json_names
        groups: dict[Node, list[tuple[str, str, Any]]] = {}
        shadows: dict[Node, tuple[str, Any]] = {}
        mistyped: set[Node | None] = set()  # choices present with a type they do not allow: not also missing
        element_id = obj.get("id")
        # An ElementDefinition's id is its place in the snapshot or the differential, which share ids by design
        # (sdf-* invariants keep each list's ids distinct), so it is not counted among the resource's element ids.
        if isinstance(element_id, str) and self.frames and not (
                node is idx.root and (idx.type == "ElementDefinition" or self.is_resource(idx))):
            # the same object met again (a profile's walk after the base's) is no duplicate: HL7's validateElement
            # reports DUPLICATE_ID only when the id is held by another element (stack.getIds().get(id) != element)
            seen = self.frames[-1].element_ids
            if seen.setdefault(element_id, id(obj)) != id(obj):
                self.sink.error("duplicate-id", loc, f"duplicate element id {element_id!r} in this resource")
        for key, value in obj.items():
            hit = names.get(key)
            if hit is not None:
                child = hit[0]
                fast = child.fast
                if (fast == FAST_PRIMITIVE and child.quiet and not self.per_value and type(value) in _SCALARS
                        and value != "" and "_" + key not in obj
                        and not (child.hash_rule and type(value) is str and value[:1] == "#")):
                    # shortcut()'s commonest case, inline: a JSON scalar whose lexical form is all there is to check
                    # (its location is built only for a problem)
                    problem = check_primitive(child.fast_type, value)
                    if problem is not None:
                        report_primitive(self.sink, problem, child.binding, f"{loc}.{key}")
                    if type(value) is str and not value.isascii():
                        report_bidi(self.sink, value, f"{loc}.{key}")
                    continue
                if fast and self.shortcut(obj, idx, child, fast, key, value, loc, depth):
                    continue
                entries = groups.get(child)
                if entries is None:
                    groups[child] = [(key, hit[1], value)]
                else:
                    entries.append((key, hit[1], value))
                continue
            # HL7's JsonParser.checkNotProcessed passes over both in a resource's object (resourceDefinition, R5's
            # additional resources, is resolved at the document's root only: validate.validate_bytes)
            if key in ("resourceType", "resourceDefinition") and node is idx.root and self.is_resource(idx):
                continue
            if key[:1] == "_":
                hit = names.get(key[1:])
                if hit is None or not takes_shadow(hit[0], hit[1]):
                    mistyped.add(self.unknown(node, key, loc))
                else:
                    shadows[hit[0]] = (key, value)
                    groups.setdefault(hit[0], [])
                continue
            mistyped.add(self.unknown(node, key, loc))
        for child, entries in groups.items():
            shadow = shadows.get(child) if shadows else None
            if not entries and shadow is not None:
                key = shadow[0][1:]
                entries = [(key, names[key][1], _ABSENT)]
            self.child(obj, idx, child, entries, shadow, loc, depth)
        for child, keys in node.required_keys:
            for key in keys:
                if key in obj:
                    break
            else:
                if child in mistyped:
                    continue
                self.sink.error("cardinality-min", loc,
                                f"{child.path}: minimum required = {child.min}, but only found 0{idx.origin}")
        for child, keys in node.required_slice_keys:
            if not any(key in obj for key in keys):
                for s in child.slices:
                    if s.min > 0:
                        self.sink.error("slice-min", loc, f"{child.path}:{s.slice_name}: minimum required = "
                                                          f"{s.min}, but only found 0{idx.origin}")
        self.hosts.pop()

    def is_resource(self, idx: StructureIndex) -> bool:
        """Whether a definition describes a resource: a profile of one that says kind complex-type (as some in the
        wild) still does. Asked only where it matters (an object's id or resourceType), not for every object."""
        return idx.kind == "resource" or self.model.is_resource_type(idx.type)

    def shortcut(self, obj: Json, idx: StructureIndex, child: Node, fast: int, key: str, value: Any, loc: str,
                 depth: int) -> bool:
        """The commonest cases, one value or an array of an element's one type ("status": "final",
        "code": {...}, "identifier": [...]), straight to their checks without child()'s general path;
        False (nothing done) when the value needs that path (null, wrong shape, a ``_name`` beside it,
        too few or too many items)."""
        tcode = child.fast_type
        if fast == FAST_PRIMITIVE:
            if value is None or value == "" or isinstance(value, list) or "_" + key in obj:
                return False
            self.primitive(value, child, tcode, f"{loc}.{key}")
            return True
        if fast == FAST_COMPLEX:
            if not isinstance(value, dict):
                return False
            if tcode == "CodeableConcept":  # item() keeps its binding for its codings' displays
                self.item(value, idx, child, tcode, f"{loc}.{key}", depth + 1, None)
            else:  # what item() does with a complex value that has no shadow
                self.complex_item(value, idx, child, tcode, f"{loc}.{key}", depth + 1)
            return True
        if (type(value) is not list or not value or len(value) < child.min
                or (child.max is not None and len(value) > child.max)):
            return False
        where = f"{loc}.{key}"
        if fast == FAST_PRIMITIVES:
            if "_" + key in obj:
                return False
            self.primitives(value, child, tcode, where, True)
            return True
        concept = tcode == "CodeableConcept"
        for i, v in enumerate(value):  # FAST_COMPLEXES
            if v is None or concept:  # item() reports a null, keeps a CodeableConcept's binding
                self.item(v, idx, child, tcode, f"{where}[{i}]", depth + 1, None)
            else:
                self.complex_item(v, idx, child, tcode, f"{where}[{i}]", depth + 1)
        return True

    def unknown(self, node: Node, key: str, loc: str) -> Node | None:
        """Report a property the element does not have; the choice element it is a wrong type of, if it is one."""
        base = key[1:] if key.startswith("_") else key
        for child in node.children.values():
            prefix = choice_stem(child.name)
            if child.is_choice and base.startswith(prefix) and base[len(prefix):][:1].isupper():
                suffix = base[len(prefix):]
                tname = suffix if self.model.is_type_name(suffix) else suffix[:1].lower() + suffix[1:]
                if tname == "uri" and node.path == "Extension" and self.hosts[-1].get("url") == FHIR_TYPE_EXT:
                    return child  # HL7's listExtensionTypes, "special hacks": fhir-type takes a uri as well as a url
                if self.model.is_type_name(tname):
                    allowed = ", ".join(t.code for t in child.types)
                    self.sink.error("choice-type", f"{loc}.{key}",
                                    f"the type {tname} is not allowed for {child.path} (allowed: {allowed})")
                    return child
        self.sink.error("unknown-element", f"{loc}.{key}", f"unrecognised property {key!r}")
        return None

    def child(self, obj: Json, idx: StructureIndex, child: Node, entries: list[tuple[str, str, Any]],
              shadow: tuple[str, Any] | None, loc: str, depth: int) -> None:
        _, tcode, value = entries[0]
        if len(entries) > 1:
            keys = ", ".join(e[0] for e in entries)
            self.sink.error("choice-multiple", f"{loc}.{choice_stem(child.name)}",
                            f"{child.path} may have only one type, but has several ({keys})")
        if not tcode and len(child.types) == 1:
            tcode = child.types[0].code
        where = f"{loc}.{choice_stem(child.name)}.ofType({tcode})" if child.is_choice else f"{loc}.{child.name}"
        shadow_value = shadow[1] if shadow is not None else None
        items: list[Any]
        as_array = child.is_array
        if value is _ABSENT:
            items = [None] * len(shadow_value) if isinstance(shadow_value, list) else [None]
        elif isinstance(value, list):
            items = value
            if not child.is_array:
                if not child.array_unknown:
                    self.sink.error("array-unexpected", where, f"{child.path} is not a repeating element: it must not "
                                                               "be a JSON array")
                as_array = True
            elif not value and tcode not in PRIMITIVES:
                # HL7's ARRAY_CANNOT_BE_EMPTY is JsonParser.parseChildComplex's alone: an empty array of a primitive
                # (parseChildPrimitive) reads as no values, without a word
                self.sink.error("array-unexpected", where, "an array must not be empty: leave the property out")
        else:
            items = [value]
            if child.is_array:
                self.sink.error("array-expected", where, f"{child.path} repeats: it must be a JSON array")
            elif value is None and shadow is not None:
                # a JSON null is no simple value, "_name" beside it or not (JsonParser.parseChildPrimitiveInstance:
                # THIS_PROPERTY_MUST_BE_AN_SIMPLE_VALUE_NOT_); item() reads the null beside a shadow as absent
                self.sink.error("null-value", where, "null is not a valid value: leave the property out")
        shadow_items = self.align_shadow(shadow, items, child.is_array, where) if shadow is not None else None
        if shadow_items is not None and len(shadow_items) != len(items):  # an array where one value belongs
            shadow_items = (shadow_items + [None] * len(items))[:len(items)]
        count = len(items)
        if child.max is not None and count > child.max:
            self.sink.error("cardinality-max", where, f"{child.path}: maximum allowed = {child.max}, but found {count}"
                                                      f"{idx.origin}")
        if count < child.min:  # 0 from an empty array: no element, as HL7's parser reads it
            self.sink.error("cardinality-min", where, f"{child.path}: minimum required = {child.min}, but only "
                                                      f"found {count}{idx.origin}")
        if child.slices and child.slicing is not None:
            assigned = slicing.assign(self, idx, child, items, tcode, where, loc, as_array)
            assigned = slicing.reslice(self, idx, assigned, items, tcode, where, loc, as_array)
            for i, item in enumerate(items):
                target = assigned[i] or child
                self.item(item, idx, target, tcode, f"{where}[{i}]" if as_array else where, depth + 1,
                          shadow_items[i] if shadow_items else None)
            return
        if shadow is None and tcode in PRIMITIVES and not child.requires_children:  # the common case, without
            self.primitives(items, child, tcode, where, as_array)  # the general path's layers
            return
        for i, item in enumerate(items):
            self.item(item, idx, child, tcode, f"{where}[{i}]" if as_array else where, depth + 1,
                      shadow_items[i] if shadow_items else None)
