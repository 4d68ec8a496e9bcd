"""The AI table: what each GS1 Application Identifier may hold, parsed from the GS1 Syntax Dictionary.

The dictionary (github.com/gs1/gs1-syntax-dictionary) is the same source GS1's own Syntax Engine and
the BWIPP and Zint encoders are built from, so reading it rather than hand-typing the General
Specifications keeps us in step with the reference. ``scripts/gen_gs1_table.py`` turns the shipped
release into ``data/ai-table.json``; ``load_dictionary(path)`` reads a newer release at run time.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

FLAG_PREDEFINED = "*"  # predefined length: no FNC1 separator needed after it
FLAG_DL_ATTRIBUTE = "?"  # permitted as a GS1 Digital Link data attribute (query string)

_COMPONENT = re.compile(r"^(\[)?([NXYZ])(\d+)?(?:\.\.(\d+))?(\])?$")
_AI_FIELD = re.compile(r"^(\d{2,4})(?:-(\d{2,4}))?$")


class DictionaryError(ValueError):
    """A Syntax Dictionary line we cannot read; names the line so a user can fix a newer file."""


@dataclass(frozen=True)
class Component:
    """One part of an AI's data field: character set, length bounds, and content linters."""

    cset: str  # N numeric, X CSET 82, Y CSET 39, Z CSET 64 (base64url)
    min: int
    max: int
    optional: bool
    linters: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"cset": self.cset, "min": self.min, "max": self.max, "optional": self.optional,
                "linters": list(self.linters)}


@dataclass(frozen=True)
class AiEntry:
    """Everything the validator needs about one AI (ranges are expanded to one entry per AI)."""

    ai: str
    title: str
    components: tuple[Component, ...]
    predefined: bool = False  # "*" flag
    dl_attribute: bool = False  # "?" flag
    req: tuple[tuple[tuple[str, ...], ...], ...] = ()  # each req=: alternatives, each an AND of patterns
    ex: tuple[str, ...] = ()  # patterns this AI must not appear with
    dlpkey: tuple[tuple[str, ...], ...] | None = None  # None: not a primary key; else qualifier sequences
    min_length: int = field(init=False)
    max_length: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "min_length", sum(c.min for c in self.components if not c.optional))
        object.__setattr__(self, "max_length", sum(c.max for c in self.components))

    @property
    def fixed_length(self) -> bool:
        return self.min_length == self.max_length

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"title": self.title, "predefined": self.predefined, "dl_attribute": self.dl_attribute,
                               "components": [c.to_json() for c in self.components]}
        if self.req:
            out["req"] = [[list(group) for group in alternatives] for alternatives in self.req]
        if self.ex:
            out["ex"] = list(self.ex)
        if self.dlpkey is not None:
            out["dlpkey"] = [list(seq) for seq in self.dlpkey]
        return out

    @classmethod
    def from_json(cls, ai: str, data: dict[str, Any]) -> AiEntry:
        return cls(
            ai=ai, title=data["title"], predefined=data["predefined"], dl_attribute=data["dl_attribute"],
            components=tuple(Component(c["cset"], c["min"], c["max"], c["optional"], tuple(c["linters"]))
                             for c in data["components"]),
            req=tuple(tuple(tuple(g) for g in alts) for alts in data.get("req", [])),
            ex=tuple(data.get("ex", [])),
            dlpkey=None if "dlpkey" not in data else tuple(tuple(s) for s in data["dlpkey"]),
        )


def _parse_component(token: str, lineno: int) -> Component:
    spec, *linters = token.split(",")
    m = _COMPONENT.match(spec)
    if not m or (m.group(1) is None) != (m.group(5) is None):
        raise DictionaryError(f"line {lineno}: cannot read component {token!r}")
    _, cset, fixed, upto, _ = m.groups()
    if fixed and upto:
        raise DictionaryError(f"line {lineno}: component {token!r} has both a fixed and a maximum length")
    if fixed:
        low = high = int(fixed)
    elif upto:
        low, high = 1, int(upto)
    else:
        raise DictionaryError(f"line {lineno}: component {token!r} has no length")
    return Component(cset, low, high, m.group(1) is not None, tuple(linters))


def _parse_line(line: str, lineno: int) -> list[AiEntry]:
    body, _, title = line.partition("#")
    tokens = body.split()
    m = _AI_FIELD.match(tokens[0])
    if not m:
        raise DictionaryError(f"line {lineno}: {tokens[0]!r} is not an AI or AI range")
    first, last = m.group(1), m.group(2) or m.group(1)
    if len(first) != len(last) or int(last) < int(first):
        raise DictionaryError(f"line {lineno}: bad AI range {tokens[0]!r}")
    rest = tokens[1:]
    flags = ""
    if rest and not re.match(r"^\[?[NXYZ]", rest[0]):
        flags, rest = rest[0], rest[1:]
    components: list[Component] = []
    req: list[tuple[tuple[str, ...], ...]] = []
    ex: list[str] = []
    dlpkey: tuple[tuple[str, ...], ...] | None = None
    for token in rest:
        if "=" in token or token == "dlpkey":
            key, _, value = token.partition("=")
            if key == "req":
                req.append(tuple(tuple(g.split("+")) for g in value.split(",")))
            elif key == "ex":
                ex.extend(value.split(","))
            elif key == "dlpkey":
                dlpkey = tuple(tuple(s.split(",")) if s else () for s in value.split("|")) if value else ((),)
            # other keys: unknown attributes of a newer release are ignored, as the format allows
        else:
            components.append(_parse_component(token, lineno))
    if not components:
        raise DictionaryError(f"line {lineno}: no data components")
    seen_optional = False
    for c in components:
        if seen_optional and not c.optional:
            raise DictionaryError(f"line {lineno}: mandatory component after an optional one")
        seen_optional |= c.optional
    width = len(first)
    return [AiEntry(ai=str(n).zfill(width), title=title.strip(), components=tuple(components),
                    predefined=FLAG_PREDEFINED in flags, dl_attribute=FLAG_DL_ATTRIBUTE in flags,
                    req=tuple(req), ex=tuple(ex), dlpkey=dlpkey)
            for n in range(int(first), int(last) + 1)]


def parse_dictionary(text: str) -> dict[str, AiEntry]:
    """Parse Syntax Dictionary text (any release in the documented format) into AI -> entry."""
    table: dict[str, AiEntry] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        for entry in _parse_line(line, lineno):
            if entry.ai in table:
                raise DictionaryError(f"line {lineno}: AI {entry.ai} defined twice")
            table[entry.ai] = entry
    if not table:
        raise DictionaryError("no AI entries found")
    return table


class AiTable:
    """AI lookup, including finding the AI at the start of unbracketed data (AIs are prefix-free)."""

    def __init__(self, entries: dict[str, AiEntry], source: str = "") -> None:
        self.entries = entries
        self.source = source

    def get(self, ai: str) -> AiEntry | None:
        return self.entries.get(ai)

    def match_prefix(self, data: str, pos: int) -> AiEntry | None:
        entries = self.entries
        for width in (2, 3, 4):
            entry = entries.get(data[pos:pos + width])
            if entry is not None:
                return entry
        return None

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "ais": {ai: e.to_json() for ai, e in sorted(self.entries.items())}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AiTable:
        return cls({ai: AiEntry.from_json(ai, e) for ai, e in data["ais"].items()}, data.get("source", ""))


def load_dictionary(path: str | Path) -> AiTable:
    """Read a GS1 Syntax Dictionary file a user gives (e.g. a newer release than the shipped table)."""
    text = Path(path).read_text(encoding="utf-8")
    release = re.search(r"^#\s*Release:\s*(\S+)", text, re.MULTILINE)
    return AiTable(parse_dictionary(text), f"gs1-syntax-dictionary {release.group(1) if release else Path(path).name}")


@cache
def default_table() -> AiTable:
    """The table generated from the shipped dictionary release (see scripts/gen_gs1_table.py)."""
    raw = resources.files("conformance.gs1").joinpath("data/ai-table.json").read_text(encoding="utf-8")
    return AiTable.from_json(json.loads(raw))
