"""The one interface between definition loading and validation.

Definitions are kept in their FHIR JSON shape (plain dicts): that is the shape every published
package, the spec and the reference validator use, so a reader can compare ours with theirs.
A :class:`DefinitionSource` always hands out StructureDefinitions *with* a snapshot; loaders that read
differential-only profiles (UK Core) generate the snapshot before handing it out.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from conformance.fhirval import semver

Json = dict[str, Any]


_ATOMS = (str, int, float, bool, type(None))


def deep_copy(value: Any) -> Any:
    """``copy.deepcopy`` of a JSON value at a fraction of its cost (snapshot generation copies a base snapshot of
    hundreds of elements for each profile it builds: ~60,000 deepcopy calls a pass of the throughput bench with
    ``--cases``). The same copy: a dict or list met twice is copied once and shared, as deepcopy's memo shares
    it; anything but exactly a dict, list, str, int, float, bool or None is handed to deepcopy with that memo."""
    return _deep_copy(value, {})


def _deep_copy(value: Any, memo: dict[int, Any]) -> Any:
    kind = type(value)
    if kind in _ATOMS:
        return value
    done = memo.get(id(value))
    if done is not None:
        return done
    if kind is dict:
        if not all(type(k) is str for k in value):  # deepcopy copies keys too: only a str key is surely itself
            return copy.deepcopy(value, memo)
        out: Any = {}
        memo[id(value)] = out
        for k, v in value.items():
            out[k] = v if type(v) in _ATOMS else _deep_copy(v, memo)
        return out
    if kind is list:
        out = []
        memo[id(value)] = out
        out.extend(v if type(v) in _ATOMS else _deep_copy(v, memo) for v in value)
        return out
    return copy.deepcopy(value, memo)


def as_loaded(source: DefinitionSource) -> Callable[[str], Json | None]:
    """The source's lookup of a StructureDefinition as loaded, its snapshot not generated (LayeredSource.raw_structure)
    where it keeps one, else its ``structure``: what HL7's fetchResource finds, and never a generation that recurses."""
    raw: Callable[[str], Json | None] | None = getattr(source, "raw_structure", None)
    return raw if raw is not None else source.structure


def definition_elements(sd: Json, part: str = "snapshot") -> list[Json]:
    """A StructureDefinition's elements of ``part`` ("snapshot" or "differential": the objects of its ``element``);
    nothing for any other shape."""
    holder = sd.get(part)
    return objects(holder.get("element")) if isinstance(holder, dict) else []


def element_places(sd: Json, loc: str) -> Iterator[tuple[str, Json]]:
    """Every element of a StructureDefinition's differential, then its snapshot, with its location under ``loc``
    (``{loc}.differential.element[i]``): the rules that judge each element wherever a structure states it."""
    for part in ("differential", "snapshot"):
        for i, ed in enumerate(definition_elements(sd, part)):
            yield f"{loc}.{part}.element[{i}]", ed


def items(value: Any) -> list[Any]:
    """A JSON array's items; nothing for any other shape (hostile input never reaches a loop as a string or dict)."""
    return value if isinstance(value, list) else []


def objects(value: Any) -> list[Json]:
    """The objects of a JSON array, skipping other items; nothing for any other shape."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def value_of(holder: Json) -> Any:
    """The ``value[x]`` of an extension, parameter or option object (its first ``value...`` property), else None."""
    return next((v for k, v in holder.items() if k.startswith("value")), None)

FHIR_BASE = "http://hl7.org/fhir/StructureDefinition/"


class DefinitionSource(Protocol):
    """Resolves canonical URLs (optionally ``url|version``) to conformance resources."""

    def structure(self, key: str) -> Json | None:
        """A StructureDefinition with ``snapshot.element``, by canonical URL or by base type name
        (``"Patient"``, ``"HumanName"``, ``"string"`` mean ``FHIR_BASE + name``)."""
        ...

    def value_set(self, url: str) -> Json | None: ...

    def code_system(self, url: str) -> Json | None: ...


def search_parameter(source: DefinitionSource, url: str) -> Json | None:
    """A SearchParameter by canonical URL, from a source that holds them (an optional part of the protocol:
    sources made before SearchParameters were served have no such method)."""
    get = getattr(source, "search_parameter", None)
    found: Json | None = get(url) if callable(get) else None
    return found


def canonical_resource(source: DefinitionSource, kind: str, url: str) -> Json | None:
    """A Questionnaire, Measure or OperationDefinition (``kind``) by canonical URL, from a source that holds them
    (an optional part of the protocol, like search_parameter: loaded packages and files hold them, the base
    definitions do not)."""
    get = getattr(source, "canonical", None)
    found: Json | None = get(kind, url) if callable(get) else None
    return found


def split_canonical(key: str) -> tuple[str, str | None]:
    """``"http://x/SD/p|1.0"`` -> (``"http://x/SD/p"``, ``"1.0"``)."""
    url, _, version = key.partition("|")
    return url, version or None


def contained_key(container_url: str, inner_id: str) -> str:
    """The key a profile's contained ValueSet is held by: HL7 resolves a binding's ``#id`` among the profile's own
    contained resources (BaseValidator.resolveBindingReference), whatever their url, so the key is the profile's."""
    return f"{container_url}#{inner_id}"


def version_matches(wanted: str, have: Any) -> bool:
    """Whether a resource of version ``have`` answers a canonical asking for ``wanted``, as HL7's
    CanonicalResourceManager.get(url, version): the same version, or the same major.minor
    (VersionUtilities.getMajMin); a resource of another version is not found."""
    if have == wanted:
        return True
    mine, theirs = _MAJOR_MINOR.match(wanted), _MAJOR_MINOR.match(have) if isinstance(have, str) else None
    return mine is not None and theirs is not None and mine[0] == theirs[0]


_MAJOR_MINOR = re.compile(r"\d+\.\d+")


def version_resolves(held: str, version: str) -> bool:
    """A CodeSystem held at ``held`` is what HL7's context finds for a coding's ``system|version``
    (CanonicalResourceManager.getByPackage: the same version, its major.minor.patch or major.minor, a semver
    wildcard match): ``1.0`` finds ``1.0.2``, ``1`` does not (semver.resolve)."""
    return semver.resolve((held,), version) is not None


class MemorySource:
    """Definitions held in memory, indexed by canonical URL; the simplest DefinitionSource.

    Later additions win, so a profile package can override a base definition deliberately.
    """

    def __init__(self, resources: Iterable[Json] = ()) -> None:
        self._by_kind: dict[str, dict[str, Json]] = {"StructureDefinition": {}, "ValueSet": {}, "CodeSystem": {},
                                                     "SearchParameter": {}, "Questionnaire": {}, "Measure": {},
                                                     "OperationDefinition": {}, "Library": {}}
        for resource in resources:
            self.add(resource)

    def add(self, resource: Json) -> None:
        kind = resource.get("resourceType")
        url = resource.get("url")
        if kind in self._by_kind and isinstance(url, str):
            self._by_kind[kind][url] = resource
            version = resource.get("version")
            if isinstance(version, str):
                self._by_kind[kind][f"{url}|{version}"] = resource
        if kind == "StructureDefinition":
            # a profile's contained profiles, which its targetProfile names as ``#id`` (index.py): HL7's checkReference
            # resolves them in the profile (InstanceValidator.resolveProfile); held by their url, never over another
            for inner in objects(resource.get("contained")):
                inner_url = inner.get("url")
                if inner.get("resourceType") == kind and isinstance(inner_url, str):
                    self._by_kind[kind].setdefault(inner_url, inner)
                elif inner.get("resourceType") == "ValueSet" and isinstance(url, str) and isinstance(inner.get("id"),
                                                                                                    str):
                    self._by_kind["ValueSet"][contained_key(url, inner["id"])] = inner

    def _get(self, kind: str, key: str) -> Json | None:
        table = self._by_kind[kind]
        return table.get(key) or table.get(split_canonical(key)[0])

    def structure(self, key: str) -> Json | None:
        if "/" not in key and ":" not in key:  # a type name (a urn:oid: canonical has no slash)
            key = FHIR_BASE + key
        return self._get("StructureDefinition", key)

    def value_set(self, url: str) -> Json | None:
        return self._get("ValueSet", url)

    def code_system(self, url: str) -> Json | None:
        return self._get("CodeSystem", url)

    def search_parameter(self, url: str) -> Json | None:
        return self._get("SearchParameter", url)

    def canonical(self, kind: str, url: str) -> Json | None:
        """As HL7's CanonicalResourceManager.get(url, version): a version given matches that version or its
        major.minor, never an unversioned fallback (QuestionnaireValidator then finds no Questionnaire and judges
        no items, QUESTIONNAIRE_QR_Q_NOTFOUND)."""
        if kind not in self._by_kind:
            return None
        table = self._by_kind[kind]
        base, version = split_canonical(url)
        if version is None or url in table:
            return table.get(url)
        same = [r for k, r in table.items() if k.startswith(f"{base}|") and version_matches(version, r.get("version"))]
        return same[-1] if same else None

    def urls(self, kind: str = "StructureDefinition") -> Iterator[str]:
        return (url for url in self._by_kind[kind] if "|" not in url)


def bundle_resources(path: Path) -> Iterator[Json]:
    """Resources of a FHIR Bundle JSON file (the shape of the spec's definitions downloads)."""
    bundle = json.loads(path.read_text(encoding="utf-8"))
    for entry in bundle.get("entry", []):
        resource = entry.get("resource")
        if isinstance(resource, dict):
            yield resource
