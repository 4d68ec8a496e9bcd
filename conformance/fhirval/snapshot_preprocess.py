"""What a differential says of every slice, given to each slice before the snapshot is generated (snapshot.py).

A differential may constrain the children of a sliced element between the slicing and its first slice
(``Patient.identifier.system`` min 1, then ``Patient.identifier:MRN``): that holds for all slices. HL7's
generator copies those constraints into each slice before it starts (SnapshotGenerationPreProcessor.processSlices,
called by ProfileUtilities.generateSnapshot): a property the slice's own element already states stays the
slice's, an element the slice does not mention is added to it. Without this, a slice-matched item escapes the
constraints every slice shares. Found with HL7's generator test t22 (bench/fhir_snapshot_generation.py).

Extension slicing as HL7 writes it (open, unordered, by ``url`` value) is left alone, and a differential that
slices again inside the shared part before the slices is too complex for HL7's pre-processor (it gives up:
UNSUPPORTED_SLICING_COMPLEXITY), so it is left as it is here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.fhirval.source import Json, deep_copy

# the properties SnapshotGenerationPreProcessor.merge copies from the shared element when the slice's lacks them
# (prefixes for the typed ones: defaultValue[x], fixed[x], pattern[x], minValue[x], maxValue[x])
_MERGED = ("label", "code", "short", "definition", "comment", "requirements", "alias", "min", "max", "type",
           "meaningWhenMissing", "orderMeaning", "example", "maxLength", "constraint", "mustHaveValue",
           "valueAlternatives", "mustSupport", "isModifier", "isModifierReason", "isSummary", "binding")
_TYPED = ("defaultValue", "fixed", "pattern", "minValue", "maxValue")


@dataclass
class _Slicing:
    slicer: Json
    parent: _Slicing | None
    shared: list[Json] = field(default_factory=list)  # sliceStuff: what comes before the first slice
    slices: list[Json] | None = None
    closed: bool = False

    def add(self, el: Json) -> None:
        if self.slices is None:
            self.shared.append(el)
        if self.parent is not None:
            self.parent.add(el)

    def new_slice(self, el: Json) -> None:
        self.slices = [*(self.slices or []), el]
        if self.parent is not None:
            self.parent.add(el)


def _name(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def _extension_slicing(el: Json) -> bool:
    """isExtensionSlicing: ``extension`` sliced open, explicitly unordered, by the one discriminator value:url."""
    slicing = el.get("slicing")
    if _name(el["path"]) not in ("extension", "modiferExtension") or not isinstance(slicing, dict):
        return False  # HL7's list misspells modifierExtension: modifier extension slicing is pre-processed
    ds = slicing.get("discriminator")
    return (slicing.get("rules") == "open" and slicing.get("ordered") is False and isinstance(ds, list)
            and len(ds) == 1 and ds[0] == {"type": "value", "path": "url"})


def _open_slicing(slicings: list[_Slicing], path: str) -> _Slicing | None:
    """getSlicing: the innermost slicing still open whose path starts this one (a shorter path closes one)."""
    for s in reversed(slicings):
        if s.closed:
            continue
        if len(s.slicer["path"]) > len(path):
            s.closed = True
        elif path.startswith(s.slicer["path"]):
            return s
    return None


def _paths_match(p1: str, p2: str) -> bool:
    for a, b in ((p1, p2), (p2, p1)):
        if a == b or (a.endswith("[x]") and b.startswith(a[:-3]) and "." not in b[len(a) - 3:]):
            return True
    return False


def _matches(e1: Json, e2: Json) -> bool:
    return _paths_match(e1["path"], e2["path"]) and e1.get("sliceName") == e2.get("sliceName")


def _merge(focus: Json, shared: Json) -> None:
    for key, value in shared.items():
        if key in _MERGED and key not in focus:
            focus[key] = deep_copy(value)
    for prefix in _TYPED:
        if not any(k.startswith(prefix) for k in focus):
            focus.update({k: deep_copy(v) for k, v in shared.items() if k.startswith(prefix)})


def _slice_end(elements: list[Json], start: int) -> int:
    """findEndOfSlice: just past the slice's element and its descendants (by path)."""
    head = elements[start]
    end = start + 1
    while end < len(elements) and (elements[end]["path"].startswith(head["path"] + ".") or (
            elements[end]["path"] == head["path"] and elements[end].get("sliceName") == head.get("sliceName"))):
        end += 1
    return end


def _give(elements: list[Json], s: _Slicing, slice_el: Json) -> None:
    """mergeElements: the shared elements into one slice's part of the differential. Each shared element is
    matched against the slice's part as the differential wrote it, never against a copy this merge inserted: HL7
    collects the unmatched ones first (``handled``) and inserts a copy of each, so two re-slices' children of one
    path (``extension:a/x.valueIdentifier`` and ``extension:a/y.valueIdentifier``) are both given."""
    at = next(n for n, el in enumerate(elements) if el is slice_el)
    end = _slice_end(elements, at)
    written = elements[at + 1: end]
    for shared in s.shared:
        own = [el for el in written if _matches(el, shared)]
        for el in own:
            _merge(el, shared)
        if not own:
            added = deep_copy(shared)
            added["id"] = str(shared["id"]).replace(str(s.slicer["id"]), str(slice_el["id"]))
            elements.insert(end, added)
            end += 1


def preprocess(elements: list[Json]) -> tuple[list[Json], set[int]]:
    """The differential's elements with the shared constraints given to each slice (a new list; ``elements``, a
    profile's own, is not changed), and the ``id()`` of each element added. Elements without an id or path are
    left to the generator to report."""
    if not all(isinstance(el, dict) and isinstance(el.get("path"), str) and isinstance(el.get("id"), str)
               for el in elements):
        return elements, set()
    out = deep_copy(elements)
    slicings: list[_Slicing] = []
    for el in out:
        s = _open_slicing(slicings, el["path"])
        if s is None:
            if "slicing" in el and not _extension_slicing(el):
                slicings.append(_Slicing(el, None))
        elif el.get("sliceName") and el["path"] == s.slicer["path"]:
            s.new_slice(el)
        elif "slicing" in el and not _extension_slicing(el):
            slicings.append(_Slicing(el, s))
            s.add(el)
        else:
            s.add(el)
    if any(s.slices and any("slicing" in el and not _extension_slicing(el) for el in s.shared) for s in slicings):
        return elements, set()  # UNSUPPORTED_SLICING_COMPLEXITY: HL7 goes on without pre-processing
    given = {id(el) for el in out}
    for s in reversed(slicings):
        for slice_el in s.slices or [] if s.shared else []:
            _give(out, s, slice_el)
    return out, {id(el) for el in out} - given
