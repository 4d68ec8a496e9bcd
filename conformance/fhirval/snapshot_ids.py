"""Which snapshot element a differential element names: ids from paths and active slices (snapshot generation).

HL7's generator matches differential elements by path and regenerates ids after (ProfileUtilities.setIds); older
profiles write no ids at all. These give the id to look an element up by, and its fallback.
"""

from __future__ import annotations

from conformance.fhirval.source import Json


def segments(element_id: str) -> list[str]:
    return element_id.split(".")


def name_slice(segment: str) -> tuple[str, str | None]:
    name, _, slice_name = segment.partition(":")
    return name, slice_name or None


def path_of(element_id: str) -> str:
    return ".".join(name_slice(s)[0] for s in segments(element_id))


def diff_id(diff: Json, slices: dict[str, str]) -> str:
    """An id for differential elements written without one (older profiles): path + active slices."""
    if isinstance(diff.get("id"), str):
        return str(diff["id"])
    return path_id(diff, slices)


def path_id(diff: Json, slices: dict[str, str]) -> str:
    path: str = diff["path"]
    parts = path.split(".")
    out = parts[0]
    for n, part in enumerate(parts[1:], start=1):
        out += "." + part
        active = slices.get(".".join(parts[: n + 1]))
        if active and n < len(parts) - 1:
            out = active
    if diff.get("sliceName"):
        out = f"{out}:{diff['sliceName']}"
        slices[path] = out
    return out


def with_ids(elements: list[Json]) -> list[Json]:
    """A base snapshot's elements, each with an id: an old snapshot written without them (STU3-era profiles, HL7's
    test ext-sort-issue) has ids made from paths and slice names as ProfileUtilities.setIds makes them (HL7's
    generator matches a base by path, so it needs none; ours looks elements up by id). The list itself is returned
    when every element has one; otherwise copies, the base's own elements left unchanged."""
    if all(isinstance(el, dict) and isinstance(el.get("id"), str) for el in elements):
        return elements
    slices: dict[str, str] = {}
    out = []
    for el in elements:
        if isinstance(el, dict) and not isinstance(el.get("id"), str) and isinstance(el.get("path"), str):
            el = {**el, "id": path_id(el, slices)}
        elif isinstance(el, dict) and isinstance(el.get("id"), str) and el.get("sliceName"):
            slices[str(el.get("path"))] = el["id"]
        out.append(el)
    return out


def walk_ids(elements: list[Json]) -> list[Json]:
    """A snapshot's elements with ids the instance walk can go by. HL7's walk goes by path and position
    (ProfileUtilities.getChildMap), never by id; ours by id. So the ids are kept when each names its own element
    (unique, its path its element's, a choice renamed to its type aside); otherwise, when an old or hand-written
    snapshot has none, repeats one or names another element than its path, every id is made again from paths and
    slice names (as ProfileUtilities.setIds makes them), copies, the given elements left unchanged."""
    seen: set[str] = set()
    for el in elements:
        own = el.get("id") if isinstance(el, dict) else None
        if not isinstance(own, str) or own in seen or not isinstance(el.get("path"), str) or names_other_element(el):
            break
        seen.add(own)
    else:
        return elements
    return with_ids([{k: v for k, v in el.items() if k != "id"} if isinstance(el, dict) else el for el in elements])


def by_path(diff: Json, seen: dict[str, str], loose: set[str]) -> str:
    """The id HL7's generator gives the element (it matches by path, regenerating ids: setIds): its path under the
    active slices; an id that is its path stands, but not below a slice written with its slicer's id, nor that."""
    own, path = diff.get("id"), diff["path"]
    if isinstance(own, str) and path_of(own) == path:
        name = diff.get("sliceName")
        if name and not own.endswith(f":{name}"):
            loose.add(path)
            return path_id(diff, seen)
        if name:
            loose.discard(path)
            seen[path] = own
        elif own == path and any(path.startswith(p + ".") for p in loose):
            return path_id(diff, seen)
        return own
    return path_id(diff, seen)


def names_other_element(diff: Json) -> bool:
    """Whether the element's id names another element than its path: HL7's generator matches differential
    elements by path alone (ProfileUtilities.getDiffMatches compares ``getPath()``) and regenerates the ids after
    (setIds), so fhir-test-cases' ``observation-bp-profile`` (id ``Observation.component:DiastolicBP`` on the path
    ``Observation.component.code``) patterns the slice's code, not the slice. A choice renamed to its type
    (``Observation.value[x]`` for ``Observation.valueQuantity``) is the same element."""
    own = diff.get("id")
    if not isinstance(own, str):
        return False
    named, path = segments(path_of(own)), segments(diff["path"])
    return len(named) != len(path) or any(
        a != b and not (a.endswith("[x]") and b.startswith(a[:-3]) and b[len(a) - 3:][:1].isupper())
        for a, b in zip(named, path, strict=True))


def slice_counts(sd: Json) -> dict[str, int]:
    """How many slices the differential gives each sliced element id (``X.y:a``, ``X.y:b``: ``X.y`` 2)."""
    counts: dict[str, int] = {}
    for el in sd.get("differential", {}).get("element", []) if isinstance(sd.get("differential"), dict) else []:
        name = el.get("sliceName") if isinstance(el, dict) else None
        own = el.get("id") if isinstance(el, dict) else None
        if isinstance(name, str) and isinstance(own, str) and own.endswith(":" + name):
            key = own[: -len(name) - 1]
            counts[key] = counts.get(key, 0) + 1
    return counts
