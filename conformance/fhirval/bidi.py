"""Unicode bi-directional control characters in a primitive value, as HL7's validator judges them by default.

InstanceValidator.checkPrimitive, for every non-blank value: when ``UnicodeUtilities.hasBiDiChars`` finds one, an
error UNICODE_BIDI_CONTROLS_CHARS_DISALLOWED only under ``noUnicodeBiDiControlChars`` (HL7's -no_unicode_bidi_
control_chars; off in its CLI and its test runner, InstanceValidatorParameters' default false), and otherwise a
warning UNICODE_BIDI_CONTROLS_CHARS_MATCH when ``UnicodeUtilities.checkUnicodeWellFormed`` finds them not closed
(CVE-2021-42574: text that displays otherwise than it reads). HL7's stack is kept as written: a line feed (its
``PARA``) counts as one of the characters and empties the stack; LRO, RLO, LRI, RLI, FSI and the marks LRM, RLM,
ALM are pushed; LRE and RLE are never pushed; PDF pops the top if it is an embedding, override or mark; PDI pops
back to the nearest isolate (and the embeddings, overrides and marks above it) when there is one. So a lone RLM
mark is reported, as HL7 reports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.fhirval.issues import Sink

LRE, RLE, PDF, LRO, RLO = "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
LRM, RLM, ALM, PARA = "\u200e", "\u200f", "\u061c", "\n"
_NAMES = {LRE: "LRE", RLE: "RLE", PDF: "PDF", LRO: "LRO", RLO: "RLO", LRI: "LRI", RLI: "RLI", FSI: "FSI",
          PDI: "PDI", LRM: "LRM", RLM: "RLM", ALM: "ALM"}
_PUSHED = frozenset({LRO, RLO, LRI, RLI, FSI, LRM, RLM, ALM})
_POPPED_BY_PDF = frozenset({LRE, RLE, LRO, RLO, LRM, RLM, ALM})
_ISOLATES = frozenset({LRI, RLI, FSI})
# the characters that can leave the stack non-empty (a line feed alone cannot): a value without one needs no walk
_OPENERS = tuple(_PUSHED)


def unterminated(value: str) -> str | None:
    """HL7's ``checkUnicodeWellFormed``: None when the value's BiDi controls are closed, else its description of
    the last one left open. The walker calls it for non-ASCII values only (every control is outside ASCII)."""
    if not any(c in value for c in _OPENERS):
        return None
    stack: list[tuple[str, int]] = []
    for i, c in enumerate(value):
        if c == PARA:
            stack.clear()
        elif c in _PUSHED:
            stack.append((c, i))
        elif c == PDF:
            if stack and stack[-1][0] in _POPPED_BY_PDF:
                stack.pop()
        elif c == PDI and any(s[0] in _ISOLATES for s in stack):
            while stack and (stack[-1][0] in _ISOLATES or stack[-1][0] in _POPPED_BY_PDF):
                done = stack.pop()[0] in _ISOLATES
                if done:
                    break
    if not stack:
        return None
    c, i = stack[-1]
    before = "" if i == 0 else f" (preceding text = '{value[max(0, i - 5):i]}')"
    return f"Unicode Character {_NAMES[c]} at index {i} has no terminating match{before}"


def bidi_warning(value: str) -> str | None:
    """UNICODE_BIDI_CONTROLS_CHARS_MATCH's message for a value whose controls are left open, else None."""
    problem = unterminated(value)
    if problem is None:
        return None
    return f"The Unicode sequence has unterminated bi-di control characters (see CVE-2021-42574): {problem}"


def report_bidi(sink: Sink, value: str, loc: str) -> None:
    """The warning at ``loc`` when the value leaves a control open (HL7 checks every non-blank primitive)."""
    message = bidi_warning(value) if not value.isspace() else None
    if message is not None:
        sink.warning("bidi", loc, message)
