"""Messages to send: the shipped synthetic fixtures, readdressed with fresh control ids and times.

Used by the hl7v2-receiver suite (what we send a target) and the sandbox's sender (what it sends the
harness). The fixtures are synthetic (NHS numbers from the 999 test range, invented names).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from conformance.hl7v2.message import parse

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "hl7v2" / "valid"


@cache
def fixture_messages() -> dict[str, str]:
    """Message type (``ADT^A01``) -> one valid synthetic message of it, from fixtures/hl7v2/valid."""
    out: dict[str, str] = {}
    for path in sorted(FIXTURES.glob("*.hl7")):
        text = re.sub(r"\r\n|\n", "\r", path.read_text(encoding="utf-8")).strip("\r")
        code, trigger, _ = parse(text).type
        out.setdefault(f"{code}^{trigger}", text)
    return out


def set_fields(text: str, fields: dict[int, str], segment: str = "MSH") -> str:
    """``text`` with fields of its first ``segment`` replaced (MSH-n counted as HL7 does: MSH-1 is '|')."""
    lines = text.split("\r")
    for i, line in enumerate(lines):
        if line.startswith(segment + "|"):
            parts = line.split("|")
            offset = 1 if segment == "MSH" else 0  # parts[1] is MSH-2, so MSH-n is parts[n - 1]
            for number, value in fields.items():
                index = number - offset
                parts.extend([""] * (index + 1 - len(parts)))
                parts[index] = value
            lines[i] = "|".join(parts).rstrip("|") if segment != "MSH" else "|".join(parts)
            break
    return "\r".join(lines)


def readdress(text: str, *, sending: tuple[str, str], receiving: tuple[str, str], control_id: str,
              enhanced: bool = False, when: datetime | None = None) -> str:
    """Set MSH-3..7, MSH-10 and the acknowledgement mode (MSH-15/16: AL/NE enhanced, empty original)."""
    stamp = (when or datetime.now(UTC)).strftime("%Y%m%d%H%M%S+0000")
    return set_fields(text, {
        3: sending[0], 4: sending[1], 5: receiving[0], 6: receiving[1], 7: stamp, 10: control_id,
        15: "AL" if enhanced else "", 16: "NE" if enhanced else "",
    })


def without_segment(text: str, name: str) -> str:
    return "\r".join(line for line in text.split("\r") if not line.startswith(name + "|"))
