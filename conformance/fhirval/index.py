"""A StructureDefinition's snapshot as a tree of :class:`Node`, built once per definition and cached.

Walking an instance asks "which definition describes this JSON property?" thousands of times per
resource; answering from the flat snapshot list each time would be quadratic. The tree keeps, per
element: its children by name, the JSON property names that select it (a choice ``value[x]``
answers to ``valueQuantity`` and its siblings), its slices, and everything the walker checks
(cardinality, types, fixed/pattern, binding, constraints), each read from the element once.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from conformance.fhirval.expression_fixes import structure_fixes
from conformance.fhirval.primitives import PRIMITIVES
from conformance.fhirval.snapshot_ids import walk_ids
from conformance.fhirval.source import DefinitionSource, Json, contained_key, items, objects

FHIR_TYPE_EXT = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
SYSTEM_PREFIX = "http://hl7.org/fhirpath/System."
CHOICE_SUFFIX = "[x]"  # a choice element's path ends so (value[x]); its JSON names do not
# The walker's shortcuts (Node.fast): one primitive value, one complex value, an array of primitives,
# an array of complex values; FAST_NONE: the general path (choices, slices, several types, max 0).
FAST_NONE, FAST_PRIMITIVE, FAST_COMPLEX, FAST_PRIMITIVES, FAST_COMPLEXES = range(5)
_LANGUAGE_CONTROL = "http://hl7.org/fhir/StructureDefinition/narrative-language-control"
_SOURCE_CONTROL = "http://hl7.org/fhir/StructureDefinition/narrative-source-control"
# extensions on an element definition that judge() checks (narrative.py, bounds.check_size_rules)
_RULE_EXTENSIONS = frozenset({_LANGUAGE_CONTROL, _SOURCE_CONTROL,
                              "http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces",
                              "http://hl7.org/fhir/StructureDefinition/maxSize"})
# An element's own text rules (HL7's validator, InstanceValidator.checkPrimitive: EXT_MIN_LENGTH, EXT_REGEX)
_MIN_LENGTH = "http://hl7.org/fhir/StructureDefinition/minLength"
_REGEX = "http://hl7.org/fhir/StructureDefinition/regex"
_SYSTEM_TYPES = {"String": "string", "Boolean": "boolean", "Integer": "integer", "Decimal": "decimal",
                 "Date": "date", "DateTime": "dateTime", "Time": "time"}


@dataclass(frozen=True, slots=True)
class TypeRef:
    code: str  # FHIR type name (System.* codes mapped to their fhir-type)
    profiles: tuple[str, ...] = ()
    target_profiles: tuple[str, ...] = ()
    # elementdefinition-profile-element on the (one) profile: the id of the element of that profile that defines
    # this one (a library of section definitions: ``Composition.section:codeA``), not the profile's root
    profile_element: str | None = None
    aggregation: tuple[str, ...] = ()  # a Reference's aggregation modes: contained, referenced, bundled
    # in a slice, the profiles of its slicer's type of the same code when they differ (() : the type's own base
    # definition); a resource there is walked against those too (with_slicer_rules); None outside a slice
    slicer_profiles: tuple[str, ...] | None = None

    @property
    def primitive(self) -> bool:
        return self.code in PRIMITIVES


@dataclass(eq=False, slots=True)
class Node:
    """One element definition, with its place in the tree."""

    ed: Json
    id: str
    path: str
    name: str  # last path segment, e.g. "value[x]"
    min: int
    max: int | None  # None = unbounded
    is_array: bool  # JSON array: the *base* definition repeats (a profile narrowing max keeps the array)
    types: tuple[TypeRef, ...]
    slice_name: str | None = None
    profile: str = ""  # the url of the StructureDefinition it is in (FHIRPath's %profile, slice())
    is_choice: bool = False
    children: dict[str, Node] = field(default_factory=dict)
    slices: list[Node] = field(default_factory=list)
    # JSON property name -> (child, type code or "" when not a choice)
    json_names: dict[str, tuple[Node, str]] = field(default_factory=dict)
    required: list[Node] = field(default_factory=list)  # children with min > 0
    required_slices: list[Node] = field(default_factory=list)  # children with a slice of min > 0
    binding: Json | None = None
    has_rules: bool = False  # fixed[x], pattern[x], minValue[x] or maxValue[x] present
    resource_id: bool = False  # Resource.id: checked as an id, though typed string
    max_length: int | None = None
    min_length: int | None = None  # the minLength extension on the element definition
    regex: str | None = None  # the regex extension on the element definition (a type's own regex: primitives.py)
    checks: Any = None  # the FHIRPath constraints, filled in by invariants.constraints_of
    fixes: Mapping[str, str] = field(default_factory=dict)  # HL7's rewrites of its SD's invariants (structure_fixes)
    # The walker's shortcut for an element of one type, not a choice, not sliced, allowed (see _shortcut):
    # one of the FAST_* kinds below; FAST_NONE: the general path.
    fast: int = 0
    fast_type: str = ""
    quiet: bool | None = None  # a primitive of fast_type with nothing to check beyond its lexical form (walker)
    # quiet, except for a string value that starts with "#": value_judge's internal-URL rule (a uri or url, walker)
    hash_rule: bool = False
    # a primitive whose profile requires a child of it (an extension slice with min > 0): walked even without "_name"
    requires_children: bool = False
    # at most one, and no ``base`` to say whether the base repeats (a hand-written snapshot's): an array there is
    # the base walk's to judge, as HL7's parser reads arrays by the core definitions, never a profile's
    array_unknown: bool = False
    # (child, the JSON properties that give it a value, "_name" shadows included) for each required child,
    # and for each child with a required slice: presence is then a few dict lookups on the instance
    required_keys: list[tuple[Node, tuple[str, ...]]] = field(default_factory=list)
    required_slice_keys: list[tuple[Node, tuple[str, ...]]] = field(default_factory=list)

    @property
    def slicing(self) -> Json | None:
        value = self.ed.get("slicing")
        return value if isinstance(value, dict) else None

    @property
    def content_reference(self) -> str | None:
        value = self.ed.get("contentReference")
        return value if isinstance(value, str) else None

    def fixed(self) -> tuple[str, Any] | None:
        return _prefixed(self.ed, "fixed")

    def pattern(self) -> tuple[str, Any] | None:
        return _prefixed(self.ed, "pattern")

    def type_for(self, code: str) -> TypeRef | None:
        types = self.types
        if len(types) == 1:
            return types[0] if types[0].code == code else None
        for t in types:
            if t.code == code:
                return t
        return None


def takes_shadow(node: Node, tcode: str) -> bool:
    """Whether ``_name`` (a primitive's id and extensions) is allowed beside the JSON property of this type."""
    if tcode:
        return tcode in PRIMITIVES
    return bool(node.types) and all(t.primitive for t in node.types)


def _keys_of(parent: Node, child: Node) -> tuple[str, ...]:
    keys = []
    for key, (hit, tcode) in parent.json_names.items():
        if hit is child:
            keys.append(key)
            if takes_shadow(child, tcode):
                keys.append("_" + key)
    return tuple(keys)


def choice_stem(name: str) -> str:
    """``value[x]`` -> ``value``: the JSON names of a choice element are this stem plus a type's code."""
    return name.removesuffix(CHOICE_SUFFIX)


def _shortcut(node: Node) -> None:
    """Mark an element whose values can skip the walker's general path (choice, slices, max 0: the general
    path's rules apply); set once the tree is whole, since slices are attached after their element. A primitive
    whose profile requires a child of it (a required extension slice) takes the general path too: HL7 walks its
    element against the profile's children whether or not it has extensions."""
    node.requires_children = bool(node.children) and any(t.code in PRIMITIVES for t in node.types) and any(
        c.min > 0 or any(s.min > 0 for s in c.slices) for c in node.children.values())
    if node.is_choice or len(node.types) != 1 or node.slices or node.max == 0 or node.requires_children:
        return
    code = node.types[0].code
    primitive = code in PRIMITIVES
    if node.is_array:
        node.fast = FAST_PRIMITIVES if primitive else FAST_COMPLEXES
    else:
        node.fast = FAST_PRIMITIVE if primitive else FAST_COMPLEX
    node.fast_type = code


def _prefixed(ed: Json, prefix: str) -> tuple[str, Any] | None:
    for key, value in ed.items():
        if key.startswith(prefix) and len(key) > len(prefix) and key[len(prefix)].isupper():
            return key[len(prefix):], value
    return None


def _type_refs(ed: Json) -> tuple[TypeRef, ...]:
    out = []
    for t in ed.get("type") or ():
        code = t.get("code", "")
        if code.startswith(SYSTEM_PREFIX):
            fhir_type = next((x.get("valueUrl") or x.get("valueUri") for x in t.get("extension", ())
                              if x.get("url") == FHIR_TYPE_EXT), None)
            code = fhir_type or _SYSTEM_TYPES.get(code[len(SYSTEM_PREFIX):], "string")
        slicer = t.get(_SLICER_PROFILE)
        out.append(TypeRef(code, tuple(t.get("profile") or ()), tuple(t.get("targetProfile") or ()),
                           _profile_element(t), tuple(a for a in t.get("aggregation") or () if isinstance(a, str)),
                           tuple(slicer) if isinstance(slicer, list) else None))
    return tuple(out)


_PROFILE_ELEMENT = "http://hl7.org/fhir/StructureDefinition/elementdefinition-profile-element"
_SLICER_PROFILE = "slicer-profile"  # not a FHIR name: set on the index's copy of a slice's type by _merged


def _profile_element(t: Json) -> str | None:
    """The element id an ``elementdefinition-profile-element`` extension on the type's one profile names."""
    shadow = t.get("_profile")
    if not isinstance(shadow, list) or len(shadow) != 1 or not isinstance(shadow[0], dict):
        return None
    return next((e.get("valueString") for e in shadow[0].get("extension") or ()
                 if isinstance(e, dict) and e.get("url") == _PROFILE_ELEMENT and isinstance(e.get("valueString"), str)),
                None)


def _max(value: Any) -> int | None:
    if value == "*" or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _parent_and_slice(element_id: str) -> tuple[str, str | None]:
    """``A.b:s.c`` -> (``A.b:s``, None); ``A.b:s`` -> (``A.b``, slice base); ``A.b:s/t`` -> (``A.b:s``...)."""
    head, dot, last = element_id.rpartition(".")
    if ":" in last:
        name, _, slice_name = last.partition(":")
        if "/" in slice_name:
            base_slice = slice_name.rsplit("/", 1)[0]
            return f"{head}{dot}{name}:{base_slice}", "slice"
        return f"{head}{dot}{name}", "slice"
    return head, None


def _contained_profiles(sd: Json) -> dict[str, str]:
    """``#id`` to the url of the profile's contained StructureDefinition of that id, and to the key of its contained
    ValueSet of that id (source.contained_key)."""
    found: dict[str, str] = {}
    for inner in objects(sd.get("contained")):
        if inner.get("resourceType") == "StructureDefinition" and isinstance(inner.get("id"), str) \
                and isinstance(inner.get("url"), str):
            found["#" + inner["id"]] = inner["url"]
        elif inner.get("resourceType") == "ValueSet" and isinstance(inner.get("id"), str) \
                and isinstance(sd.get("url"), str):
            found["#" + inner["id"]] = contained_key(sd["url"], inner["id"])
    return found


def _local_targets(ed: Json, local: dict[str, str]) -> Json:
    """The element with each ``#id`` targetProfile read as the contained profile it names: HL7's checkReference
    finds ``#id`` among the profile's contained resources (InstanceValidator.resolveProfile), a url elsewhere; and
    a binding's ``#id`` value set as the contained ValueSet (BaseValidator.resolveBindingReference)."""
    binding = ed.get("binding")
    vs = binding.get("valueSet") if isinstance(binding, dict) else None
    if isinstance(binding, dict) and isinstance(vs, str) and vs in local:
        ed = {**ed, "binding": {**binding, "valueSet": local[vs]}}
    types = objects(ed.get("type"))
    if not any(isinstance(p, str) and p in local for t in types for p in items(t.get("targetProfile"))):
        return ed
    retyped = [{**t, "targetProfile": [local.get(p, p) if isinstance(p, str) else p
                                       for p in items(t.get("targetProfile"))]} if "targetProfile" in t else t
               for t in types]
    return {**ed, "type": retyped}


def _is_value_rule(key: str) -> bool:
    """``fixedCode``, ``patternCodeableConcept``...: a fixed or pattern value of some type."""
    return (key.startswith("fixed") and key[5:6].isupper()) or (key.startswith("pattern") and key[7:8].isupper())


def _is_bound(key: str) -> bool:
    """``minValueInteger``, ``maxValueDate``...: a bound of some type."""
    return key.startswith(("minValue", "maxValue")) and key[8:9].isupper()


_STRENGTH = {"example": 0, "preferred": 1, "extensible": 2, "required": 3}


def _strength(ed: Json) -> int:
    binding = ed.get("binding")
    strength = binding.get("strength") if isinstance(binding, dict) else None
    return _STRENGTH.get(strength, -1) if isinstance(strength, str) else -1


def _slicer_ids(element_id: str) -> list[tuple[str, bool]]:
    """The ids of the same element under each slicer above it (one slice name left out at a time), each with
    whether the slice is the element itself (``A:s``) rather than an ancestor (``A:s.b``)."""
    segments = element_id.split(".")
    out = []
    for n, segment in enumerate(segments):
        if ":" in segment:
            out.append((".".join([*segments[:n], segment.split(":", 1)[0], *segments[n + 1:]]), n == len(segments) - 1))
    return out


def _merged(ed: Json, slicer: Json, root: bool) -> Json:
    """``ed`` with what its slicer's element adds: its invariants, fixed or pattern value, min/max value and a stronger
    binding, and below the slice its tighter cardinality and maxLength (a slice's own min and max count among the
    slicer's, so not at the root)."""
    merged = dict(ed)
    keys = {c.get("key") for c in objects(ed.get("constraint"))}
    extra = [c for c in objects(slicer.get("constraint")) if c.get("key") not in keys]
    if extra:
        merged["constraint"] = [*objects(ed.get("constraint")), *extra]
    if not any(_is_value_rule(k) for k in ed):
        merged.update({k: v for k, v in slicer.items() if _is_value_rule(k)})
    if not any(_is_bound(k) for k in ed):
        merged.update({k: v for k, v in slicer.items() if _is_bound(k)})
    if _strength(slicer) > _strength(ed):  # HL7 checks both bindings: the stronger one decides
        merged["binding"] = slicer["binding"]
    if any(t.get("profile") for t in objects(ed.get("type"))):
        merged["type"] = _with_slicer_profiles(objects(ed.get("type")), objects(slicer.get("type")))
    if not root:
        if isinstance(slicer.get("min"), int) and slicer["min"] > (ed.get("min") if isinstance(ed.get("min"), int)
                                                                   else 0):
            merged["min"] = slicer["min"]
        if isinstance(slicer.get("max"), str) and slicer["max"].isdigit() and (
                not isinstance(ed.get("max"), str) or not ed["max"].isdigit() or int(slicer["max"]) < int(ed["max"])):
            merged["max"] = slicer["max"]
        if isinstance(slicer.get("maxLength"), int) and (not isinstance(ed.get("maxLength"), int)
                                                         or slicer["maxLength"] < ed["maxLength"]):
            merged["maxLength"] = slicer["maxLength"]
    return merged


def _with_slicer_profiles(types: list[Json], slicer_types: list[Json]) -> list[Json]:
    """A slice's types, each with a profile noting its slicer's profiles for that type code when they differ:
    checkChildByDefinition against the slicer validates a resource there against the slicer's type profile, or with
    none its own type's definition (validateContains), besides the slice's profile (fhir-test-cases
    aggregation-bundle-*: an entry in a typed slice gets the base Encounter's errors too, "(from ...Encounter)")."""
    given = {t.get("code"): list(t.get("profile") or ()) for t in slicer_types}
    return [{**t, _SLICER_PROFILE: given[t.get("code")]}
            if t.get("profile") and t.get("code") in given and given[t.get("code")] != list(t.get("profile") or ())
            else t for t in types]


def with_slicer_rules(elements: list[Json]) -> list[Json]:
    """The snapshot's elements, each in a slice also carrying its slicer's rules. HL7's validator checks a value in
    a slice against the slice's definition and against the slicer's (InstanceValidator.checkChild: ``ei.definition``
    and ``ei.slice``, which matchSlice sets to the slicer), and its generator builds a slice from the base, not from
    the slicer (ProfileUtilities.processPaths), so a rule the profile puts on the slicer's element or its children
    (``Patient.identifier.value`` min 1 before the slices) binds the values of every slice too."""
    if not any(":" in str(e.get("id", "")) for e in elements if isinstance(e, dict)):
        return elements
    by_id = {e["id"]: e for e in elements if isinstance(e, dict) and isinstance(e.get("id"), str)}
    out = []
    for ed in elements:
        element_id = ed.get("id") if isinstance(ed, dict) else None
        if isinstance(element_id, str) and ":" in element_id:
            for slicer_id, root in _slicer_ids(element_id):
                slicer = by_id.get(slicer_id)
                if slicer is not None:
                    ed = _merged(ed, slicer, root)
        out.append(ed)
    return out


class StructureIndex:
    """The snapshot of one StructureDefinition as a tree; ``root`` is the type's own element."""

    def __init__(self, sd: Json) -> None:
        self.sd = sd
        self.url: str = sd.get("url", "")
        version = sd.get("version")
        # the profile a count is judged against, as HL7's cardinality messages end: "(from {versioned url})"; two
        # profiles walked over one resource then give two errors, as HL7's (its duplicate check is on the text)
        self.origin = f" (from {self.url}|{version})" if isinstance(version, str) else f" (from {self.url})"
        self.type: str = sd.get("type", "")
        self.kind: str = sd.get("kind", "")
        self.by_id: dict[str, Node] = {}
        self.fixes = structure_fixes(sd)
        elements = (sd.get("snapshot") or {}).get("element") or []
        self.root: Node | None = None
        local = _contained_profiles(sd)
        for ed in with_slicer_rules(walk_ids(elements)):  # ids it can go by (snapshot_ids.walk_ids)
            self._add(_local_targets(ed, local) if local else ed)
        for node in self.by_id.values():
            if node.slices and any(s.min > 0 for s in node.slices):
                owner = self.by_id.get(_parent_and_slice(node.id)[0])
                if owner is not None and owner.children.get(node.name) is node:
                    owner.required_slices.append(node)
            _shortcut(node)
        for node in self.by_id.values():
            node.required_keys = [(c, _keys_of(node, c)) for c in node.required]
            node.required_slice_keys = [(c, _keys_of(node, c)) for c in node.required_slices]

    def _add(self, ed: Json) -> None:
        path = ed.get("path", "")
        element_id = ed.get("id") or path
        given_base = ed.get("base")
        base: Json = given_base if isinstance(given_base, dict) else {}  # a hand-written snapshot may have none
        base_max = base.get("max", ed.get("max"))
        node = Node(
            ed=ed, id=element_id, path=path, name=path.rpartition(".")[2],
            min=int(ed.get("min") or 0), max=_max(ed.get("max")),
            is_array=_max(base_max) != 1 and "." in path, types=_type_refs(ed),
            slice_name=ed.get("sliceName"), profile=self.url, is_choice=path.endswith(CHOICE_SUFFIX), fixes=self.fixes,
        )
        node.array_unknown = not node.is_array and "." in path and "max" not in base
        binding = ed.get("binding")
        node.binding = binding if isinstance(binding, dict) else None
        # (narrative-language-control and -source-control extensions are rules too: see narrative.py)
        node.has_rules = any(k.startswith(("fixed", "pattern", "minValue", "maxValue")) for k in ed) or any(
            isinstance(e, dict) and e.get("url") in _RULE_EXTENSIONS for e in ed.get("extension") or ())
        # Resource.id, checked as an id though typed string: HL7 knows it by the core definition's base path
        # (InstanceValidator: the parser's property); a snapshot with no base still has it as <Type>.id
        node.resource_id = (base["path"] == "Resource.id" if "path" in base else
                            self.kind == "resource" and path.count(".") == 1 and path.endswith(".id"))
        max_length = ed.get("maxLength")
        # 0 is no limit to HL7's validator ("context.getMaxLength() == 0 ||" in each of checkPrimitive's tests)
        node.max_length = max_length if isinstance(max_length, int) and 0 < max_length < 1048576 else None
        for ext in ed.get("extension") or ():
            if isinstance(ext, dict) and ext.get("url") == _MIN_LENGTH and isinstance(ext.get("valueInteger"), int):
                node.min_length = ext["valueInteger"]
            elif isinstance(ext, dict) and ext.get("url") == _REGEX and isinstance(ext.get("valueString"), str):
                node.regex = ext["valueString"]
        self.by_id[element_id] = node
        if self.root is None:
            self.root = node
            return
        parent_id, sliced = _parent_and_slice(element_id)
        parent = self.by_id.get(parent_id)
        if parent is None:
            if not (sliced and node.slice_name) or "/" in node.slice_name:
                return
            # A slice whose sliced element the snapshot lacks (CARIN RTPBC's MessageHeader profiles, built by a 2020
            # publisher, have focus:rtpbc-request and no focus). HL7's assignChildren then has no slicer for it and
            # matchSlice matches it by name, as the element itself; a second such slice would match the same
            # values (MATCHMULTIPLE) and is left out here.
            parent = self.by_id.get(_parent_and_slice(parent_id)[0])
            if parent is None or node.name in parent.children:
                return
            sliced = None
        if sliced and node.slice_name:
            parent.slices.append(node)
            return
        parent.children[node.name] = node
        if node.min > 0:
            parent.required.append(node)
        if node.is_choice:
            prefix = choice_stem(node.name)
            for t in node.types:
                parent.json_names[prefix + t.code[:1].upper() + t.code[1:]] = (node, t.code)
        else:
            parent.json_names[node.name] = (node, "")


def merged_choice(node: Node, type_root: Node) -> Node:
    """A choice of several types whose profile constrains only the children every type has (``value[x].id``,
    ``value[x].extension``: a snapshot cannot list a Range's ``low`` under a Range-or-Quantity choice), with the
    value's type's own children added. HL7's InstanceValidator.validateElement does the same ("the profile
    constrains the abstract children but leaves the choice open": mergeChildLists of the profile's children and
    getActualTypeChildren, the profile's winning by name)."""
    merged = replace(node, children=dict(node.children), json_names=dict(node.json_names),
                     required=list(node.required), required_slices=list(node.required_slices), fast=0)
    for name, child in type_root.children.items():
        if name in node.children:
            continue
        merged.children[name] = child
        if child in type_root.required:
            merged.required.append(child)
        if child in type_root.required_slices:
            merged.required_slices.append(child)
    for key, hit in type_root.json_names.items():
        if hit[0].name not in node.children:
            merged.json_names.setdefault(key, hit)
    merged.required_keys = [(c, _keys_of(merged, c)) for c in merged.required]
    merged.required_slice_keys = [(c, _keys_of(merged, c)) for c in merged.required_slices]
    return merged


_CACHE: dict[int, tuple[Json, StructureIndex]] = {}
_LOCK = threading.Lock()


def index_of(sd: Json) -> StructureIndex:
    """The index of a StructureDefinition dict (sources hand out the same dict each time, so keyed by it)."""
    hit = _CACHE.get(id(sd))
    if hit is not None and hit[0] is sd:
        return hit[1]
    built = StructureIndex(sd)
    with _LOCK:
        _CACHE[id(sd)] = (sd, built)
    return built


def structure_index(source: DefinitionSource, key: str) -> StructureIndex | None:
    sd = source.structure(key)
    if sd is None or not (sd.get("snapshot") or {}).get("element"):
        return None
    return index_of(sd)


CONTENT_REFERENCE_PROFILE = "http://hl7.org/fhir/StructureDefinition/contentReferenceProfile"


def content_reference_profile(ed: Json) -> str | None:
    """The value of an element's contentReferenceProfile extension (FHIR-57265, read by HL7's validator since
    2026-05: ExtensionDefinitions.EXT_CONTENT_PROFILE, a profile's element that a recursive element is held to,
    ``canonical#element-id``), or None."""
    for ext in ed.get("extension") or ():
        if isinstance(ext, dict) and ext.get("url") == CONTENT_REFERENCE_PROFILE:
            value = next((v for k, v in ext.items() if k.startswith("value") and isinstance(v, str)), None)
            if value is not None:
                return value
    return None
