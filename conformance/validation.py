"""One shape for what the offline validators find, whatever the protocol, and one way to print it.

The FHIR, HL7 v2 and GS1 validators each keep their own issue type (their locations differ: a
FHIRPath, ``PID-3[2].4``, ``(17) at char 19``), and each gives its issues as :class:`ValidationIssue`
and its verdict on one input as a :class:`ValidationReport`. The three ``conformance validate``
commands print reports through :func:`emit`, so their output rules (a line per issue, ``--json`` as an
object for one input and an array with ids for several, exit 0 valid / 1 invalid) live in one place.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

ERROR_SEVERITIES = frozenset({"error", "fatal"})


@dataclass(frozen=True)
class ValidationIssue:
    """One problem: how bad, where (in the protocol's own notation), its stable defect code, what."""

    protocol: str  # "fhir" | "hl7v2" | "gs1"
    severity: str  # fatal | error | warning | information
    location: str  # "" for the input as a whole
    code: str  # the stable defect code scripts and tests key on
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity in ERROR_SEVERITIES

    def line(self) -> str:
        """``severity: where: what [code]`` (FHIR writes ``severity where:``, as the reference validator)."""
        if not self.location:
            return f"{self.severity}: {self.message} [{self.code}]"
        sep = " " if self.protocol == "fhir" else ": "
        return f"{self.severity}{sep}{self.location}: {self.message} [{self.code}]"


@dataclass
class ValidationReport:
    """The verdict on one input: the issues, a one-line summary, and its JSON form (``--json``)."""

    id: str  # the input's name: a path, path#n for the n-th message of a file, "line n", "" for one text
    protocol: str
    valid: bool
    summary: str
    issues: list[ValidationIssue]
    document: dict[str, Any]  # what --json prints for this input (an OperationOutcome, or GS1's row)
    notes: list[str] = field(default_factory=list)  # lines printed before the issues (a GS1 carrier)
    after: list[str] = field(default_factory=list)  # lines printed after them (a GS1 conversion)
    lead: str = ""  # before the summary line: the input's name, "path: "
    detail: str = "  "  # before each line under it (each protocol's output keeps its shape)


def emit(reports: Sequence[ValidationReport], *, as_json: bool, many: bool, echo: Callable[[str], None]) -> int:
    """Print every report and return the exit code: 0 when every input is valid, 1 when any is not.

    ``many``: --json prints an array whose items name their input (``id`` first); else the one object.
    """
    def say(text: str) -> None:
        echo(_encodable(text))

    if as_json:
        rows = [{"id": r.id, **r.document} if many else r.document for r in reports]
        say(json.dumps(rows if many else rows[0], indent=2, ensure_ascii=False))
    else:
        for report in reports:
            say(f"{report.lead}{report.summary}")
            for line in [*report.notes, *(i.line() for i in report.issues), *report.after]:
                say(f"{report.detail}{line}")
    return 0 if all(r.valid for r in reports) else 1


def _encodable(text: str) -> str:
    """The text, with a lone surrogate (JSON's ``"\\ud800"`` in a property name or a value, which a report quotes)
    written as its escape: UTF-8 cannot encode one, and the report must still print."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text
