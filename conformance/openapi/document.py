"""OpenAPI documents: fetched within bounds (as evidence), parsed as JSON or YAML, validated.

A hostile document must end in a verdict, not a hang or a traceback: the body is cut at a size limit
by the HTTP transport, YAML aliases are counted (an alias bomb expands lazily but explodes whoever
walks it), external ``$ref`` targets are never fetched, and validation runs under a time bound in a
daemon thread, with reference loops (RecursionError) reported as what they are.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from conformance import safejson
from conformance.evidence.capture import record
from conformance.model import Evidence

T = TypeVar("T")
MAX_ALIASES = 1000
VALIDATE_SECONDS = 10.0


class DocumentError(Exception):
    """The document cannot be used: unreadable, not JSON/YAML, not an OpenAPI 3 object. Says why."""


class DocumentBeyondLimit(DocumentError):
    """The document is JSON or YAML the harness declines to read (safejson's depth and integer limits):
    what it says was not judged, so a check ends in ``error``, not ``fail``."""


class _Loader(yaml.SafeLoader):  # type: ignore[misc]
    """SafeLoader that refuses documents with more aliases than any real API description uses."""

    aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_ALIASES} YAML aliases (an alias bomb?)")
        return super().compose_node(parent, index)


def _within_depth(data: Any, where: str) -> None:
    """YAML has no depth bound of its own short of the recursion limit: apply safejson's."""
    deepest = safejson.depth(data)
    if deepest > safejson.MAX_DEPTH:
        raise DocumentBeyondLimit(f"{where} was not read: the YAML is nested {deepest:,} levels deep; "
                                  f"the limit is {safejson.MAX_DEPTH}")


def parse(content: bytes, where: str) -> dict[str, Any]:
    """JSON or YAML -> the document object; DocumentError says what is wrong with it."""
    text = content.decode("utf-8", errors="replace").lstrip("\ufeff")
    try:
        data: Any = safejson.loads(text)
    except safejson.JsonLimitError as exc:
        raise DocumentBeyondLimit(f"{where} was not read: {exc}") from None
    except ValueError:
        try:
            data = yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader
        except yaml.YAMLError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise DocumentError(f"{where} is neither JSON nor YAML: {first}") from None
        except RecursionError:
            raise DocumentBeyondLimit(f"{where} was not read: the YAML nests too deeply") from None
        except ValueError as exc:  # an integer past Python's digit limit, as YAML builds it
            raise DocumentBeyondLimit(f"{where} was not read: {str(exc).splitlines()[0]}") from None
        _within_depth(data, where)
    if not isinstance(data, dict):
        raise DocumentError(f"{where} is not an object (it is {type(data).__name__})")
    version = data.get("openapi")
    if str(data.get("swagger")) == "2.0":  # the OpenAPI 2.0 (Swagger) documents many live APIs still publish
        return data
    if not isinstance(version, str) or not version.startswith("3."):
        found = f"swagger {data['swagger']}" if "swagger" in data else f"openapi {version!r}"
        raise DocumentError(f"{where} is not an OpenAPI 3.x (or Swagger 2.0) document ({found})")
    return data


def read_file(path: str, limit: int) -> bytes:
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > limit:
            raise DocumentError(f"{path} is {size:,} bytes, more than the {limit:,}-byte limit")
        content = p.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path} cannot be read: {exc.strerror}") from None
    record(Evidence(kind="document", summary=f"read {path} ({len(content):,} bytes)",
                    data={"path": path, "body": content[:4000].decode("utf-8", "replace"), "body_size": len(content)}))
    return content


def bounded(fn: Callable[[], T], seconds: float, what: str) -> T:
    """Run ``fn`` in a daemon thread; DocumentError if it takes longer than ``seconds`` or loops."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except RecursionError:
            box["error"] = DocumentError(f"{what}: its $ref references loop without end")
        except Exception as exc:  # noqa: BLE001 - reported as the document's defect, never a traceback
            box["error"] = DocumentError(f"{what}: {type(exc).__name__}: {str(exc)[:300]}")

    thread = threading.Thread(target=run, name="openapi-bounded", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise DocumentError(f"{what} took longer than {seconds:g} s (abandoned)")
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def external_refs(doc: Any, limit: int = 5) -> list[str]:
    """``$ref`` values that point outside the document (never fetched by the harness)."""
    found: list[str] = []
    for ref in _refs(doc, 0):
        if not ref.startswith("#") and ref not in found:
            found.append(ref)
            if len(found) >= limit:
                break
    return found


def _refs(node: Any, depth: int) -> Iterator[str]:
    if depth > 200:
        return
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from _refs(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value, depth + 1)


@dataclass
class Problem:
    where: str  # a JSON path into the document
    message: str


def validate(doc: dict[str, Any], seconds: float = VALIDATE_SECONDS) -> list[Problem]:
    """openapi-spec-validator's findings (2.0, 3.0 or 3.1 by the document's own version), at most 20."""
    from openapi_spec_validator import OpenAPIV2SpecValidator, OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    refs = external_refs(doc)
    if refs:
        return [Problem("$ref", f"refers to documents outside itself, which the harness does not fetch: "
                                f"{', '.join(refs)}")]
    cls: Any = OpenAPIV31SpecValidator if str(doc.get("openapi", "")).startswith("3.1") else OpenAPIV30SpecValidator
    if str(doc.get("swagger")) == "2.0":
        cls = OpenAPIV2SpecValidator

    def run() -> list[Problem]:
        out: list[Problem] = []
        for error in cls(doc).iter_errors():
            path = "/".join(str(p) for p in getattr(error, "absolute_path", [])) or "(document)"
            message = getattr(error, "message", str(error)).splitlines()[0][:300]
            out.append(Problem(path, message))
            if len(out) >= 20:
                break
        return out

    return bounded(run, seconds, "validating the document")


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(METHOD, path, operation object) for every operation the document declares."""
    methods = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
    paths = doc.get("paths")
    for path, item in (paths.items() if isinstance(paths, dict) else ()):
        if isinstance(item, dict):
            for method in methods:
                op = item.get(method)
                if isinstance(op, dict):
                    yield method.upper(), str(path), op
