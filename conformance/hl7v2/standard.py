"""The HL7 v2 standard's definitions (segments, fields, datatypes, message structures, tables), from hl7apy.

hl7apy ships the standard's structures as Python tables for each version; this module converts them
once per version into the compact shapes the validator walks, so that validation costs dictionary
lookups and the rest of the package does not depend on hl7apy's internals. What hl7apy lacks is added
here: the trigger-event-to-structure map (HL7 table 0354). Code tables come from ``data/tables.json``
(scripts/gen_hl7v2_tables.py), not from hl7apy, whose v2.3 has none.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from typing import Any

from conformance.hl7v2.tables import version_key

# Every version hl7apy carries from 2.3 on (2.6 to 2.8 are common in the field).
VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.8", "2.8.1", "2.8.2")

# Table 0354: the message structures of each trigger event, each with the versions it held
# (scripts/gen_hl7v2_tables.py): {"ADT^A28": [["ADT_A05", "2.4", null], ["ADT_A28", "2.3.1", "2.3.1"]]}.
_EVENT_STRUCTURE: dict[str, list[tuple[str, str, str | None]]] = json.loads(
    resources.files("conformance.hl7v2").joinpath("data/event-structures.json").read_text())


def expected_structures(code: str, trigger: str, version: str) -> list[str]:
    """The structures table 0354 assigns to ``code^trigger`` in ``version`` ([] when it does not say)."""
    v = version_key(version)
    return [name for name, lo, hi in _EVENT_STRUCTURE.get(f"{code}^{trigger}", ())
            if version_key(lo) <= v and (hi is None or v <= version_key(hi))]


@dataclass(frozen=True)
class Leaf:
    """A field or component: its datatype, cardinality, table, and components when composite."""

    name: str
    datatype: str
    min: int
    max: int  # -1: unbounded
    table: str | None
    components: tuple[Leaf, ...] = ()


@dataclass(frozen=True)
class Node:
    """A segment or group in a message structure; ``children`` is empty for a segment."""

    name: str
    min: int
    max: int
    children: tuple[Node, ...] = ()
    choice: bool = False  # exactly one of the children (hl7apy's "choice" groups, e.g. ORM_O01_CHOICE)

    @property
    def is_group(self) -> bool:
        return bool(self.children)

    @cached_property
    def first(self) -> frozenset[str]:
        """Segment ids that can begin this node: what tells the matcher to enter a group."""
        if not self.is_group:
            return frozenset({self.name})
        out: set[str] = set()
        for child in self.children:
            out |= child.first
            if child.min > 0 and not self.choice:
                break
        return frozenset(out)


@dataclass(frozen=True)
class Standard:
    version: str
    segments: dict[str, tuple[Leaf, ...]]
    structures: dict[str, Node]
    datatypes: dict[str, tuple[Leaf, ...]]  # composite datatype -> its components (what OBX-2 may name)

    def structure_for(self, code: str, trigger: str, declared: str) -> tuple[str, Node] | None:
        """The message structure for MSH-9: MSH-9.3 when given and known, else table 0354, else CODE_EVENT."""
        for name in (declared, *expected_structures(code, trigger, self.version), f"{code}_{trigger}", code):
            if name and name in self.structures:
                return name, self.structures[name]
        if code == "ADT" and self.version.startswith("2.3") and "ADT_A01" in self.structures:
            # v2.3 defines A04/A08/A28/A31 with the A01 segments; hl7apy keeps only ADT_A01.
            if trigger in ("A04", "A05", "A08", "A13", "A14", "A28", "A31"):
                return "ADT_A01", self.structures["ADT_A01"]
        return None


def normalise_version(version: str) -> str | None:
    return version if version in VERSIONS else None


# hl7apy's v2.3 is stricter than HL7's database in 32 fields, which repeat there (as in v2.3.1 and in the
# v2.3 structures HAPI and nHapi generate from that database): held to HL7, not to the stricter copy.
_REPEATING = {"2.3": {("PD1", 1), ("PID", 4), ("PID", 5), ("PID", 21), ("PID", 26), ("PV1", 7), ("PV1", 8),
                      ("PV1", 15), ("PV1", 17), ("NK1", 17), ("NK1", 18), ("NK1", 19), ("NK1", 29),
                      *(("IN1", n) for n in (3, 4, 5, 6, 9, 10, 11, 16, 19, 44, 49)),
                      *(("IN2", n) for n in (1, 3, 5, 7, 9, 22, 25, 26))},
              # v2.4: OBX-8 abnormal flags, OBX-10 nature of abnormal test, OBX-16 responsible observer
              # repeat in HL7's database (and in v2.3.1/v2.5 as hl7apy has them); hl7apy's v2.4 makes them single.
              "2.4": {("OBX", 8), ("OBX", 10), ("OBX", 16)}}
# hl7apy's v2.3.1 and v2.7 require OBX-2 value type and OBX-4 sub-id; HL7 makes them conditional (optional in its
# database, as in v2.3 and v2.4): an OBX without a value needs no value type, and most OBX have no sub-id.
_OPTIONAL = {"2.3.1": {("OBX", 2), ("OBX", 4)}, "2.7": {("OBX", 2), ("OBX", 4)}}  # v2.7: as v2.6 and v2.8
# ... and types three fields otherwise than HL7's v2.3 database: MRG-7 prior patient name is XPN there
# (hl7apy: CX), EVN-5 operator XCN (CN), IN2-24 IS (ST).
_RETYPED = {"2.3": {("MRG", 7): "XPN", ("EVN", 5): "XCN", ("IN2", 24): "IS"}}


@cache
def load(version: str) -> Standard:
    """The standard for one version; raises KeyError for a version this package does not cover."""
    if version not in VERSIONS:
        raise KeyError(version)
    module = importlib.import_module("hl7apy.v" + version.replace(".", "_"))
    fields: dict[str, Any] = module.FIELDS
    segments: dict[str, tuple[Leaf, ...]] = {}
    repeating = _REPEATING.get(version, set())
    retyped = _RETYPED.get(version, {})
    typed = {ref[2]: ref for ref in fields.values() if ref and len(ref) > 2}  # a field definition per datatype
    for seg_id, body in module.SEGMENTS.items():
        children = body[1] if len(body) > 1 else ()
        if not children or any(child[1] is None and child[0] not in fields for child in children):
            continue  # hl7apy's placeholder pseudo-segments (ANYHL7SEGMENT)
        by_number: dict[int, Leaf] = {}
        for name, ref, (lo, hi), _kind in children:
            n = int(name.rsplit("_", 1)[1])
            definition = fields.get(name, ref)
            if (seg_id, n) in retyped:  # HL7's datatype, its components as another field of it has them
                other = typed[retyped[seg_id, n]]
                definition = (other[0], other[1], other[2], definition[3], None, *definition[5:])
            lo = 0 if (seg_id, n) in _OPTIONAL.get(version, set()) else lo
            by_number[n] = _leaf(name, definition, lo, -1 if (seg_id, n) in repeating else hi)
        # From v2.8 hl7apy leaves withdrawn fields out (EVN-1): fields are placed by number, gaps withdrawn.
        segments[seg_id] = tuple(by_number.get(n) or Leaf(f"{seg_id}_{n}", "WD", 0, 0, None)
                                 for n in range(1, max(by_number) + 1))
    groups: dict[str, Any] = module.GROUPS
    structures = {name: Node(name, 1, 1, _children(body[1], groups)) for name, body in module.MESSAGES.items()}
    datatypes: dict[str, tuple[Leaf, ...]] = {}
    for fields_of in segments.values():
        _datatypes(fields_of, datatypes)
    return Standard(version, segments, structures, datatypes)


def _datatypes(leaves: tuple[Leaf, ...], out: dict[str, tuple[Leaf, ...]]) -> None:
    for leaf in leaves:
        if leaf.components and leaf.datatype not in out:
            out[leaf.datatype] = leaf.components
            _datatypes(leaf.components, out)


def _leaf(name: str, ref: Any, lo: int, hi: int) -> Leaf:
    kind, sub, datatype = ref[0], ref[1], ref[2]
    table = ref[4] if len(ref) > 4 else None
    components: tuple[Leaf, ...] = ()
    if kind == "sequence" and sub:
        placed = {int(cname.rsplit("_", 1)[1]): _leaf(cname, cref, clo, chi) for cname, cref, (clo, chi), _ in sub}
        components = tuple(placed.get(n) or Leaf(f"{datatype}_{n}", "WD", 0, 0, None)
                           for n in range(1, max(placed) + 1))
    return Leaf(name, datatype, lo, hi, table, components)


def _children(children: Any, groups: dict[str, Any]) -> tuple[Node, ...]:
    out = []
    for name, ref, (lo, hi), kind in children:
        if kind == "GRP":
            body = ref if ref is not None else groups[name]
            out.append(Node(name, lo, hi, _children(body[1], groups), body[0] == "choice"))
        else:
            out.append(Node(name, lo, hi))
    return tuple(out)
