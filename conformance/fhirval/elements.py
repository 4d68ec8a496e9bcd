"""Walking a JSON instance against a StructureDefinition tree, reporting every problem where it is.

One pass per definition: each JSON property is matched to its element (unknown ones reported), each
element's values are checked for array-ness, cardinality, JSON type and lexical form, then walked
into (locally constrained children, or the type's own definition). Fixed/pattern values, bindings,
references, extensions, slicing and invariants are judged on the way. Recursion is bounded by
``MAX_DEPTH`` so a hostile, deeply nested input ends in an issue, not a RecursionError.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance.fhirval import bundles, conformance_rules, documents, extensions, references, slicing
from conformance.fhirval.attachments import check_attachment
from conformance.fhirval.bindings import BOUND_TYPES, check_binding, check_coding
from conformance.fhirval.bounds import check_bounds
from conformance.fhirval.context import Model
from conformance.fhirval.fhirpath import narrative_problem
from conformance.fhirval.index import (
    CHOICE_SUFFIX,
    FAST_COMPLEX,
    FAST_PRIMITIVE,
    FAST_PRIMITIVES,
    Node,
    StructureIndex,
    TypeRef,
    choice_stem,
    takes_shadow,
)
from conformance.fhirval.invariants import check_constraints, constraints_of
from conformance.fhirval.issues import Sink
from conformance.fhirval.primitives import PRIMITIVES, check_primitive
from conformance.fhirval.references import SCHEME
from conformance.fhirval.source import Json
from conformance.fhirval.values import equals_fixed, matches_pattern, show

MAX_DEPTH = 120
_JUDGED_TYPES = frozenset({"Coding", "Reference", "Extension", "canonical", "uri", "url", "Attachment"})
# a local link in narrative (``<a href="#id">``, ``<img src="#id">``) references a contained resource (dom-3)
_NARRATIVE_LOCAL = re.compile(r"""(?:href|src)\s*=\s*["'](#[^"']+)["']""")
# a link a reader cannot follow: HL7's validator refuses the urn scheme in a hyperlink
_NARRATIVE_URN = re.compile(r"""<a\s[^>]*\bhref\s*=\s*["'](urn:[^"']*)["']""")
_ABSENT: Any = object()
_GENERAL, _RESOURCE, _LOCAL, _TYPED = range(4)
# (kind, the element's TypeRef for the type, the definition walked for _TYPED, whether judge() has anything to
# check, whether the type's own definition has FHIRPath constraints)
Plan = tuple[int, TypeRef | None, tuple[StructureIndex, Node] | None, bool, bool]


@dataclass
class Frame:
    """One resource being walked (the root, a contained resource, a Bundle entry)."""

    resource: Json
    loc: str
    type: str
    contained: bool = False
    local_refs: set[str] = field(default_factory=set)
    element_ids: set[str] = field(default_factory=set)
    full_url: str | None = None


class Walker:
    """Per-validation state over a shared :class:`Model`; see validate.py for the entry points."""

    def __init__(self, model: Model, sink: Sink, extension_domains: Sequence[str] = ()) -> None:
        self.model = model
        self.sink = sink
        # URL prefixes whose unknown (non-modifier) extensions are information, not errors ("any": all),
        # as HL7's validator's -extension option; by default an extension nobody defined is an error.
        self.extension_domains = tuple(extension_domains)
        self.frames: list[Frame] = []
        self.root: Json = {}
        self.bundles: list[dict[str, Json]] = []  # fullUrl -> resource, innermost Bundle last
        self.hosts: list[Json] = []  # the objects being walked, innermost last
        self.plans = model.plans
        self._noted: set[str] = set()

    def allows_unknown_extension(self, url: str) -> bool:
        return any(d == "any" or url.startswith(d) for d in self.extension_domains)

    def note_once(self, key: str) -> bool:
        if key in self._noted:
            return False
        self._noted.add(key)
        return True

    # ---- resources -----------------------------------------------------------------------------

    def resource(self, res: Any, loc: str, depth: int, profiles: Sequence[str] = (), *, contained: bool = False,
                 full_url: str | None = None) -> None:
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
        if full_url is None and self.frames and self.frames[-1].type == "Bundle" and self.hosts:
            entry_url = self.hosts[-1].get("fullUrl")
            full_url = entry_url if isinstance(entry_url, str) else None
        frame = Frame(res, loc, rtype, contained, full_url=full_url)
        self.frames.append(frame)
        if rtype == "Bundle":
            self.bundles.append(bundles.index_entries(res))
        try:
            if rtype == "Bundle":
                bundles.check_entries(self, res, loc)
                documents.check_reachable(self, res, loc)
            if not self.profiled_as(rtype, profiles):
                self.walk_root(res, idx, loc, depth)
            meta = res.get("meta")
            claimed = meta.get("profile") if isinstance(meta, dict) else None
            wanted = [(p, True) for p in profiles] + [(p, False) for p in claimed or () if isinstance(p, str)]
            done: set[str] = {idx.url}
            for url, asked in wanted:
                if url in done:
                    continue
                done.add(url)
                self.walk_profile(res, rtype, url, loc, depth, asked)
            extensions.resource_rules(self, res, frame, contained)
            conformance_rules.check(self, res, rtype, loc)
        finally:
            self.frames.pop()
            if rtype == "Bundle":
                self.bundles.pop()

    def container(self) -> Frame:
        """The resource whose contained list local references resolve in (not a contained one)."""
        for frame in reversed(self.frames):
            if not frame.contained:
                return frame
        return self.frames[0]

    def resolve(self, ref: Any) -> Json | None:
        """The resource a reference points to: a contained one (``#id``, in the nearest containing resource),
        or a Bundle entry (by fullUrl, or relative to the current entry's base)."""
        if isinstance(ref, str) and ref.startswith("#") and len(ref) > 1:
            if not self.frames:
                return None
            found = [c for c in self.container().resource.get("contained") or ()
                     if isinstance(c, dict) and c.get("id") == ref[1:]]
            return found[0] if len(found) == 1 else None
        if not isinstance(ref, str) or not self.bundles:
            return None
        return bundles.resolve(self.bundles[-1], ref, next((f.full_url for f in reversed(self.frames) if f.full_url),
                                                           None))

    def conforms(self, value: Any, vtype: str, profile: str) -> bool:
        """Whether a value conforms to a profile: a trial validation whose issues are kept apart."""
        idx = self.model.index(profile)
        if idx is None or idx.root is None:
            return False
        probe = Walker(self.model, Sink(limit=1))
        probe.frames, probe.root, probe.bundles = list(self.frames), self.root, self.bundles
        probe.hosts = list(self.hosts)
        probe._noted = self._noted
        if isinstance(value, dict) and "resourceType" in value:
            probe.resource(value, "$", 1, [profile])
        elif isinstance(value, dict):
            probe.object(value, idx, idx.root, "$", 1)
            probe.constraints(idx.root, value, idx.root.path, "$")
        return not any(i.is_error for i in probe.sink.issues)

    def profiled_as(self, rtype: str, profiles: Sequence[str]) -> bool:
        """Whether a profile asked for (not merely claimed) is loaded and constrains ``rtype``: then, as in
        HL7's validator, the resource is walked against that profile alone, whose snapshot carries every
        base rule. The base walk would add the base's own bindings where the profile rebinds an element
        (UK Core's Patient.contact.relationship, DiagnosticReport.code...): warnings HL7 does not give."""
        for url in profiles:
            pidx = self.model.index(url)
            if pidx is not None and pidx.root is not None and pidx.type == rtype:
                return True
        return False

    def walk_root(self, res: Json, idx: StructureIndex, loc: str, depth: int) -> None:
        assert idx.root is not None
        self.object(res, idx, idx.root, loc, depth)
        self.constraints(idx.root, res, idx.root.path, loc)

    def walk_profile(self, res: Json, rtype: str, url: str, loc: str, depth: int, asked: bool) -> None:
        pidx = self.model.index(url)
        if pidx is None or pidx.root is None:
            if asked:
                self.sink.error("unknown-profile", loc, f"the profile {url} is not known (not in the loaded "
                                                        "definitions)")
            else:
                self.sink.warning("unknown-profile", loc, f"meta.profile {url} is not known, so was not checked")
            return
        if pidx.type != rtype:
            self.sink.error("profile-type", loc, f"the profile {url} constrains {pidx.type}, not {rtype}")
            return
        self.walk_root(res, pidx, loc, depth)

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
        # a profile of a resource that says kind complex-type (as some in the wild) still describes a resource
        is_resource = node is idx.root and (idx.kind == "resource" or self.model.is_resource_type(idx.type))
        element_id = obj.get("id")
        # An ElementDefinition's id is its place in the snapshot or the differential, which share ids by design
        # (sdf-* invariants keep each list's ids distinct), so it is not counted among the resource's element ids.
        if isinstance(element_id, str) and not is_resource and self.frames and not (
                node is idx.root and idx.type == "ElementDefinition"):
            seen = self.frames[-1].element_ids
            if element_id in seen:
                self.sink.error("duplicate-id", loc, f"duplicate element id {element_id!r} in this resource")
            seen.add(element_id)
        for key, value in obj.items():
            hit = names.get(key)
            if hit is not None:
                child = hit[0]
                fast = child.fast
                if fast and self.shortcut(obj, idx, child, fast, key, value, loc, depth):
                    continue
                entries = groups.get(child)
                if entries is None:
                    groups[child] = [(key, hit[1], value)]
                else:
                    entries.append((key, hit[1], value))
                continue
            if key == "resourceType" and is_resource:
                continue
            if key[:1] == "_":
                hit = names.get(key[1:])
                if hit is None or not takes_shadow(hit[0], hit[1]):
                    self.unknown(node, key, loc)
                else:
                    shadows[hit[0]] = (key, value)
                    groups.setdefault(hit[0], [])
                continue
            self.unknown(node, key, loc)
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
                self.sink.error("cardinality-min", loc,
                                f"{child.path}: minimum required = {child.min}, but only found 0")
        for child, keys in node.required_slice_keys:
            if not any(key in obj for key in keys):
                for s in child.slices:
                    if s.min > 0:
                        self.sink.error("slice-min", loc, f"{child.path}:{s.slice_name}: minimum required = "
                                                          f"{s.min}, but only found 0")
        self.hosts.pop()

    def shortcut(self, obj: Json, idx: StructureIndex, child: Node, fast: int, key: str, value: Any, loc: str,
                 depth: int) -> bool:
        """The commonest cases, one value or an array of an element's one type ("status": "final",
        "code": {...}, "identifier": [...]), straight to their checks without child()'s general path;
        False (nothing done) when the value needs that path (null, wrong shape, a ``_name`` beside it,
        too few or too many items)."""
        tcode = child.fast_type
        if fast == FAST_PRIMITIVE:
            if value is None or isinstance(value, list) or "_" + key in obj:
                return False
            self.primitive(value, child, tcode, f"{loc}.{key}")
            return True
        if fast == FAST_COMPLEX:
            if not isinstance(value, dict):
                return False
            self.item(value, idx, child, tcode, f"{loc}.{key}", depth + 1, None)
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
        for i, v in enumerate(value):  # FAST_COMPLEXES
            self.item(v, idx, child, tcode, f"{where}[{i}]", depth + 1, None)
        return True

    def unknown(self, node: Node, key: str, loc: str) -> None:
        base = key[1:] if key.startswith("_") else key
        for child in node.children.values():
            prefix = choice_stem(child.name)
            if child.is_choice and base.startswith(prefix) and base[len(prefix):][:1].isupper():
                suffix = base[len(prefix):]
                tname = suffix if self.model.is_type_name(suffix) else suffix[:1].lower() + suffix[1:]
                if self.model.is_type_name(tname):
                    allowed = ", ".join(t.code for t in child.types)
                    self.sink.error("choice-type", f"{loc}.{key}",
                                    f"the type {tname} is not allowed for {child.path} (allowed: {allowed})")
                    return
        self.sink.error("unknown-element", f"{loc}.{key}", f"unrecognised property {key!r}")

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
                self.sink.error("array-unexpected", where, f"{child.path} is not a repeating element: it must not be "
                                                           "a JSON array")
                as_array = True
            elif not value:
                self.sink.error("array-unexpected", where, "an array must not be empty: leave the property out")
        else:
            items = [value]
            if child.is_array:
                self.sink.error("array-expected", where, f"{child.path} repeats: it must be a JSON array")
        shadow_items = self.align_shadow(shadow, items, child.is_array, where) if shadow is not None else None
        if shadow_items is not None and len(shadow_items) != len(items):  # an array where one value belongs
            shadow_items = (shadow_items + [None] * len(items))[:len(items)]
        count = len(items)
        if child.max is not None and count > child.max:
            self.sink.error("cardinality-max", where, f"{child.path}: maximum allowed = {child.max}, but found {count}")
        if 0 < count < child.min:
            self.sink.error("cardinality-min", where, f"{child.path}: minimum required = {child.min}, but only "
                                                      f"found {count}")
        if child.slices and child.slicing is not None:
            assigned = slicing.assign(self, idx, child, items, tcode, where, loc, as_array)
            for i, item in enumerate(items):
                target = assigned[i] or child
                self.item(item, idx, target, tcode, f"{where}[{i}]" if as_array else where, depth + 1,
                          shadow_items[i] if shadow_items else None)
            return
        if shadow is None and tcode in PRIMITIVES:  # the common case, without the general path's layers
            self.primitives(items, child, tcode, where, as_array)
            return
        for i, item in enumerate(items):
            self.item(item, idx, child, tcode, f"{where}[{i}]" if as_array else where, depth + 1,
                      shadow_items[i] if shadow_items else None)

    def primitives(self, items: list[Any], node: Node, tcode: str, where: str, indexed: bool) -> None:
        """Values of a primitive element with no ``_name`` shadow: each checked, a null reported where it is."""
        for i, item in enumerate(items):
            iloc = f"{where}[{i}]" if indexed else where
            if item is None:
                self.sink.error("null-value", iloc, "null is not a valid value: leave the property out")
            else:
                self.primitive(item, node, tcode, iloc)

    def align_shadow(self, shadow: tuple[str, Any], items: list[Any], repeats: bool, where: str) -> list[Any]:
        key, value = shadow
        if repeats:
            if not isinstance(value, list) or len(value) != len(items):
                self.sink.error("primitive-extension", where, f"{key} must be an array as long as its values, with "
                                                              "null where an item has no id or extension")
                return [None] * len(items)
            return list(value)
        if isinstance(value, list):
            self.sink.error("primitive-extension", where, f"{key} must be a JSON object, not an array")
            return [None] * len(items)
        return [value]

    # ---- one value -----------------------------------------------------------------------------

    def item(self, item: Any, idx: StructureIndex, node: Node, tcode: str, loc: str, depth: int, shadow: Any) -> None:
        if shadow is not None:
            self.shadow(shadow, tcode, loc, depth)
        if item is None:
            if shadow is None:
                self.sink.error("null-value", loc, "null is not a valid value: leave the property out")
            elif isinstance(shadow, dict) and not shadow.get("extension") and set(shadow) <= {"id", "extension"}:
                # an id alone is neither value nor child (other keys are reported as unknown instead)
                self.sink.error("invariant", loc, "constraint failed: ele-1: All FHIR elements must have a @value or "
                                                  "children")
            elif _must_have_value(node.ed):
                self.sink.error("value-present", loc, f"the profile requires {node.path} to have a value, not "
                                                      "extensions alone (mustHaveValue)")
            return
        if tcode in PRIMITIVES:
            self.primitive(item, node, tcode, loc)
            return
        plan = self.plans.get((node, tcode))
        if plan is None:
            plan = self.plans[(node, tcode)] = self.plan(node, tcode)
        kind, tref, target, judged, typed_checks = plan
        if kind == _RESOURCE:
            self.resource(item, loc, depth + 1, tref.profiles if tref else (), contained=node.name == "contained")
            return
        if not isinstance(item, dict):
            self.sink.error("object-expected", loc, f"{node.path} must be a JSON object, not {show(item)}")
            return
        if len(item) <= 1 and (not item or "id" in item):
            self.sink.error("invariant", loc, "constraint failed: ele-1: All FHIR elements must have a @value or "
                                              "children")
        if kind == _LOCAL:
            self.object(item, idx, node, loc, depth)
            if judged:
                self.judge(item, node, tcode, tref, loc)
            return
        if kind == _TYPED:
            assert target is not None
            self.object(item, target[0], target[1], loc, depth)
            if judged:
                self.judge(item, node, tcode, tref, loc)
            if typed_checks:
                self.constraints(target[1], item, target[1].path, loc)
            return
        content = self.content(idx, node, tcode, tref, item, loc)
        if content is not None:
            self.object(item, content[0], content[1], loc, depth)
        self.judge(item, node, tcode, tref, loc)
        if content is not None and content[1] is not node:
            self.constraints(content[1], item, content[1].path, loc)

    def plan(self, node: Node, tcode: str) -> Plan:
        """How item() treats a complex value of this element and type, worked out once per model: a resource,
        the element's own children, its type's definition (known before any value is seen), or content()'s
        general answer (contentReference, an extension's definition, a type profile)."""
        tref = node.type_for(tcode) if tcode else None
        judged = _judged(node, tcode)
        if tcode == "Resource" or (tcode and self.model.is_resource_type(tcode)):
            return _RESOURCE, tref, None, judged, False
        if node.children:
            return _LOCAL, tref, None, judged, False
        if node.content_reference or not tcode or tcode == "Extension" or (tref is not None and tref.profiles):
            return _GENERAL, tref, None, judged, False
        tidx = self.model.index(tcode)
        if tidx is None or tidx.root is None:
            return _GENERAL, tref, None, judged, False
        return _TYPED, tref, (tidx, tidx.root), judged, tidx.root is not node and bool(constraints_of(tidx.root))

    def content(self, idx: StructureIndex, node: Node, tcode: str, tref: TypeRef | None, item: Json,
                loc: str) -> tuple[StructureIndex, Node] | None:
        """Which definition describes the item's properties: local children, a contentReference, or its type."""
        if node.children:
            return idx, node
        ref = node.content_reference
        if ref:
            target = idx.by_id.get(ref.partition("#")[2])
            if target is None:
                base = self.model.index(ref.partition("#")[0] or ref.partition("#")[2].split(".")[0])
                target = base.by_id.get(ref.partition("#")[2]) if base else None
                return (base, target) if base and target else None
            return idx, target
        if tcode == "Extension" and not (tref and tref.profiles):
            return extensions.definition(self, node, item, loc)
        if tref is not None and tref.profiles:
            pidx = self.model.index(tref.profiles[0])
            if pidx is not None and pidx.root is not None:
                return pidx, pidx.root
            if self.note_once("profile:" + tref.profiles[0]):
                self.sink.warning("unknown-profile", loc, f"the type profile {tref.profiles[0]} is not known; "
                                                          f"checked against {tcode} only")
        if not tcode:
            return None
        tidx = self.model.index(tcode)
        if tidx is None or tidx.root is None:
            return None
        return tidx, tidx.root

    def shadow(self, shadow: Any, tcode: str, loc: str, depth: int) -> None:
        """``_name``: the id and extensions of a primitive."""
        if not isinstance(shadow, dict):
            self.sink.error("primitive-extension", loc, f"the id/extensions of a primitive must be a JSON object, "
                                                        f"not {show(shadow)}")
            return
        tidx = self.model.index(tcode)
        if tidx is None or tidx.root is None:
            return
        for key in shadow:
            if key not in ("id", "extension"):
                self.sink.error("unknown-element", f"{loc}.{key}", f"unrecognised property {key!r} beside a primitive "
                                                                   "(only id and extension)")
        self.object({k: v for k, v in shadow.items() if k in ("id", "extension")}, tidx, tidx.root, loc, depth)

    def primitive(self, item: Any, node: Node, tcode: str, loc: str) -> None:
        if isinstance(item, (dict, list)):
            self.sink.error("json-type", loc, f"{node.path} is a {tcode}: a JSON primitive is expected here, not "
                                              f"{'an object' if isinstance(item, dict) else 'an array'}")
            return
        quiet = node.quiet
        if quiet is None:
            quiet = node.quiet = _quiet(node)
        if quiet and tcode == node.fast_type:  # most primitives: the lexical check is all there is
            problem = check_primitive(tcode, item)
            if problem is not None:
                self.sink.error(problem[0], loc, problem[1])
            return
        if node.resource_id:
            tcode = "id"
        problem = check_primitive(tcode, item)
        if problem is not None:
            self.sink.error(problem[0], loc, problem[1])
            return
        if tcode == "xhtml" and isinstance(item, str):
            why = narrative_problem(item)
            if why:
                self.sink.error("narrative", loc, why)
            if "#" in item and self.frames:
                self.frames[-1].local_refs.update(_NARRATIVE_LOCAL.findall(item))
            if "urn:" in item:
                for link in _NARRATIVE_URN.findall(item):
                    self.sink.error("narrative", loc, f"the hyperlink {link!r} has the scheme 'urn', which a reader "
                                                      "cannot follow (not a hyperlinkable scheme)")
        max_length = node.max_length
        if max_length is not None and isinstance(item, str) and len(item) > max_length:
            self.sink.error("too-long", loc, f"the value is {len(item)} characters, more than the {max_length} allowed")
        if tcode == "canonical" and isinstance(item, str) and not item.startswith("#") and not SCHEME.match(item):
            self.sink.error("canonical-relative", loc, f"a canonical URL must be absolute unless it is a fragment "
                                                       f"reference (not {item!r})")
        self.judge(item, node, tcode, None, loc)

    def judge(self, item: Any, node: Node, tcode: str, tref: TypeRef | None, loc: str) -> None:
        """Rules of the element definition itself: fixed, pattern, min/max value, binding, references, codes."""
        if not _judged(node, tcode):
            return
        ed = node.ed
        if node.has_rules:
            fixed = node.fixed()
            if fixed is not None and not equals_fixed(fixed[1], item):
                self.sink.error("fixed-value", loc, f"value is {show(item)} but must be exactly {show(fixed[1])}")
            pattern = node.pattern()
            if pattern is not None and not matches_pattern(pattern[1], item):
                self.sink.error("pattern-value", loc,
                                f"value {show(item)} does not match the pattern {show(pattern[1])}")
            check_bounds(item, tcode, ed, loc, self.sink)
        binding = node.binding
        if binding is not None and tcode in BOUND_TYPES:
            check_binding(self.model.term, binding, tcode, item, loc, self.sink)
        if tcode == "Coding" and isinstance(item, dict):
            check_coding(self.model.term, item, loc, self.sink)
        elif tcode == "Reference" and isinstance(item, dict):
            references.check(self, item, node, tref, loc)
        elif tcode == "Extension" and isinstance(item, dict):
            extensions.ext1(self, item, loc)
        elif tcode == "Attachment":
            check_attachment(item, loc, self.sink)
        elif tcode in ("canonical", "uri", "url") and isinstance(item, str) and item.startswith("#"):
            self.frames[-1].local_refs.add(item)
        if node.checks if node.checks is not None else constraints_of(node):  # most elements have none
            self.constraints(node, item, _typed_path(node, tcode), loc)


    def constraints(self, node: Node, item: Any, base_path: str, loc: str) -> None:
        found = constraints_of(node)
        if found:
            frame = self.frames[-1]
            check_constraints(found, item, base_path, frame.resource, self.root, loc, self.sink, self.note_once)


_MUST_HAVE_VALUE = "http://hl7.org/fhir/5.0/StructureDefinition/extension-ElementDefinition.mustHaveValue"


def _must_have_value(ed: Json) -> bool:
    """R5's ElementDefinition.mustHaveValue, or its cross-version extension in an R4 profile."""
    if ed.get("mustHaveValue") is True:
        return True
    return any(isinstance(e, dict) and e.get("url") == _MUST_HAVE_VALUE and e.get("valueBoolean") is True
               for e in ed.get("extension") or ())


def _judged(node: Node, tcode: str) -> bool:
    """Whether judge() has anything to check for a value of this element and type."""
    return bool(node.has_rules or node.binding is not None or tcode in _JUDGED_TYPES or constraints_of(node))


def _quiet(node: Node) -> bool:
    """Whether a primitive value of the element's one type has nothing for primitive() to check after its
    lexical form: no id rule, length, narrative or canonical rule, nor anything for judge()."""
    return (bool(node.fast_type) and not node.resource_id and node.max_length is None
            and node.fast_type not in ("xhtml", "canonical") and not _judged(node, node.fast_type))


def _typed_path(node: Node, tcode: str) -> str:
    """The path fhirpathpy types an element by: a primitive's or a choice's type name (``dateTime``), since
    it types a primitive at a dotted path as a BackboneElement (``$this as dateTime`` was empty: vs-1
    failed on every vital sign); the element path otherwise, which its model resolves."""
    if tcode in PRIMITIVES or (tcode and node.path.endswith(CHOICE_SUFFIX) and tcode[:1].isupper()):
        return tcode
    return node.path


