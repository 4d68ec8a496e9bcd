"""The result of validating one HL7 v2 message, shaped as DESIGN.md section 3 requires.

Locations follow the NIST / HAPI convention readers of v2 specifications know: ``PID-8`` (field),
``PID-3[2].4`` (fourth component of the second repetition), ``PID-3.4.1`` (subcomponent), ``OBX[3]-5``
(the third OBX in the message). A ``[n]`` appears only where the segment or field repeats in the
message, so that a single PID reads ``PID-8``. ``expression`` carries that location; ``location``
carries ``segment N``, the segment's position in the message; ``details.coding[0]`` a stable defect code
(``DEFECT_SYSTEM``) so scripts and tests key on the defect, not on the wording.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.outcome import operation_outcome, outcome_issue
from conformance.validation import ValidationIssue, ValidationReport

DEFECT_SYSTEM = "https://conformance.example/hl7v2/defect"

# FHIR issue-type code for each defect code.
_ISSUE_TYPE = {
    "not-hl7v2": "structure", "encoding": "structure", "separator": "structure", "segment-id": "structure",
    "empty-segment": "structure", "whitespace": "structure", "escape": "value", "version": "not-supported",
    "message-type": "not-supported", "unexpected-segment": "structure", "segment-order": "structure",
    "missing-segment": "required", "segment-cardinality": "structure", "segment-not-allowed": "structure",
    "z-segment": "structure", "required": "required", "not-allowed": "business-rule",
    "cardinality": "structure", "length": "too-long", "datatype": "value", "code": "code-invalid",
    "fixed-value": "value", "statement": "invariant", "extra-field": "structure", "profile": "not-supported",
    "withdrawn": "business-rule",
}


@dataclass(frozen=True)
class Issue:
    defect: str
    diagnostics: str
    where: str = ""  # HL7 location: PID-3[2].4
    line: int | None = None  # the segment's position in the message, 1-based
    severity: str = "error"

    def to_fhir(self) -> dict[str, Any]:
        return outcome_issue(
            severity=self.severity,
            code=_ISSUE_TYPE.get(self.defect, "invalid"),
            defect_system=DEFECT_SYSTEM,
            defect=self.defect,
            diagnostics=self.diagnostics,
            expression=[self.where] if self.where else [],
            location=[f"segment {self.line}"] if self.line is not None else [],
        )

    def common(self) -> ValidationIssue:
        """The issue in the shape every validator shares (location: ``PID-3[2].4 (segment 3)``)."""
        head = self.where + (f" (segment {self.line})" if self.line is not None else "")
        return ValidationIssue("hl7v2", self.severity, head, self.defect, self.diagnostics)

    def line_text(self) -> str:
        """One human-readable line: severity, where, what, defect code."""
        return self.common().line()


@dataclass
class Hl7Result:
    """Every problem found in one message, and what the message was taken to be."""

    issues: list[Issue] = field(default_factory=list)
    message_type: str = ""  # ADT^A01
    structure: str = ""
    version: str = ""
    profile: str = ""
    control_id: str = ""

    @property
    def valid(self) -> bool:
        return not any(i.severity in ("error", "fatal") for i in self.issues)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity in ("error", "fatal")]

    def summary(self) -> str:
        what = " ".join(x for x in (self.message_type, f"v{self.version}" if self.version else "") if x)
        against = f" against profile {self.profile}" if self.profile else " against the standard"
        verdict = "valid" if self.valid else f"invalid ({len(self.errors)} error{'s' * (len(self.errors) != 1)})"
        return f"{verdict}: {what or 'message'}{against}"

    def to_outcome(self) -> dict[str, Any]:
        return operation_outcome([i.to_fhir() for i in self.issues], all_clear=self.summary())

    def report(self, ident: str) -> ValidationReport:
        """The verdict on one message, for ``conformance validate hl7v2``."""
        return ValidationReport(ident, "hl7v2", self.valid, self.summary(), [i.common() for i in self.issues],
                                self.to_outcome(), lead=f"{ident}: ", detail="  ")
