"""HL7 v2 messages as data: segments, fields, repetitions, components, subcomponents, and their locations.

Parsing never stops at the first problem: a conformance verdict has to list every defect, so parse
problems are collected as :class:`ParseIssue` and the rest of the message is still read. hl7apy parses
strictly against the standard's structures and raises on the first problem, which is why the model
here is our own; hl7apy remains the reference for structures and tables (see the validator).

Locations follow the usual notation: ``PID-8`` (field), ``PID-3[2]`` (second repetition),
``PID-3[2].4`` (its fourth component), ``PID-3.4.1`` (a subcomponent), ``OBX[3]-5`` (the fifth field
of the third OBX). Indexes are 1-based, as HL7 counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SEGMENT_NAME = re.compile(r"^[A-Z][A-Z0-9]{2}$")
DEFAULT_ENCODING = "^~\\&"


@dataclass(frozen=True)
class ParseIssue:
    severity: str  # error | warning
    code: str  # structure | value | invalid
    diagnostics: str
    location: str


@dataclass
class Encoding:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"


Component = list[str]  # subcomponents
Repetition = list[Component]
Field = list[Repetition]


@dataclass
class Segment:
    name: str
    occurrence: int  # 1 for the first segment of this name, 2 for the second...
    fields: list[Field] = field(default_factory=list)  # fields[0] is field 1
    raw: str = ""

    @property
    def label(self) -> str:
        return self.name if self.occurrence == 1 else f"{self.name}[{self.occurrence}]"

    def value(self, number: int, repetition: int = 1, component: int = 1, subcomponent: int = 1) -> str:
        """One atomic value, ``""`` where absent. ``value(3, 2, 4)`` is PID-3[2].4."""
        try:
            return self.fields[number - 1][repetition - 1][component - 1][subcomponent - 1]
        except IndexError:
            return ""

    def repetitions(self, number: int) -> list[Repetition]:
        return self.fields[number - 1] if 0 < number <= len(self.fields) else []


@dataclass
class Message:
    segments: list[Segment]
    encoding: Encoding
    issues: list[ParseIssue]

    def all(self, name: str) -> list[Segment]:
        return [s for s in self.segments if s.name == name]

    def first(self, name: str) -> Segment | None:
        found = self.all(name)
        return found[0] if found else None

    @property
    def type(self) -> tuple[str, str, str]:
        """MSH-9 as (message code, trigger event, structure): ``("ADT", "A01", "ADT_A01")``."""
        msh = self.first("MSH")
        if msh is None:
            return ("", "", "")
        return (msh.value(9, 1, 1), msh.value(9, 1, 2), msh.value(9, 1, 3))

    @property
    def version(self) -> str:
        msh = self.first("MSH")
        return msh.value(12) if msh else ""


def decode(data: bytes | str) -> str:
    """UTF-8 when it decodes, else ISO 8859-1 (what most v2 senders without MSH-18 use)."""
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def split_messages(data: bytes | str) -> list[str]:
    """The messages in a file: each MSH starts one; batch envelopes (FHS, BHS, BTS, FTS) are dropped.

    Each message keeps the segment separators it was written with, so that a message separated by line
    feeds is still reported as such; the line ending after a message's last segment is the file's, not
    the message's, and is dropped.
    """
    text = decode(data).lstrip("\ufeff")
    messages: list[list[str]] = []
    parts = re.split(r"(\r\n|\r|\n)", text)
    for line, end in zip(parts[::2], [*parts[1::2], ""], strict=True):
        if line[:3] in ("FHS", "BHS", "BTS", "FTS"):
            continue
        if line.startswith("MSH") or not messages:
            messages.append([line + end])
        else:
            messages[-1].append(line + end)
    out = [re.sub(r"[\r\n]+$", "", "".join(m)) for m in messages]
    return [m for m in out if m.strip()] or [text]


def parse(data: str | bytes) -> Message:
    """Parse what a peer sent; every problem found is in ``Message.issues``."""
    issues: list[ParseIssue] = []
    text = decode(data)
    if not text.strip():
        return Message([], Encoding(), [ParseIssue("error", "structure", "the message is empty", "")])
    if "\n" in text:
        # HL7 v2 (2.7.1) ends every segment with CR: LF or CRLF is a defect. The rest is read leniently.
        kind = "CR LF" if "\r\n" in text else "line feeds"
        issues.append(ParseIssue("error", "structure",
                                 f"segments are separated by {kind}; HL7 v2 separates them with CR (0x0D) alone "
                                 "(line feed)", ""))
        text = text.replace("\r\n", "\r").replace("\n", "\r")
    lines = [line for line in text.split("\r") if line != ""]
    encoding = _encoding(lines[0], issues)
    counts: dict[str, int] = {}
    segments: list[Segment] = []
    for index, line in enumerate(lines, start=1):
        name = line[:3]
        counts[name] = counts.get(name, 0) + 1
        segment = Segment(name=name, occurrence=counts[name], raw=line)
        if not SEGMENT_NAME.match(name):
            issues.append(ParseIssue("error", "structure", f"segment {index} has no valid name ({line[:12]!r})",
                                     f"segment {index}"))
            segments.append(segment)
            continue
        if line[3:4] not in ("", encoding.field):
            issues.append(ParseIssue("error", "structure",
                                     f"{segment.label}: the name is not followed by the field separator "
                                     f"{encoding.field!r}", segment.label))
        parts = line.split(encoding.field)
        if name == "MSH":
            # MSH-1 is the field separator itself and MSH-2 the encoding characters: not split further.
            values = [[[[encoding.field]]], [[[line[4:8].split(encoding.field)[0]]]]]
            values += [_field(p, encoding, f"{segment.label}-{n}", issues) for n, p in enumerate(parts[2:], 3)]
        else:
            values = [_field(p, encoding, f"{segment.label}-{n}", issues) for n, p in enumerate(parts[1:], 1)]
        segment.fields = values
        segments.append(segment)
    if not segments or segments[0].name != "MSH":
        issues.append(ParseIssue("error", "structure", "the message does not start with an MSH segment", "MSH"))
    return Message(segments, encoding, issues)


def _encoding(first: str, issues: list[ParseIssue]) -> Encoding:
    if not first.startswith("MSH"):
        return Encoding()
    if len(first) < 8:
        issues.append(ParseIssue("error", "structure",
                                 "MSH is too short to hold MSH-1 and MSH-2 (field separator and encoding "
                                 "characters)", "MSH-2"))
        return Encoding()
    sep = first[3]
    chars = first[4:].split(sep, 1)[0]
    if len(chars) < 4 or len(set(chars[:4] + sep)) != 5 or any(c.isalnum() for c in chars[:4] + sep):
        issues.append(ParseIssue("error", "invalid",
                                 f"MSH-1/MSH-2: encoding characters {sep + chars!r} are not five distinct "
                                 "non-alphanumeric characters", "MSH-2"))
        return Encoding()
    if chars[:4] != DEFAULT_ENCODING or sep != "|":
        issues.append(ParseIssue("warning", "value",
                                 f"MSH-1/MSH-2: non-standard encoding characters {sep + chars[:4]!r} "
                                 "(standard is '|^~\\\\&')", "MSH-2"))
    return Encoding(field=sep, component=chars[0], repetition=chars[1], escape=chars[2], subcomponent=chars[3])


def _field(raw: str, enc: Encoding, where: str, issues: list[ParseIssue]) -> Field:
    reps: Field = []
    for r, rep in enumerate(raw.split(enc.repetition), 1):
        here = where if r == 1 else f"{where}[{r}]"
        reps.append([
            [unescape(sub, enc, f"{here}.{c}" + (f".{s}" if s > 1 else ""), issues)
             for s, sub in enumerate(comp.split(enc.subcomponent), 1)]
            for c, comp in enumerate(rep.split(enc.component), 1)
        ])
    return reps


_ESCAPE = {"F": "field", "S": "component", "T": "subcomponent", "R": "repetition", "E": "escape"}


def unescape(value: str, enc: Encoding, where: str, issues: list[ParseIssue]) -> str:
    """Resolve \\F\\ \\S\\ \\T\\ \\R\\ \\E\\ and \\Xhh..\\; keep formatting escapes (\\.br\\, \\H\\...) as written."""
    if enc.escape not in value:
        return value
    out, i = [], 0
    while i < len(value):
        ch = value[i]
        if ch != enc.escape:
            out.append(ch)
            i += 1
            continue
        end = value.find(enc.escape, i + 1)
        if end < 0:
            issues.append(ParseIssue("error", "value", f"{where}: escape sequence not closed: {value[i:i + 12]!r}",
                                     where))
            out.append(value[i:])
            break
        code = value[i + 1:end]
        if code in _ESCAPE:
            out.append(getattr(enc, _ESCAPE[code]))
        elif code.startswith("X") and re.fullmatch(r"X(?:[0-9A-Fa-f]{2})+", code):
            out.append(bytes.fromhex(code[1:]).decode("latin-1"))
        elif code in ("H", "N") or code.startswith((".", "C", "M", "Z")):
            out.append(value[i:end + 1])  # formatting / charset escapes: not data, kept verbatim
        else:
            issues.append(ParseIssue("error", "value", f"{where}: unknown escape sequence {value[i:end + 1]!r}",
                                     where))
            out.append(value[i:end + 1])
        i = end + 1
    return "".join(out)


def escape(value: str, enc: Encoding) -> str:
    """The inverse of :func:`unescape` for data characters."""
    table = {enc.escape: "E", enc.field: "F", enc.component: "S", enc.subcomponent: "T", enc.repetition: "R"}
    return "".join(f"{enc.escape}{table[c]}{enc.escape}" if c in table else c for c in value)


def encode(message: Message) -> str:
    """Serialise the model again (segments joined by CR), escaping data characters."""
    enc = message.encoding
    lines = []
    for seg in message.segments:
        if seg.name == "MSH":
            head = f"MSH{enc.field}{enc.component}{enc.repetition}{enc.escape}{enc.subcomponent}"
            rest = seg.fields[2:]
            lines.append(head + "".join(enc.field + _encode_field(f, enc) for f in rest))
        else:
            lines.append(seg.name + "".join(enc.field + _encode_field(f, enc) for f in seg.fields))
    return "\r".join(lines)


def _encode_field(f: Field, enc: Encoding) -> str:
    return enc.repetition.join(
        enc.component.join(enc.subcomponent.join(escape(s, enc) for s in comp) for comp in rep) for rep in f
    )
