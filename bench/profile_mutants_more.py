"""The profile mutation classes that need more than one element of the snapshot: required bindings (the
ValueSet, enumerated raw), reference targets (the target profiles' types) and slicing (the slices beside the
sliced element). See profile_mutants.py for the classes and what is skipped as ambiguous.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from profile_mutants import (
    CONTAINED,
    SIMPLE_DISCRIMINATORS,
    Json,
    Mutant,
    Profile,
    Site,
    as_list,
    contains,
    locate,
    site_mutants,
    type_codes,
)

NOT_DOMAIN = {"Bundle", "Parameters", "Binary"}


def binding_mutants(resource: Json, profile: Profile, element: Json, site: Site) -> Iterator[Mutant]:
    binding = element.get("binding", {})
    url = binding.get("valueSet", "")
    if binding.get("strength") != "required" or not url:
        return
    base = profile.base(element)
    stated = (base or {}).get("binding", {})
    if stated.get("strength") == "required" and stated.get("valueSet", "").split("|")[0] == url.split("|")[0]:
        return  # base R4's own binding: a base step, not the profile's
    members = profile.raw.expand(url)
    if not members:
        return
    systems = {s for s, _ in members}
    outside = _outside(profile, members, systems)
    if not outside:
        return
    types = type_codes(element)
    doc = copy.deepcopy(resource)
    spots = site.find(doc, types)
    if not spots:
        return
    obj, key = spots[0]
    items = as_list(obj[key])
    if types == ["code"] and len(systems) == 1 and isinstance(items[0], str):
        if isinstance(obj[key], list):
            obj[key][0] = outside[next(iter(systems))]
        else:
            obj[key] = outside[next(iter(systems))]
        yield Mutant("binding-required", site.eid, doc)
        return
    codings = items[0].get("coding") if types == ["CodeableConcept"] and isinstance(items[0], dict) else (
        [items[0]] if types == ["Coding"] and isinstance(items[0], dict) else None)
    if not codings or any(c.get("system") not in outside for c in codings):
        return
    for coding in codings:
        coding["code"] = outside[coding["system"]]
        coding.pop("display", None)
    yield Mutant("binding-required", site.eid, doc)


def _outside(profile: Profile, members: set[tuple[str, str]], systems: set[str]) -> dict[str, str]:
    """A code of each system held complete that the ValueSet leaves out (systems wholly inside are left out)."""
    found: dict[str, str] = {}
    for system in systems:
        rest = sorted((profile.raw.codes(system) or set()) - {c for s, c in members if s == system})
        if rest:
            found[system] = rest[0]
    return found


def reference_mutants(resource: Json, profile: Profile, element: Json, site: Site) -> Iterator[Mutant]:
    if resource.get("resourceType", "Bundle") in NOT_DOMAIN:
        return  # not a DomainResource (an extension: its resource holds the contained)
    targets = [p for t in element.get("type", []) if t.get("code") == "Reference" for p in t.get("targetProfile", [])]
    if not targets or type_codes(element) != ["Reference"]:
        return
    base = profile.base(element) or {}
    base_targets = [p for t in base.get("type", []) for p in t.get("targetProfile", [])]
    kinds = {profile.raw.sd_type(p) for p in targets}
    if None in kinds or "Resource" in kinds or set(targets) == set(base_targets):
        return
    yield from _reference_profile(resource, profile, site, targets)
    pick = next(((k, body) for k, body in CONTAINED if k not in kinds), None)
    if pick is None:
        return
    doc = copy.deepcopy(resource)
    spots = site.find(doc, ["Reference"])
    items = [i for o, k in spots for i in as_list(o[k]) if isinstance(i, dict) and "reference" in i]
    if not items:
        return
    items[0].clear()
    items[0]["reference"] = "#mutant-target"
    doc.setdefault("contained", []).append({"resourceType": pick[0], "id": "mutant-target", **pick[1]})
    yield Mutant("reference-target", site.eid, doc)


def _reference_profile(resource: Json, profile: Profile, site: Site, targets: list[str]) -> Iterator[Mutant]:
    """``reference-profile``: a contained resource of a target's type, valid to base R4 (bare: base R4 requires
    nothing at its root) but missing what each target profile of that type requires at its root. HL7 checks a
    contained target against the target profiles (``CHECK_VALID``) and fails it when none is met
    (``REFERENCE_REF_CANTMATCHCHOICE``, not all base profiles)."""
    by_type: dict[str, list[Json]] = {}
    for url in targets:
        sd = profile.raw.get("StructureDefinition", url)
        if sd is None or not sd.get("snapshot"):
            return
        by_type.setdefault(sd.get("type", ""), []).append(sd)
    for kind, sds in sorted(by_type.items()):
        base_sd = profile.raw.r4.get(f"http://hl7.org/fhir/StructureDefinition/{kind}")
        if base_sd is None or any(e.get("min", 0) >= 1 and e["path"].count(".") == 1
                                  for e in base_sd.get("snapshot", {}).get("element", [])):
            continue
        if all(any(e.get("min", 0) >= 1 and e["path"].count(".") == 1 and ":" not in e["id"]
                   for e in sd["snapshot"]["element"]) for sd in sds) and all(
                sd.get("derivation") == "constraint" for sd in sds):
            doc = copy.deepcopy(resource)
            items = [i for o, k in site.find(doc, ["Reference"]) for i in as_list(o[k])
                     if isinstance(i, dict) and "reference" in i]
            if not items:
                return
            items[0].clear()
            items[0]["reference"] = "#mutant-profile"
            doc.setdefault("contained", []).append({"resourceType": kind, "id": "mutant-profile"})
            yield Mutant("reference-profile", site.eid, doc)
            return


def type_profile_mutants(resource: Json, profile: Profile, element: Json, site: Site) -> Iterator[Mutant]:
    """The mutations of a datatype profile the element's one type names, on the values at the site."""

    def values(doc: Json) -> list[Json]:
        return [v for o, k in site.find(doc, type_codes(element)) for v in as_list(o[k]) if isinstance(v, dict)]

    yield from _datatype(resource, profile, element, site.eid, values)


def _datatype(resource: Json, profile: Profile, element: Json, eid: str, values: Callable[[Json], list[Json]],
              told: tuple[list[str], ...] = ()) -> Iterator[Mutant]:
    """``told``: a slice's discriminator paths, left alone (changed, the item leaves the slice)."""
    types = element.get("type", [])
    if len(types) != 1 or len(types[0].get("profile", [])) != 1 or types[0].get("code") in ("Extension", "Reference"):
        return
    sd = profile.raw.get("StructureDefinition", types[0]["profile"][0])
    if not sd or sd.get("kind") != "complex-type" or not sd.get("snapshot") or sd.get("derivation") != "constraint":
        return
    inner = Profile(sd, profile.raw)
    for dt_element in inner.elements:
        parts = dt_element["path"].split(".")[1:]
        if inner.plain(dt_element) and not _overlaps(parts, told):
            yield from site_mutants(resource, inner, dt_element, Site(
                parts, f"{eid}>{dt_element['id']}", values))


def _overlaps(parts: list[str], told: tuple[list[str], ...]) -> bool:
    """Whether a path is one of the discriminator paths, inside one or above one."""
    bare = [p.removesuffix("[x]") for p in parts]
    return any(bare[:len(d)] == d or d[:len(bare)] == bare for d in told)


def slicing_mutants(resource: Json, profile: Profile) -> Iterator[Mutant]:
    for element in profile.elements:
        slicing = element.get("slicing")
        if not slicing or not profile.plain(element, last_may_be_extension=True):
            continue
        discriminators = slicing.get("discriminator", [])
        if element["path"].endswith("[x]") and discriminators == [{"type": "type", "path": "$this"}]:
            yield from _type_slices(resource, profile, element)
            continue
        if not discriminators or any(d.get("type") not in SIMPLE_DISCRIMINATORS or "(" in d.get("path", "(")
                                     for d in discriminators):
            continue
        slices = [e for e in profile.elements if e.get("id", "").startswith(element["id"] + ":")
                  and "." not in e["id"][len(element["id"]) + 1:] and "/" not in e["id"]]
        wants = {s["id"]: _wants(profile, s, discriminators) for s in slices}
        parts = element["path"].split(".")[1:]
        for s in slices:
            want = wants[s["id"]]
            if s.get("min", 0) >= 1 and want is not None:
                yield from _slice_min(resource, element, parts, s, want)
            if want is not None and all(w is not None for w in wants.values()):
                others = [w for k, w in wants.items() if k != s["id"] and w is not None]
                if s.get("max", "*") not in ("*", "0") and element.get("max") == "*":
                    yield from _slice_max(resource, element, parts, s, want, others)
                yield from _inside(resource, profile, element, s, want, others)
        if slicing.get("rules") == "closed" and all(w is not None for w in wants.values()):
            yield from _closed(resource, element, parts, discriminators)


def _type_slices(resource: Json, profile: Profile, element: Json) -> Iterator[Mutant]:
    """A choice sliced by type (``value[x]:valueQuantity``): a slice is the choice given its one type, so its
    constraints and its children's apply to that JSON name alone (no matching to guess)."""
    parts = element["path"].split(".")[1:]
    for slice_ in profile.elements:
        if not slice_.get("id", "").startswith(element["id"] + ":") or "." in slice_["id"][len(element["id"]):]:
            continue
        codes = type_codes(slice_)
        if len(codes) != 1:
            continue
        yield from site_mutants(resource, profile, slice_, Site(parts, slice_["id"]))

        def values(doc: Json, code: str = codes[0]) -> list[Json]:
            return [v for o, k in locate(doc, parts, [code]) for v in as_list(o[k]) if isinstance(v, dict)]

        for child in profile.elements:
            below = profile.below(child, slice_)
            if below:
                yield from site_mutants(resource, profile, child, Site(below, child["id"], values))


def bundle_reference_mutants(resource: Json, profile: Profile, entries: list[tuple[str, str]]) -> Iterator[Mutant]:
    """``bundle-reference-target``: a reference of an entry pointed at another entry's fullUrl whose type is
    outside the element's target profiles. HL7 resolves it in the Bundle (``INTERNAL``: ``CHECK_VALID``) and
    fails the type (``REFERENCE_REF_BADTARGETTYPE``)."""
    for element in profile.elements:
        if not profile.plain(element) or type_codes(element) != ["Reference"]:
            continue
        targets = [p for t in element.get("type", []) for p in t.get("targetProfile", [])]
        kinds = {profile.raw.sd_type(p) for p in targets}
        if not targets or None in kinds or "Resource" in kinds:
            continue
        elsewhere = next((url for url, kind in entries if kind not in kinds), None)
        doc = copy.deepcopy(resource)
        items = [i for o, k in locate(doc, element["path"].split(".")[1:], ["Reference"]) for i in as_list(o[k])
                 if isinstance(i, dict) and "reference" in i]
        if elsewhere and items:
            items[0].clear()
            items[0]["reference"] = elsewhere
            yield Mutant("bundle-reference-target", element["id"], doc)


def _inside(resource: Json, profile: Profile, sliced: Json, slice_: Json, want: dict[str, tuple[str, Any]],
            others: list[dict[str, tuple[str, Any]]]) -> Iterator[Mutant]:
    """The element mutations of a slice's children, on the items only this slice matches."""
    if sliced["path"].rsplit(".", 1)[-1] in ("extension", "modifierExtension") and (
            profile.sd.get("type") != "Extension"):
        return  # an extension slice's content is its own definition's (judged as an extension below)
    parts = sliced["path"].split(".")[1:]

    def matched(doc: Json) -> list[Json]:
        items = [i for o, k in locate(doc, parts, type_codes(sliced)) for i in as_list(o[k]) if isinstance(i, dict)]
        return [i for i in items if _matches(i, want) and not any(_matches(i, w) for w in others)]

    if not matched(resource):
        return
    told = tuple(d.split(".") for d in want if d != "$this")
    if "$this" not in want:
        yield from _datatype(resource, profile, slice_, slice_["id"], matched, told)
    for element in profile.elements:
        below = profile.below(element, slice_)
        # a discriminator's own element changed or removed takes the item out of the slice (open slicing: valid)
        if below and "$this" not in want and not _overlaps(below, told):
            yield from site_mutants(resource, profile, element, Site(below, element["id"], matched))


def _wants(profile: Profile, slice_: Json, discriminators: list[Json]) -> dict[str, tuple[str, Any]] | None:
    """Each discriminator path's fixed / pattern value in the slice, or None when one is not stated."""
    found: dict[str, tuple[str, Any]] = {}
    for d in discriminators:
        path = d["path"]
        target = slice_ if path == "$this" else profile.by_id.get(f"{slice_['id']}.{path}")
        value = None
        for prefix in ("fixed", "pattern"):
            value = value if value is not None else (profile.fixed(target, prefix) if target else None)
            if value is not None:
                found[path] = (prefix, value)
                break
        if value is None and path == "url" and slice_["path"].endswith("xtension"):
            urls = [p for t in slice_.get("type", []) for p in t.get("profile", [])]
            if len(urls) == 1:
                found[path] = ("fixed", urls[0])
                continue
        if path not in found:
            return None
    return found


def _values(item: Any, path: str) -> list[Any]:
    values = [item]
    if path != "$this":
        for step in path.split("."):
            values = [v for x in values if isinstance(x, dict) for v in as_list(x.get(step))]
    return values


def _matches(item: Any, want: dict[str, tuple[str, Any]]) -> bool:
    return all(any((v == value) if kind == "fixed" else contains(v, value) for v in _values(item, path))
               for path, (kind, value) in want.items())


def _slice_min(resource: Json, element: Json, parts: list[str], slice_: Json,
               want: dict[str, tuple[str, Any]]) -> Iterator[Mutant]:
    doc = copy.deepcopy(resource)
    spots = locate(doc, parts, type_codes(element))
    removed = 0
    for obj, key in spots:
        kept = [i for i in as_list(obj[key]) if not _matches(i, want)]
        removed += len(as_list(obj[key])) - len(kept)
        if kept:
            obj[key] = kept if isinstance(obj[key], list) else kept[0]
        else:
            del obj[key]
            if not obj:
                return
    if removed:
        yield Mutant("slice-min", slice_["id"], doc)


def _slice_max(resource: Json, sliced: Json, parts: list[str], slice_: Json, want: dict[str, tuple[str, Any]],
               others: list[dict[str, tuple[str, Any]]]) -> Iterator[Mutant]:
    """``slice-max``: an item only this slice matches repeated past the slice's max."""
    doc = copy.deepcopy(resource)
    for obj, key in locate(doc, parts, type_codes(sliced)):
        items = obj[key] if isinstance(obj[key], list) else []
        hits = [i for i in items if _matches(i, want) and not any(_matches(i, w) for w in others)]
        if hits:
            items.extend(copy.deepcopy(hits[0]) for _ in range(int(slice_["max"]) + 1 - len(hits)))
            yield Mutant("slice-max", slice_["id"], doc)
            return


def _closed(resource: Json, element: Json, parts: list[str], discriminators: list[Json]) -> Iterator[Mutant]:
    doc = copy.deepcopy(resource)
    spots = [(o, k) for o, k in locate(doc, parts, type_codes(element)) if isinstance(o[k], list) and o[k]]
    if not spots:
        return
    obj, key = spots[0]
    extra = copy.deepcopy(obj[key][0])
    for d in discriminators:
        if d["path"] == "$this" and not isinstance(extra, dict):
            return
        for value in _values(extra, d["path"]) if d["path"] != "$this" else [extra]:
            _scramble(value)
        if d["path"] != "$this" and not _set_leaf(extra, d["path"].split(".")):
            return
    obj[key].append(extra)
    yield Mutant("closed-slicing", element.get("id", ""), doc)


def _scramble(value: Any) -> None:
    """Every string of a complex value made one no slice states."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(inner, str) and key not in ("display", "text"):
                value[key] = "urn:mutant:unmatched"
            else:
                _scramble(inner)
    elif isinstance(value, list):
        for inner in value:
            _scramble(inner)


def _set_leaf(item: Json, steps: list[str]) -> bool:
    """A primitive at the end of ``steps`` made one no slice states; False when the path holds none."""
    objects: list[Any] = [item]
    for step in steps[:-1]:
        objects = [v for x in objects if isinstance(x, dict) for v in as_list(x.get(step))]
    hit = False
    for obj in objects:
        if isinstance(obj, dict) and isinstance(obj.get(steps[-1]), str):
            obj[steps[-1]] = "urn:mutant:unmatched"
            hit = True
        elif isinstance(obj, dict) and isinstance(obj.get(steps[-1]), (dict, list)):
            hit = True
    return hit
