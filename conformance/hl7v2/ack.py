"""HL7 v2 acknowledgements: build one for a message, and read one into the facts a verdict needs.

The rules (HL7 v2.5.1 chapter 2, 2.9 and 2.14): the ACK's MSH-3/4 are the original MSH-5/6 and
its MSH-5/6 the original MSH-3/4; MSA-2 repeats the original MSH-10; original mode (MSH-15/16
empty) answers AA / AE / AR, enhanced mode (MSH-15 set) answers the commit codes CA / CE / CR; an
error or reject carries ERR segments (ERR-3, HL7 table 0357, from v2.5; ERR-1 before it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from conformance.hl7v2.message import Message, Segment, parse

ORIGINAL_CODES = ("AA", "AE", "AR")
ENHANCED_CODES = ("CA", "CE", "CR")
# HL7 table 0357 (message error condition codes) entries the harness and sandbox use.
ERROR_CODES = {
    "100": "Segment sequence error", "101": "Required field missing", "102": "Data type error",
    "103": "Table value not found", "200": "Unsupported message type", "201": "Unsupported event code",
    "203": "Unsupported version id", "205": "Duplicate key identifier", "207": "Application internal error",
}


class AckError(ValueError):
    """A reply that is not an acknowledgement at all (no MSH, or no MSA)."""


@dataclass(frozen=True)
class ErrSegment:
    """One ERR segment as read."""

    code: str
    text: str
    location: str


@dataclass
class Ack:
    """What a received ACK says, field by field, with the parsed message kept for evidence."""

    code: str  # MSA-1
    acknowledged: str  # MSA-2, the control id it refers to
    text: str  # MSA-3
    sending: tuple[str, str]  # MSH-3.1, MSH-4.1
    receiving: tuple[str, str]  # MSH-5.1, MSH-6.1
    message_code: str  # MSH-9.1
    control_id: str  # MSH-10
    processing_id: str  # MSH-11.1
    version: str  # MSH-12.1
    errors: list[ErrSegment] = field(default_factory=list)
    message: Message | None = None

    @property
    def accepted(self) -> bool:
        return self.code in ("AA", "CA")


def read_ack(data: bytes | str) -> Ack:
    """Parse a reply; :class:`AckError` when it has no MSH or no MSA (it is not an ACK)."""
    message = parse(data)
    msh, msa = message.first("MSH"), message.first("MSA")
    if msh is None:
        raise AckError("the reply has no MSH segment: it is not an HL7 v2 message")
    if msa is None:
        raise AckError(f"the reply ({msh.value(9)}^{msh.value(9, 1, 2)}) has no MSA segment: it is not an ACK")
    return Ack(
        code=msa.value(1), acknowledged=msa.value(2), text=msa.value(3),
        sending=(msh.value(3), msh.value(4)), receiving=(msh.value(5), msh.value(6)),
        message_code=msh.value(9), control_id=msh.value(10), processing_id=msh.value(11),
        version=msh.value(12), errors=[e for s in message.all("ERR") for e in _errs(s)], message=message,
    )


def _errs(seg: Segment) -> list[ErrSegment]:
    """v2.5+: ERR-3 (HL7 error code, CWE) at ERR-2 (location); v2.3/2.4: each repetition of ERR-1 (ELD)."""
    if seg.value(3):
        where = seg.value(2, 1, 1), seg.value(2, 1, 3)
        return [ErrSegment(seg.value(3), seg.value(3, 1, 2) or seg.value(8), _location(*where))]
    return [ErrSegment(seg.value(1, r, 4), seg.value(1, r, 4, 2), _location(seg.value(1, r, 1), seg.value(1, r, 3)))
            for r in range(1, len(seg.repetitions(1)) + 1)]


def _location(name: str, position: str) -> str:
    """ERL / ELD segment^sequence^field as ``PID-3``."""
    return f"{name}-{position}" if name and position else name


@dataclass(frozen=True)
class Problem:
    """Why a receiver rejects or errors a message: an HL7 table 0357 code, text, and where."""

    code: str
    text: str
    segment: str = ""
    field: int = 0


# Validator defect codes -> HL7 table 0357 (message error condition codes); anything else is 207.
DEFECT_CODES = {"missing-segment": "100", "segment-order": "100", "unexpected-segment": "100",
                "segment-cardinality": "100", "required": "101", "datatype": "102", "code": "103"}


def problem_for(defect: str, text: str, where: str) -> Problem:
    """A validator issue (defect code, diagnostics, location such as ``PID-3[2].4``) as an ERR problem."""
    segment, _, rest = where.partition("-")
    number = rest.split("[")[0].split(".")[0]
    return Problem(DEFECT_CODES.get(defect, "207"), text, segment.split("[")[0],
                   int(number) if number.isdigit() else 0)


def commit_wanted(message: Message, ok: bool) -> bool:
    """Whether an enhanced-mode message asks for a commit ACK (MSH-15: AL always, NE never, ER only on
    an error, SU only on success; an unknown value is read as AL)."""
    msh = message.first("MSH")
    wanted = msh.value(15) if msh else ""
    return {"NE": False, "ER": not ok, "SU": ok}.get(wanted, True)


def enhanced(message: Message) -> bool:
    """Enhanced acknowledgement mode is asked for when MSH-15 (accept ack type) is valued."""
    msh = message.first("MSH")
    return bool(msh and msh.value(15))


def build_ack(message: Message, code: str, control_id: str, problems: Sequence[Problem] = (),
              text: str = "", now: datetime | None = None) -> str:
    """The ACK to ``message`` (ER7, segments joined by CR), routed back to its sender."""
    msh = message.first("MSH") or Segment("MSH", 1)
    raw = msh.raw.split("|") if msh.raw else []

    def field_text(number: int) -> str:  # MSH-n as sent (MSH-1 is the separator itself: raw[number - 1])
        return raw[number - 1] if 0 < number - 1 < len(raw) else ""

    when = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S+0000")
    version = msh.value(12) or "2.5.1"
    trigger = msh.value(9, 1, 2)
    segments = [
        "|".join(["MSH", "^~\\&", field_text(5), field_text(6), field_text(3), field_text(4), when, "",
                  f"ACK^{trigger}^ACK" if trigger else "ACK", control_id, field_text(11) or "P", version]),
        "|".join(["MSA", code, msh.value(10), text]),
    ]
    if problems and version.startswith(("2.3", "2.4")):
        # Before v2.5 the ACK structure allows one ERR; ERR-1 (ELD) repeats, one repetition a problem:
        # segment^sequence^field^code&text&table.
        segments.append("ERR|" + "~".join(
            f"{p.segment}^1^{p.field}^{p.code}&{ERROR_CODES.get(p.code, p.text)}&HL70357" if p.segment
            else f"^^^{p.code}&{ERROR_CODES.get(p.code, p.text)}&HL70357" for p in problems))
        problems = ()
    for problem in problems:
        where = f"{problem.segment}^1^{problem.field}" if problem.segment else ""
        name = ERROR_CODES.get(problem.code, problem.text)
        cwe = f"{problem.code}^{name}^HL70357"
        segments.append("|".join(["ERR", "", where, cwe, "E", "", "", "", problem.text]))
    return "\r".join(segments)
