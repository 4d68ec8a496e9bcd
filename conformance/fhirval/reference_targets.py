"""Where a reference leads, for the walker: contained, a Bundle entry, another parameter's resource, or a local file.

HL7's validator resolves a reference first where it stands (InstanceValidator.localResolve: ``#id`` in the
container; otherwise up through the parents, a Bundle by its fullUrl rules, or the resources of a Parameters),
and only then asks its fetcher (checkReference, resolve). Its test runner's fetcher reads the case folder
(``fetch_file``), its CLI's the ``-resolution-context file:`` folder (``fetch_in_context``); ours reads the folders
the user names (Options.reference_folders, Options.resolution_context) and nothing else: never a network.
A resource resolved any of these ways is judged against a target profile where it stands (``place_of``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance import safejson
from conformance.fhirval import bundles
from conformance.fhirval.bundle_resolution import (
    STRICT_TYPES,
    EntryMaps,
    entry_maps,
    full_url_matches,
    resolve_strict,
)
from conformance.fhirval.elements_values import Frame, ValueWalker
from conformance.fhirval.issues import Issue
from conformance.fhirval.source import DefinitionSource, Json, items

MAX_FETCH_BYTES = 20_000_000


@dataclass(frozen=True)
class Place:
    """Where a resource stands in this walk: under its first ``depth`` frames, at ``loc``, contained or an entry
    with ``full_url``. A fetched resource stands alone (depth 0)."""

    depth: int
    loc: str
    contained: bool
    full_url: str | None


def fetch_file(folder: Path, ref: str, source: DefinitionSource) -> Json | None:
    """The resource HL7's test runner's fetcher finds for ``ref`` (ValidationTests.fetch): the file named by the
    reference with ``/`` as ``-``, lower case, ``.json`` then ``.xml``; then the same for what follows its first
    ``/`` (``Patient/x`` -> ``patient-x.json``, then ``x.json``). None when there is none or it is not FHIR."""
    names = [ref.replace("/", "-").lower()]
    if "/" in ref:
        names.append(ref.split("/", 1)[1].replace("/", "-").lower())
    try:
        root = folder.resolve()
    except (OSError, RuntimeError):  # a folder that cannot be resolved holds nothing to fetch
        return None
    for name in names:
        if not name or name in (".", "..") or "\\" in name or "\0" in name:
            continue
        for ext in (".json", ".xml"):
            path = _inside(root, name + ext)
            if path is not None:
                return _read(path, source)
    return None


def fetch_in_context(folder: Path, ref: str, source: DefinitionSource) -> Json | None:
    """The resource HL7's CLI finds for a relative ``ref`` in its ``-resolution-context file:`` folder
    (StandAloneValidatorFetcher.fetch): the file named by the reference as it is, then with ``.json``, ``.xml``;
    for ``Type/id``, ``Type-id.json`` / ``.xml`` (case kept); then a scan of the folder's files for one holding
    that resource type and id (isPossibleMatch, then the type and id read). None for an absolute URL (HL7 goes
    to the web: ours never does) or when nothing matches."""
    if ":" in ref.split("/", 1)[0] or not ref:
        return None
    try:
        root = folder.resolve()
    except (OSError, RuntimeError):  # a folder that cannot be resolved holds nothing to fetch
        return None
    for name in (ref, ref + ".json", ref + ".xml"):
        path = _below(root, name)
        if path is not None:
            return _read(path, source)
    parts = ref.split("/")
    if len(parts) != 2:  # HL7: "was not understood - expecting type/id" (an exception: nothing fetched)
        return None
    rtype, rid = parts
    for ext in (".json", ".xml"):
        path = _inside(root, f"{rtype}-{rid}{ext}")
        if path is not None:
            return _read(path, source)
    return _scan(root, rtype, rid, source)


def _scan(root: Path, rtype: str, rid: str, source: DefinitionSource) -> Json | None:
    """StandAloneValidatorFetcher's last resort: the first file of the folder (by name) whose text names the type
    and the quoted id and that reads as that resource."""
    try:
        files = sorted(f for f in root.iterdir() if f.is_file())
    except OSError:
        return None
    for f in files:
        try:
            if f.stat().st_size > MAX_FETCH_BYTES:
                continue
            text = f.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        head = f"<{rtype}" if f.name.endswith(".xml") else f'"{rtype}"'
        if head in text and f'"{rid}"' in text:
            found = _read(f, source)
            if found is not None and found.get("resourceType") == rtype and found.get("id") == rid:
                return found
    return None


def _below(root: Path, name: str) -> Path | None:
    """``root/name`` (``name`` may name a sub-folder, as HL7's ``new File(rc, url)``) when it is a file inside
    ``root``."""
    if not name or "\\" in name or "\0" in name:
        return None
    try:
        path = (root / name).resolve()
        return path if root in path.parents and path.is_file() else None
    except (OSError, RuntimeError, ValueError):
        return None


def _inside(root: Path, name: str) -> Path | None:
    """``root/name`` when it is a file whose real path is inside ``root`` (a symlink pointing out of the folder is
    not followed); None too when the name is one the file system refuses (too long: HL7's fetcher's failure is
    "not found" as well, InstanceValidator.checkReference catching it)."""
    try:
        path = (root / name).resolve()
        return path if path.parent == root and path.is_file() else None
    except (OSError, RuntimeError, ValueError):
        return None


def _read(path: Path, source: DefinitionSource) -> Json | None:
    try:
        if path.stat().st_size > MAX_FETCH_BYTES:
            return None
        data = path.read_bytes()
        if path.suffix == ".xml":
            from conformance.fhirval.xml import element_to_json, parse_xml
            doc: Any = element_to_json(parse_xml(data), source)
        else:
            doc = safejson.loads(data)
    except (OSError, ValueError, RecursionError):  # unreadable, not JSON / FHIR XML (both ValueErrors)
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("resourceType"), str) else None


def in_parameters(params: Json, ref: str, loc: str) -> tuple[Json, str] | None:
    """The resource of a parameter (or part, at any depth) whose ``Type/id`` is ``ref``, and where it stands, as
    HL7's findInParams / findInParamParts look: the first in document order."""
    for i, param in enumerate(items(params.get("parameter"))):
        found = _in_param(param, ref, f"{loc}.parameter[{i}]") if isinstance(param, dict) else None
        if found is not None:
            return found
    return None


def _in_param(param: Json, ref: str, loc: str) -> tuple[Json, str] | None:
    res = param.get("resource")
    if isinstance(res, dict) and f"{res.get('resourceType')}/{res.get('id')}" == ref:
        return res, f"{loc}.resource"
    for i, part in enumerate(items(param.get("part"))):
        found = _in_param(part, ref, f"{loc}.part[{i}]") if isinstance(part, dict) else None
        if found is not None:
            return found
    return None


class TargetWalker(ValueWalker):
    """The walker's reference resolution and its judging of targets (elements.Walker sets the state)."""

    bundles: list[dict[str, Json]]
    hosts: list[Json]
    _entry_maps: dict[int, tuple[Json, EntryMaps]]
    # (id of a referenced resource, target profile) -> conforms, None while judged or when it cannot be told
    _targets: dict[tuple[int, str], bool | None]
    # reference -> the resource the folder gives (None: not there), shared with every probe; the root by its Type/id
    fetched: dict[str, Json | None]
    external: dict[int, str]  # id() of a fetched resource -> the reference that fetched it

    def container(self) -> Frame:
        """The resource whose contained list local references resolve in (not a contained one)."""
        for frame in reversed(self.frames):
            if not frame.contained:
                return frame
        return self.frames[0]

    def resolve(self, ref: Any) -> Json | None:
        """The resource a reference points to: a contained one (``#id``, in the nearest containing resource),
        a Bundle entry (by fullUrl, or relative to the current entry's base), another parameter's resource (when
        inside a Parameters, as HL7's localResolve), or, with a reference folder, the file it names."""
        if isinstance(ref, str) and ref.startswith("#") and len(ref) > 1:
            if not self.frames:
                return None
            found = [c for c in items(self.container().resource.get("contained"))
                     if isinstance(c, dict) and c.get("id") == ref[1:]]
            return found[0] if len(found) == 1 else None
        if not isinstance(ref, str) or ref.startswith("#"):
            return None
        local = self.resolve_here(ref)
        if local is not None or not (self.options.reference_folders or self.options.resolution_context):
            return local
        return self.fetch(ref)

    def resolve_here(self, ref: str) -> Json | None:
        """A non-local reference resolved inside this document: up through the frames, the innermost Bundle
        (its fullUrl rules) or Parameters (a parameter's resource by Type/id) decides (localResolve's order)."""
        for k in range(len(self.frames) - 1, -1, -1):
            if self.frames[k].type == "Bundle" and self.bundles:
                return bundles.resolve(self.bundles[-1], ref,
                                       next((f.full_url for f in reversed(self.frames) if f.full_url), None))
            if k > 0 and self.frames[k - 1].type == "Parameters" and not self.frames[k].contained:
                found = in_parameters(self.frames[k - 1].resource, ref, self.frames[k - 1].loc)
                if found is not None:
                    return found[0]
        return None

    def fetch(self, ref: str) -> Json | None:
        """The resource the first reference folder that has it gives for ``ref`` (fetch_file), else the
        resolution context's (fetch_in_context), read once per validation; a reference to the root resource by its
        Type/id is the root itself (HL7 seeds its fetch cache with it)."""
        if ref not in self.fetched:
            found = next((r for r in (fetch_file(Path(f), ref, self.model.source)
                                      for f in self.options.reference_folders) if r is not None), None)
            if found is None and self.options.resolution_context:
                found = fetch_in_context(Path(self.options.resolution_context), ref, self.model.source)
            self.fetched[ref] = found
            if found is not None:
                self.external[id(found)] = ref
        return self.fetched[ref]

    def strict_entry(self, ref: str) -> tuple[Json | None, tuple[str, str] | None] | None:
        """In a document or message Bundle's entry, what a reference finds by HL7's fullUrl rules and the error
        they give (bundle_resolution.py); None elsewhere, where ``resolve`` applies."""
        for k in range(len(self.frames) - 1, 0, -1):
            if self.frames[k - 1].type != "Bundle":
                continue
            bundle, entry = self.frames[k - 1].resource, self.frames[k]
            if not isinstance(kind := bundle.get("type"), str) or kind not in STRICT_TYPES:
                return None  # a type that is not a string (an array, say) is the JSON parse's error
            cached = self._entry_maps.get(id(bundle))
            if cached is None or cached[0] is not bundle:
                cached = self._entry_maps[id(bundle)] = (bundle, entry_maps(bundle))
            maps = cached[1]
            found, problem = resolve_strict(maps, ref, entry.full_url, entry.resource, self.model.is_resource_type)
            return (maps.resources[found] if found is not None else None), problem
        return None

    def entry_matches(self, ref: str) -> int:
        """In an entry of a Bundle, how many entries the reference finds by BaseValidator.getFromBundle's rules
        (bundle_resolution.full_url_matches); 0 outside an entry. InstanceValidator.resolve asks getFromBundle in a
        Bundle of any type: in a document or message too, where ``strict_entry`` gives resolveInBundle's answer."""
        for k in range(len(self.frames) - 1, 0, -1):
            if self.frames[k - 1].type != "Bundle":
                continue
            bundle = self.frames[k - 1].resource
            cached = self._entry_maps.get(id(bundle))
            if cached is None or cached[0] is not bundle:
                cached = self._entry_maps[id(bundle)] = (bundle, entry_maps(bundle))
            return full_url_matches(cached[1], ref, self.frames[k].full_url)
        return 0

    def place_of(self, target: Json) -> Place | None:
        """Where a resource a reference resolved to stands: contained in the nearest container, an entry of the
        innermost Bundle (where ``resolve`` and ``strict_entry`` find it), a parameter's, or fetched (alone). HL7's
        validator judges a target under the node stack and host context of where it was found
        (ResolvedReference.getStack, hostContext), so its own references resolve in its real container."""
        inner = next((k for k in range(len(self.frames) - 1, -1, -1) if not self.frames[k].contained), None)
        if inner is not None:
            frame = self.frames[inner]
            for i, c in enumerate(items(frame.resource.get("contained"))):
                if c is target:
                    return Place(inner + 1, f"{frame.loc}.contained[{i}]", True, None)
        bundle = next((k for k in range(len(self.frames) - 1, -1, -1) if self.frames[k].type == "Bundle"), None)
        if bundle is not None:
            frame = self.frames[bundle]
            for i, e in enumerate(items(frame.resource.get("entry"))):
                if isinstance(e, dict) and e.get("resource") is target:
                    full_url = e.get("fullUrl")
                    return Place(bundle + 1, f"{frame.loc}.entry[{i}].resource", False,
                                 full_url if isinstance(full_url, str) else None)
        for k in range(len(self.frames) - 1, -1, -1):
            if self.frames[k].type == "Parameters":
                found = in_parameters(self.frames[k].resource, f"{target.get('resourceType')}/{target.get('id')}",
                                      self.frames[k].loc)
                if found is not None and found[0] is target:
                    return Place(k + 1, found[1], False, None)
        if id(target) in self.external:
            return Place(0, self.external[id(target)], False, None)
        return None

    def target_conforms(self, target: Json, profile: str) -> bool | None:
        """Whether a resource a reference resolves to conforms to a target profile, judged once per validation
        where the target stands (``place_of``); None when it cannot be told (the profile not loaded, too many
        issues, the target not found where references resolve, or judging it already: a cycle, which HL7's
        ResourceValidationTracker takes as valid)."""
        key = (id(target), profile)
        if key not in self._targets:
            self._targets[key] = None
            place = self.place_of(target)
            found = self.trial(target, profile, "$", 1000, place=place) if place is not None else None
            if found is not None and not any(i.defect == "too-many-issues" for i in found):
                self._targets[key] = not any(i.is_error for i in found)
        return self._targets[key]

    def trial(self, value: Any, profile: str, loc: str, limit: int, *, errors_only: bool = False,
              place: Place | None = None) -> list[Issue] | None:
        raise NotImplementedError  # elements.Walker
