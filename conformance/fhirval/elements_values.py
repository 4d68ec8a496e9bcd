"""One value of an element: its shadow (``_name``), its lexical form, and the rules of its element definition.

The half of the walk below a property: :class:`~conformance.fhirval.elements.Walker` matches properties to
elements and hands each value here; a complex value goes back to its ``object()``. Split from elements.py
to keep each module readable; the two are one class at run time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from conformance.fhirval import extensions, matchetypes, type_profiles, value_judge, value_presence
from conformance.fhirval.bidi import report_bidi
from conformance.fhirval.bounds import check_text_rules
from conformance.fhirval.context import Model
from conformance.fhirval.fhirpath import narrative_problems
from conformance.fhirval.index import Node, StructureIndex, TypeRef, content_reference_profile, merged_choice
from conformance.fhirval.invariants import check_constraints, constraints_of
from conformance.fhirval.issues import Issue, Sink
from conformance.fhirval.java_text import java_length
from conformance.fhirval.narrative import unresolved_anchors, without_comments
from conformance.fhirval.option_rules import contained_type, screen_value
from conformance.fhirval.options import Options
from conformance.fhirval.primitives import JUDGED_ON, PRIMITIVES, check_primitive, report_primitive
from conformance.fhirval.reference_policy import TYPE_POLICIES, check_canonical_type
from conformance.fhirval.references import is_absolute_url
from conformance.fhirval.source import Json
from conformance.fhirval.values import show

if TYPE_CHECKING:
    from conformance.fhirval.elements import Walker
    from conformance.fhirval.tx_service import TerminologyService

# a local link in narrative (``<a href="#id">``, ``<img src="#id">``) references a contained resource (dom-3)
_NARRATIVE_LOCAL = re.compile(r"""(?:href|src)\s*=\s*["'](#[^"']+)["']""")
# a link a reader cannot follow: HL7's validator refuses the urn and cid schemes in a hyperlink
# (InstanceValidator.isLiteralScheme, TYPE_SPECIFIC_CHECKS_DT_XHTML_LITERAL_HREF)
_NARRATIVE_URN = re.compile(r"""<a\s[^>]*\bhref\s*=\s*["']((?:urn|cid):[^"']*)["']""")
_GENERAL, _RESOURCE, _LOCAL, _TYPED = range(4)
# the types whose maxLength HL7's validator judges (InstanceValidator.checkPrimitive: not markdown, id, instant, time)
_MAX_LENGTH_TYPES = frozenset({"string", "code", "uri", "url", "canonical", "oid", "uuid", "date", "dateTime"})
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
    element_ids: dict[str, int] = field(default_factory=dict)  # element id -> id() of the object that holds it
    full_url: str | None = None


class ValueWalker:
    """The per-value half of :class:`~conformance.fhirval.elements.Walker` (its state is set there)."""

    model: Model
    sink: Sink
    frames: list[Frame]
    root: Json
    plans: dict[tuple[Node, str], Plan]
    options: Options
    screening: bool
    patterned: bool  # the resource being walked is a matchetype (matchetypes.is_matchetype)
    # the binding of the CodeableConcept whose codings are being walked: its value set may give a coding's display
    # (bindings.check_coding, HL7's useValueSetDisplays)
    concept_binding: Json | None = None
    tx: TerminologyService | None = None  # a terminology service (Options.tx_cache), asked where nothing held decides

    def object(self, obj: Json, idx: StructureIndex, node: Node, loc: str, depth: int) -> None:
        raise NotImplementedError  # elements.Walker

    def resource(self, res: Any, loc: str, depth: int, profiles: Sequence[str] = (), *, contained: bool = False,
                 full_url: str | None = None, slicer_profiles: Sequence[str] | None = None) -> None:
        raise NotImplementedError  # elements.Walker

    def note_once(self, key: str) -> bool:
        raise NotImplementedError  # elements.Walker

    def conforms(self, value: Any, vtype: str, profile: str, loc: str = "$") -> bool:
        raise NotImplementedError  # elements.Walker

    def trial(self, value: Any, profile: str, loc: str, limit: int, *, errors_only: bool = False
              ) -> list[Issue] | None:
        raise NotImplementedError  # elements.Walker

    def primitives(self, items: list[Any], node: Node, tcode: str, where: str, indexed: bool) -> None:
        """Values of a primitive element with no ``_name`` shadow: each checked, a null reported where it is."""
        for i, item in enumerate(items):
            iloc = f"{where}[{i}]" if indexed else where
            if item is None:
                self.sink.error("null-value", iloc, "null is not a valid value: leave the property out")
            else:
                self.primitive(item, node, tcode, iloc)
                if item == "":
                    self.empty_ele1(iloc)

    def align_shadow(self, shadow: tuple[str, Any], items: list[Any], repeats: bool, where: str) -> list[Any]:
        key, value = shadow
        if repeats:
            if isinstance(value, list) and len(value) < len(items):
                # HL7's JsonParser pairs the arrays by position and reads an item past the shorter one's end as
                # null (arrI), reporting only a position null in both (JSON_PROPERTY_INVALID_ARRAY): US Core 9.0.0's
                # _targetProfile stops before its last targetProfile
                self.sink.warning("primitive-extension", where, f"{key} is shorter than its values: the items past "
                                                                "its end are read as having no id or extension")
                return [*value, *([None] * (len(items) - len(value)))]
            if not isinstance(value, list) or len(value) != len(items):
                self.sink.error("primitive-extension", where, f"{key} must be an array as long as its values, with "
                                                              "null where an item has no id or extension")
                return [None] * len(items)
            return list(value)
        if isinstance(value, list):
            self.sink.error("primitive-extension", where, f"{key} must be a JSON object, not an array")
            return [None] * len(items)
        if value is None and items[:1] != [None]:
            # HL7's JsonParser.parseChildPrimitiveInstance: a fork that is no JsonObject (a JSON null too) is
            # THIS_PROPERTY_MUST_BE_AN_OBJECT_NOT_, and the value is not read (alone, the null is item()'s error)
            self.sink.error("primitive-extension", where, f"{key} must be a JSON object, not null")
        return [value]

    def empty_ele1(self, loc: str) -> None:
        """An empty value is no value (FHIRPath hasValue() is false for ""), so a primitive with neither a value
        nor an extension fails ele-1 besides its empty-value error, as in HL7's validator (patient-extension-bad2)."""
        self.sink.error("invariant", loc, "constraint failed: ele-1: All FHIR elements must have a @value or children")

    # ---- one value -----------------------------------------------------------------------------

    def item(self, item: Any, idx: StructureIndex, node: Node, tcode: str, loc: str, depth: int, shadow: Any) -> None:
        if shadow is not None:
            self.shadow(shadow, idx, node, tcode, loc, depth)
        if item is None:
            if shadow is None:
                self.sink.error("null-value", loc, "null is not a valid value: leave the property out")
            elif isinstance(shadow, dict) and not shadow.get("extension") and "value" not in shadow:
                # an id alone is neither value nor child; any other key is reported as unknown and dropped, as
                # HL7's JsonParser drops it, so it is no child either, except "value": the primitive's own property,
                # which it keeps as a child (InstanceValidator's ILLEGAL_PROPERTY "sanity check"; fhir-test-cases
                # Observation-ex-pain.json: that error alone)
                self.sink.error("invariant", loc, "constraint failed: ele-1: All FHIR elements must have a @value or "
                                                  "children")
                if "id" not in shadow:  # InstanceValidator.checkPrimitive: no value and no child at all
                    self.sink.error("empty-value", loc, "a primitive must have a value or extensions (or leave it "
                                                        "out)")
            else:
                if value_presence.must_have_value(node.ed):
                    self.sink.error("value-present", loc, f"the profile requires {node.path} to have a value, not "
                                                          "extensions alone (mustHaveValue)")
                binding = node.binding
                if binding is not None and binding.get("strength") == "required":  # any walk: checkPrimitive
                    value_presence.required_without_value(binding, shadow, loc, self.sink)
            if isinstance(shadow, dict) and shadow.get("extension"):
                value_presence.check_alternatives(node, shadow, loc, self.sink)
            return
        if tcode in PRIMITIVES:
            self.primitive(item, node, tcode, loc)
            if shadow is None and node.requires_children:  # a required extension slice, absent with its "_name"
                self.object({}, idx, node, loc, depth)
            if isinstance(shadow, dict) and shadow.get("extension") and node.has_rules:
                value_presence.check_fixed_extensions(node, loc, self.sink)
            if item == "" and not (isinstance(shadow, dict) and shadow.get("extension")):
                self.empty_ele1(loc)
            return
        if tcode != "CodeableConcept":
            self.complex_item(item, idx, node, tcode, loc, depth)
            return
        outer, self.concept_binding = self.concept_binding, node.binding
        try:
            self.complex_item(item, idx, node, tcode, loc, depth)
        finally:
            self.concept_binding = outer

    def complex_item(self, item: Any, idx: StructureIndex, node: Node, tcode: str, loc: str, depth: int) -> None:
        """A value of a complex type or a resource: walked by the plan worked out once per element and type."""
        plan = self.plans.get((node, tcode))
        if plan is None:
            plan = self.plans[(node, tcode)] = self.plan(node, tcode)
        kind, tref, target, judged, typed_checks = plan
        if kind == _RESOURCE:
            if self.options.contained == "valid":
                profiles = type_profiles.resource_choice(cast("Walker", self), item, tref.profiles, loc) if tref \
                    else ()
                self.resource(item, loc, depth + 1, profiles, contained=node.name == "contained",
                              slicer_profiles=tref.slicer_profiles if tref else None)
            elif self.options.contained == "type":
                contained_type(cast("Walker", self), item, loc)
            return
        if not isinstance(item, dict):
            self.sink.error("object-expected", loc, f"{node.path} must be a JSON object, not {show(item)}")
            return
        if len(item) <= 1 and (not item or "id" in item):
            self.sink.error("invariant", loc, "constraint failed: ele-1: All FHIR elements must have a @value or "
                                              "children")
        if kind == _LOCAL:
            self.object(item, idx, node if target is None else target[1], loc, depth)
            if judged:
                _judge_value(self, item, node, tcode, tref, loc)
            return
        if kind == _TYPED:
            assert target is not None
            self.object(item, target[0], target[1], loc, depth)
            if judged:
                _judge_value(self, item, node, tcode, tref, loc)
            if typed_checks:
                self.constraints(target[1], item, target[1].path, loc)
            return
        content = self.content(idx, node, tcode, tref, item, loc)
        if content is not None:
            self.object(item, content[0], content[1], loc, depth)
        _judge(self, item, node, tcode, tref, loc)
        # a contentReference naming a structure (``http://...Questionnaire#Questionnaire.item``, as R5-era tooling
        # writes in profile snapshots): HL7 takes the children from that structure, but the referenced element's
        # invariants are not run (InstanceValidator.resolveNameReference matches only ``#id``)
        external = node.content_reference is not None and not node.content_reference.startswith("#")
        if content is not None and content[1] is not node and not external:
            self.constraints(content[1], item, content[1].path, loc)

    def plan(self, node: Node, tcode: str) -> Plan:
        """How item() treats a complex value of this element and type, worked out once per model: a resource,
        the element's own children, its type's definition (known before any value is seen), or content()'s
        general answer (contentReference, an extension's definition, a type profile)."""
        tref = node.type_for(tcode) if tcode else None
        judged = value_judge.judged(node, tcode)
        if tcode == "Resource" or (tcode and self.model.is_resource_type(tcode)):
            return _RESOURCE, tref, None, judged, False
        if node.children and not (tref is not None and tref.profile_element):
            if len(node.types) > 1 and tcode and tcode not in PRIMITIVES:
                tidx = self.model.index(tcode)
                if tidx is not None and tidx.root is not None:
                    return _LOCAL, tref, (tidx, merged_choice(node, tidx.root)), judged, False
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
        if node.children and not (tref is not None and tref.profile_element):
            return idx, node
        ref = node.content_reference
        if ref:
            profiled = content_reference_profile(node.ed)
            # the id is the text after the first ``#``, or the whole value without one (Java's substring(indexOf+1))
            named_here = idx.by_id.get(profiled[profiled.find("#") + 1:]) if profiled is not None else None
            if named_here is not None and named_here.children:
                # the contentReferenceProfile extension: InstanceValidator.resolveElementReference takes the element
                # of that id in the profile being walked (the canonical before ``#`` is not fetched), and walks it
                # as the element's definition, its children and invariants
                return idx, named_here
            if named_here is not None and named_here.content_reference:
                # an element with no children of its own: ProfileUtilities.getChildMap follows its contentReference
                ref = named_here.content_reference
            url, _, fragment = ref.partition("#")
            named = self.model.index(url) if url else None  # that structure, as ProfileUtilities.getChildMap
            if named is not None and fragment in named.by_id:
                return named, named.by_id[fragment]
            target = idx.by_id.get(fragment)
            if target is None:
                base = self.model.index(ref.partition("#")[0] or ref.partition("#")[2].split(".")[0])
                target = base.by_id.get(ref.partition("#")[2]) if base else None
                return (base, target) if base and target else None
            return idx, target
        if tcode == "Extension" and not (tref and tref.profiles):
            return extensions.definition(cast("Walker", self), node, item, loc)
        if tcode == "Reference" and node.is_choice:  # HL7's checkChild skips a choice's Reference profile ("a kludge
            tref = None  # to get around versioning issues"); its targetProfile is judged by references.check
        if tref is not None and len(tref.profiles) > 1 and len(node.types) == 1:
            # a choice of several types takes only its type's first profile (InstanceValidator.checkChild:
            # ``profiles.add(t.getProfile().get(0))``); a single type takes all its profiles
            chosen = self.profile_choice(item, tcode, tref.profiles, loc)
            if chosen is not None:
                return chosen
        elif tref is not None and tref.profiles:
            pidx = self.model.index(tref.profiles[0])
            if pidx is not None and pidx.root is not None:
                defining = pidx.by_id.get(tref.profile_element) if tref.profile_element else pidx.root
                if defining is not None:
                    return pidx, defining
            type_profiles.unknown_type_profile(cast("Walker", self), tref.profiles[0], tcode, loc)
        if not tcode:
            return None
        tidx = self.model.index(tcode)
        if tidx is None or tidx.root is None:
            return None
        return tidx, tidx.root

    def profile_choice(self, item: Json, tcode: str, profiles: tuple[str, ...], loc: str
                       ) -> tuple[StructureIndex, Node] | None:
        """A type with several profiles: the value conforms to one of them (the first it conforms to is walked).
        None of them: an error, the first is walked for the details, and the others' errors are reported too,
        each naming its profile (InstanceValidator.checkChild: VALIDATION_VAL_PROFILE_NOMATCH, then every bad
        profile's messages "validating against"). A profile not loaded is an error of its own (unknown_type_profile);
        it could be the one the value meets, so no other is then said unmet, and the type alone is walked (None)."""
        known = [(p, i) for p in profiles if (i := self.model.index(p)) is not None and i.root is not None]
        for missing in (p for p in profiles if p not in dict(known)):
            type_profiles.unknown_type_profile(cast("Walker", self), missing, tcode, loc)
        for url, pidx in known:
            if self.conforms(item, tcode, url, loc):
                assert pidx.root is not None
                return pidx, pidx.root
        if len(known) < len(profiles):
            return None
        self.sink.error("type-profile", loc, f"the value matches none of the profiles allowed for it: "
                                             f"{', '.join(profiles)}")
        # the first profile is walked below; its invariant failures, found apart here, are the ones already said
        first_found = self.trial(item, known[0][0], loc, self.sink.limit) or []
        reported = {(i.location, i.message) for i in first_found if i.defect == "invariant"}
        self.extra_profile_errors(item, [url for url, _ in known[1:]], loc, reported)
        first = known[0][1]
        assert first.root is not None
        return first, first.root

    def extra_profile_errors(self, item: Json, urls: list[str], loc: str, reported: set[tuple[str, str]]) -> None:
        """The errors of the profiles after the first. An invariant failure already reported (the same invariant
        in two profiles) is said once, as HL7's validator caches an invariant's result per element and
        expression (InstanceValidator.checkInvariants, EXECUTED_CONSTRAINT_LIST; inv-checks)."""
        for url in urls:
            for issue in self.trial(item, url, loc, self.sink.limit) or ():
                if not issue.is_error:
                    continue
                if issue.defect == "invariant":
                    if (issue.location, issue.message) in reported:
                        continue
                    reported.add((issue.location, issue.message))
                self.sink.error(issue.defect, issue.location, f"{issue.message} (validating against {url})")

    def shadow(self, shadow: Any, idx: StructureIndex, node: Node, tcode: str, loc: str, depth: int) -> None:
        """``_name``: the id and extensions of a primitive, walked by the element's own children where the profile
        gives it some (its extension slices and what it constrains beneath them: HL7 walks the instance's element,
        value and extensions alike, against the profile's snapshot; string-extensions-and-constraints-example),
        else by the primitive type's definition."""
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
        # the object itself where it can be: an extension context may select it (extensions._in_fhirpath_context)
        own = shadow if shadow.keys() <= {"id", "extension"} else {k: shadow[k] for k in ("id", "extension")
                                                                   if k in shadow}
        if "extension" in node.children:
            self.object(own, idx, node, loc, depth)
        else:
            self.object(own, tidx, tidx.root, loc, depth)

    def primitive(self, item: Any, node: Node, tcode: str, loc: str) -> None:
        if isinstance(item, (dict, list)):
            self.sink.error("json-type", loc, f"{node.path} is a {tcode}: a JSON primitive is expected here, not "
                                              f"{'an object' if isinstance(item, dict) else 'an array'}")
            return
        if self.patterned and type(item) is str and item[:1] == "$" and not node.resource_id:
            matchetypes.pattern_value(cast("Walker", self), tcode, item, loc)  # a pattern, not a value
            return
        if self.screening and isinstance(item, str):  # an option asks for HTML or example URLs to be looked for
            screen_value(cast("Walker", self), item, node, tcode, loc)
        if type(item) is str and not item.isascii():  # BiDi controls are all outside ASCII
            report_bidi(self.sink, item, loc)
        quiet = node.quiet
        if quiet is None:
            quiet = node.quiet = _quiet(node)
        if quiet and tcode == node.fast_type and not (node.hash_rule and type(item) is str and item[:1] == "#"):
            # most primitives: the lexical check is all there is
            problem = check_primitive(tcode, item)
            if problem is not None:
                report_primitive(self.sink, problem, node.binding, loc)
            return
        if node.resource_id:
            tcode = "id"
        problem = check_primitive(tcode, item)
        if problem is not None:
            report_primitive(self.sink, problem, node.binding, loc)
            if problem[0] not in JUDGED_ON:  # a warning only: the value is judged on
                return
        if tcode == "xhtml" and isinstance(item, str):
            for code, why in narrative_problems(item):
                self.sink.error(code, loc, why)
            if "#" in item and self.frames:
                self.frames[-1].local_refs.update(_NARRATIVE_LOCAL.findall(item))
                for anchor in unresolved_anchors(item, self.frames[-1].resource, self.root):
                    self.sink.error("narrative", loc, f"the hyperlink '#{anchor}' does not resolve: nothing in the "
                                                      "narrative, the contained resources or the instance has that id")
            if "urn:" in item or "cid:" in item:
                links = _NARRATIVE_URN.findall(without_comments(item))
                for link in filter(is_absolute_url, links):  # as checkReferences asks
                    self.sink.error("narrative", loc, f"the hyperlink {link!r} has the scheme {link[:3]!r}, which a "
                                                      "reader cannot follow (not a hyperlinkable scheme)")
        max_length = node.max_length
        # Java's length (UTF-16 units: an emoji is 2), as checkPrimitive's primitiveValue().length() reads it
        if max_length is not None and isinstance(item, str) and tcode in _MAX_LENGTH_TYPES:
            length = java_length(item)
            if length > max_length:
                self.sink.error("too-long", loc, f"the value is {length} characters, more than the {max_length} "
                                                 "allowed")
        if (node.min_length is not None or node.regex is not None) and isinstance(item, str):
            check_text_rules(item, node.min_length, node.regex, loc, self.sink)
        if tcode == "canonical" and isinstance(item, str) and not item.startswith("#") and not is_absolute_url(item):
            self.sink.error("canonical-relative", loc, f"a canonical URL must be absolute unless it is a fragment "
                                                       f"reference (not {item!r})")
        elif (node.name == "url" and isinstance(item, str) and value_presence.defining_url(node)
              and not is_absolute_url(item)):
            # a canonical resource's own url (CodeSystem.url...) is its identity: HL7's validator asks for an absolute
            # one (InstanceValidator.checkPrimitive, isCanonicalURLElement: TYPE_SPECIFIC_CHECKS_CANONICAL_ABSOLUTE,
            # and _CONTAINED "if present" for one in a contained resource)
            where = " in a contained resource" if self.frames and self.frames[-1].contained else ""
            self.sink.error("canonical-relative", loc, f"the url of a canonical resource{where} must be an absolute "
                                                       f"URL (not {item!r})")
        _judge(self, item, node, tcode, None, loc)
        tref = node.type_for(tcode)
        if tcode == "canonical" and isinstance(item, str) and self.options.validate_reference in TYPE_POLICIES:
            check_canonical_type(cast("Walker", self), item, tref, loc)
        if tref is not None and tref.profiles:
            type_profiles.primitive_profiles(cast("Walker", self), item, tref.profiles, tcode, loc)

    def judge(self, item: Any, node: Node, tcode: str, tref: TypeRef | None, loc: str) -> None:
        """Rules of the element definition itself (value_judge.py)."""
        value_judge.judge(cast("Walker", self), item, node, tcode, tref, loc)

    def language(self) -> str | None:
        """The language a display is judged in: the nearest enclosing resource's ``language`` (InstanceValidator
        checkLang sets the NodeStack's working language per resource; children inherit it), else None (en-US)."""
        for frame in reversed(self.frames):
            lang = frame.resource.get("language") if isinstance(frame.resource, dict) else None
            if isinstance(lang, str) and lang:
                return lang
        return None

    def constraints(self, node: Node, item: Any, base_path: str, loc: str) -> None:
        found = constraints_of(node)
        if found:
            frame = self.frames[-1]
            check_constraints(found, item, base_path, frame.resource, self.root_resource(), loc, self.sink,
                              self.note_once, (node.profile, node.slice_name))

    def root_resource(self) -> Json:
        """FHIRPath's ``%rootResource`` where HL7's validator evaluates an expression (ValidationContext
        .getRootResource): the resource itself, the resource that contains it (``forContained``), and for a Bundle
        entry's or a parameter's resource that resource (``forEntry``: the root is reset at that boundary, not the
        Bundle), so the nearest resource walked that is not a contained one."""
        for frame in reversed(self.frames):
            if not frame.contained:
                return frame.resource
        return self.root


# value_judge's functions called straight from the walk (no method call in between): they take the Walker, which
# a ValueWalker is
_Judge = Callable[["ValueWalker", Any, Node, str, "TypeRef | None", str], None]
_judge = cast(_Judge, value_judge.judge)
_judge_value = cast(_Judge, value_judge.judge_value)


def _quiet(node: Node) -> bool:
    """Whether a primitive value of the element's one type has nothing for primitive() to check after its
    lexical form: no id rule, length, narrative or canonical rule, nor anything for judge(). A uri or url
    (Coding.system, Extension.url...) whose only rule in judge() is the internal ``#id`` one (value_judge.local_only)
    is quiet too, with ``hash_rule`` set: its values that start with "#" still take the whole path."""
    if not (bool(node.fast_type) and not node.resource_id and node.max_length is None
            and node.min_length is None and node.regex is None
            and node.fast_type not in ("xhtml", "canonical") and not any(t.profiles for t in node.types)):
        return False
    if not value_judge.judged(node, node.fast_type):
        return True
    if (node.fast_type in ("uri", "url") and value_judge.local_only(node)
            and not (node.name == "url" and value_presence.defining_url(node))):
        node.hash_rule = True
        return True
    return False
