"""HL7's cross-version path tables (``xver-paths-<version>.json``): read from its package, or computed from a core.

HL7's validator always loads ``hl7.fhir.xver-extensions#0.1.0`` (ValidationEngine.initContext; CommonPackages.ID_XVER)
and reads ``other/xver-paths-<version>.json`` from it (XVerExtensionManagerOld.status). Each row is an element path of
that version's types and resources with its types (a leaf) or children (a backbone), each prefixed ``!`` when R4 has
it at that path, and ``modifier`` for a modifier element. Given that package, its tables are used as they are (1.0,
1.4, 3.0, 4.0 and 5.0). Given only ``hl7.fhir.r5.core``, the 5.0 table is computed from the R5 definitions and our
base R4 the same way: the same 5,974 rows as HL7's 5.0 table, 5,367 of them identical; of the others, 606 differ
only in a ``!`` (HL7's marks follow R4B, 4.3, for the resources R4B added or redrew: Citation, Evidence,
Substance*...), and one names the ``Definition`` pattern where R5 lists its resources.
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.fhirval.loaders import DefinitionLoadError
from conformance.fhirval.source import FHIR_BASE, DefinitionSource, Json

XVER_PACKAGE = "hl7.fhir.xver-extensions"  # HL7's tables (CommonPackages.ID_XVER)
CORE_PACKAGES = {"hl7.fhir.r5.core": "5.0"}  # a core package -> the version its extensions are named by
TARGETED = ("Reference", "canonical", "CodeableReference")
_FHIR_TYPE = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
_OPEN = 40  # an open choice (Parameters.parameter.value[x]: every type) is written ``*``


@dataclass(frozen=True)
class PathEntry:
    """One row of a table: a leaf's types or a backbone's children (``!`` when R4 has it there), and modifier."""

    types: tuple[str, ...] = ()
    elements: tuple[str, ...] = ()
    modifier: bool = False


def entry_of(row: Any) -> PathEntry:
    """A row of HL7's JSON table."""
    if not isinstance(row, dict):
        return PathEntry()
    types, elements = row.get("types"), row.get("elements")
    return PathEntry(tuple(str(t) for t in types) if isinstance(types, list) else (),
                     tuple(str(e) for e in elements) if isinstance(elements, list) else (), row.get("modifier") is True)


def read_tables(origin: str) -> dict[str, dict[str, PathEntry]]:
    """version -> table, from HL7's xver-extensions package (a .tgz or a folder); its ``r2`` table is not a version.

    Raises DefinitionLoadError naming the package when it cannot be read (a damaged archive, a table that is not
    a JSON object): the CLI reports that as for any package, and the default loading leaves it out, warned once."""
    raw: dict[str, bytes] = {}
    path = Path(origin)
    try:
        if path.is_dir():
            for f in sorted((path / "package" / "other").glob("xver-paths-*.json")):
                raw[f.name] = f.read_bytes()
        elif path.is_file():
            with tarfile.open(path, "r:*") as archive:
                for m in archive.getmembers():
                    name = m.name.removeprefix("./")
                    if m.isfile() and name.startswith("package/other/xver-paths-") and name.endswith(".json"):
                        member = archive.extractfile(m)
                        if member is not None:
                            raw[name.rsplit("/", 1)[-1]] = member.read()
    except (OSError, tarfile.TarError) as exc:
        raise DefinitionLoadError(origin, f"its cross-version tables cannot be read: {exc}") from None
    tables: dict[str, dict[str, PathEntry]] = {}
    for name, content in raw.items():
        version = name.removeprefix("xver-paths-").removesuffix(".json")
        if len(version) == 3 and version[0].isdigit() and version[1] == "." and version[2].isdigit():
            try:
                rows = json.loads(content)
            except ValueError as exc:
                raise DefinitionLoadError(origin, f"{name} is not JSON: {exc}") from None
            if not isinstance(rows, dict):
                raise DefinitionLoadError(origin, f"{name} is not a JSON object of paths")
            tables[version] = {k: entry_of(v) for k, v in rows.items() if isinstance(v, dict)}
    return tables


def type_summary(type_: Json) -> str:
    """A type as HL7's table writes it: ``Reference(Patient,Group)``, ``canonical(ValueSet)``, ``SimpleQuantity``."""
    code = str(type_.get("code", ""))
    if code.startswith("http://hl7.org/fhirpath/System."):  # Resource.id and the like: the FHIR type they stand for
        code = next((str(x.get("valueUrl") or x.get("valueUri")) for x in type_.get("extension") or ()
                     if isinstance(x, dict) and x.get("url") == _FHIR_TYPE), code)
    if code == "Quantity" and any(str(p).endswith("/SimpleQuantity") for p in type_.get("profile") or ()):
        return "SimpleQuantity"
    targets = [_target(str(p)) for p in type_.get("targetProfile") or () if isinstance(p, str)]
    return f"{code}({','.join(targets)})" if targets and code in TARGETED else code


def _target(profile: str) -> str:
    name = profile.rsplit("/", 1)[-1]
    return "Any" if name == "Resource" else name


def _rows(elements: list[Json], root: str) -> dict[str, tuple[list[str], list[str], bool]]:
    """path -> (types, child names, modifier) for the elements of one definition below its root; a contentReference
    is the type ``@Path``."""
    rows: dict[str, tuple[list[str], list[str], bool]] = {}
    for e in elements:
        path = e.get("path")
        if not isinstance(path, str) or "." not in path or not path.startswith(root + "."):
            continue
        types = [type_summary(t) for t in e.get("type") or () if isinstance(t, dict)]
        if len(types) > _OPEN:
            types = ["*"]
        ref = e.get("contentReference")
        if isinstance(ref, str):
            types.append("@" + ref.partition("#")[2])
        rows[path] = (types, [], bool(e.get("isModifier")))
        parent, _, name = path.rpartition(".")
        if parent in rows:
            rows[parent][1].append(name)
    return rows


def paths_table(definitions: Iterable[Json], r4: DefinitionSource) -> dict[str, PathEntry]:
    """The table for another version's core definitions against R4, as HL7's: each element of each type and resource
    (its own elements, the differential), types or children, ``!`` on those R4 has at that path, modifier."""
    table: dict[str, PathEntry] = {}
    for sd in definitions:
        if sd.get("derivation") != "specialization" or sd.get("kind") not in ("complex-type", "resource"):
            continue
        name = str(sd.get("type"))
        r4sd = r4.structure(FHIR_BASE + name)
        old = _rows(r4sd.get("snapshot", {}).get("element", []), name) if r4sd else {}
        for path, (types, children, modifier) in _rows(sd.get("differential", {}).get("element", []), name).items():
            if name in ("Element", "BackboneElement", "BackboneType", "Extension", "Narrative"):
                continue  # not in HL7's table: the machinery every element has
            r4types, r4children, _ = old.get(path, ([], [], False))
            if children:
                table[path] = PathEntry(elements=tuple(_mark(c, r4children) for c in children), modifier=modifier)
            else:
                table[path] = PathEntry(types=tuple(_mark(t, r4types) for t in types), modifier=modifier)
    return table


def _mark(item: str, r4: list[str]) -> str:
    return "!" + item if item in r4 else item
