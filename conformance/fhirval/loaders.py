"""Read conformance resources from files: JSON (a resource, a Bundle, an array), XML, folders.

Every failure names the file and the reason (:class:`DefinitionLoadError`), never a traceback:
a profile that cannot be loaded is a usage problem the user must be able to fix.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance import safejson
from conformance.fhirval.source import Json

# What a DefinitionSource serves, plus what the issue asks loaders to carry (SearchParameter; Questionnaire and
# Measure, for the responses and reports that name one; OperationDefinition, for an operation's base chain; Library,
# for the compiled CQL a Measure's criteria name: measure_criteria.py).
CONFORMANCE_KINDS = frozenset({"StructureDefinition", "ValueSet", "CodeSystem", "SearchParameter", "Questionnaire",
                               "Measure", "OperationDefinition", "Library"})
# JSON files in packages that are package metadata, not resources.
NOT_RESOURCES = frozenset({"package.json", ".index.json", "package-lock.json", ".index.db"})


def not_a_definition_file(name: str) -> bool:
    """Package metadata, or the ``._name`` AppleDouble files macOS's tar adds beside each file (binary)."""
    return name in NOT_RESOURCES or name.startswith("._")


MAX_FILE_BYTES = 200_000_000


class DefinitionLoadError(Exception):
    """A definitions file or package that cannot be loaded: which one, and why."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def resources_from_json(data: bytes, origin: str) -> list[Json]:
    """The resources in one JSON document: a resource, a Bundle (its entries, recursively) or an array."""
    try:
        doc: Any = safejson.loads(data)
    except safejson.JsonLimitError as exc:
        raise DefinitionLoadError(origin, str(exc)) from None
    except UnicodeDecodeError as exc:
        raise DefinitionLoadError(origin, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise DefinitionLoadError(origin, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    return list(_flatten(doc, origin))


def _flatten(doc: Any, origin: str) -> Iterator[Json]:
    if isinstance(doc, list):
        for i, item in enumerate(doc):
            if not isinstance(item, dict) or not isinstance(item.get("resourceType"), str):
                raise DefinitionLoadError(origin, f"array item {i} is not a FHIR resource (no resourceType)")
            yield from _flatten(item, origin)
        return
    if not isinstance(doc, dict) or not isinstance(doc.get("resourceType"), str):
        raise DefinitionLoadError(
            origin, "JSON but not a FHIR resource, Bundle or array of resources (no resourceType)"
        )
    if doc["resourceType"] == "Bundle":
        for i, entry in enumerate(doc.get("entry") or []):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if resource is not None:
                if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
                    raise DefinitionLoadError(origin, f"Bundle.entry[{i}].resource is not a FHIR resource")
                yield from _flatten(resource, origin)
        return
    yield doc


def resources_from_xml(data: bytes, origin: str, kinds: frozenset[str] | None = None) -> list[Json]:
    """The resources in one XML document (a resource or a Bundle), converted to FHIR JSON.

    With ``kinds``, a document whose root is neither one of them nor a Bundle is skipped unconverted
    (a package folder's examples cost a parse, not a conversion). Definitions are read leniently on
    one point: a document without any namespace is read as FHIR's (some published XML omits
    ``xmlns``); instances are the validator's to judge strictly.
    """
    from lxml import etree

    from conformance.fhirval.base import base_source
    from conformance.fhirval.xml import FhirXmlError, element_to_json, parse_xml

    try:
        root = parse_xml(data)
        if kinds is not None and etree.QName(root).localname not in kinds | {"Bundle"}:
            return []
        doc = element_to_json(root, base_source(), allow_no_namespace=True)
    except FhirXmlError as exc:
        raise DefinitionLoadError(origin, str(exc)) from None
    return list(_flatten(doc, origin))


def resources_from_bytes(data: bytes, origin: str, kinds: frozenset[str] | None = None) -> list[Json]:
    """Sniff JSON or XML by the first non-blank character (file names lie; content does not)."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head == b"<":
        return resources_from_xml(data, origin, kinds)
    if head in (b"{", b"["):
        return resources_from_json(data, origin)
    if not head:
        raise DefinitionLoadError(origin, "empty file")
    raise DefinitionLoadError(origin, "neither JSON nor XML (first character is not '{', '[' or '<')")


def read_file(path: Path, kinds: frozenset[str] | None = None) -> list[Json]:
    """All resources in one file."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise DefinitionLoadError(path, f"file too large ({size:,} bytes)")
        data = path.read_bytes()
    except OSError as exc:
        raise DefinitionLoadError(path, exc.strerror or str(exc)) from None
    return resources_from_bytes(data, str(path), kinds)


def read_folder(folder: Path, *, recursive: bool = True) -> list[Json]:
    """Conformance resources in a folder's .json and .xml files, in sorted path order.

    Files that are JSON but not FHIR resources (package metadata, OpenAPI documents) are skipped;
    files that are not well-formed, or FHIR XML that cannot be read, fail with their name.
    """
    out: list[Json] = []
    pattern = "**/*" if recursive else "*"
    for path in sorted(folder.glob(pattern)):
        if not path.is_file() or not_a_definition_file(path.name) or path.suffix.lower() not in (".json", ".xml"):
            continue
        try:
            found = read_file(path, CONFORMANCE_KINDS)
        except DefinitionLoadError as exc:
            if "not a FHIR resource" in exc.reason or "no resourceType" in exc.reason:
                continue
            raise
        out.extend(r for r in found if r.get("resourceType") in CONFORMANCE_KINDS)
    return out
