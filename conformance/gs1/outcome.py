"""The result of validating one GS1 input, shaped as DESIGN.md section 3 requires.

``{"valid": bool, "ais": {"01": "...", ...}, "outcome": <FHIR OperationOutcome>}``.

Location convention, per issue:

- ``expression``: ``["(17)"]``, the AI in brackets, when the problem belongs to one element;
  ``["(01)", "(255)"]`` for a pairing or association between elements; absent when the problem is
  the input as a whole (empty, too long, not GS1).
- ``location``: ``["char 19"]``, the 1-based character position in the input as given (after a
  trailing newline is stripped), pointing at the bad character itself where one can be named
  (the wrong check digit, the month of a bad date), else at the start of the element's data.
- ``details.coding[0]``: a stable defect code (``check-digit``, ``date``, ``length``, ``charset``,
  ``unknown-ai``, ``invalid-pairing``, ``missing-association``...) in system ``DEFECT_SYSTEM``, so
  that scripts and tests key on the defect and not on the wording of ``diagnostics``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conformance.outcome import operation_outcome, outcome_issue
from conformance.validation import ValidationIssue, ValidationReport

if TYPE_CHECKING:
    from conformance.gs1.carriers import Carrier

DEFECT_SYSTEM = "https://conformance.example/gs1/defect"

# FHIR issue-type code for each defect code.
_ISSUE_TYPE = {
    "empty": "required", "too-long": "too-long", "unknown-ai": "code-invalid", "syntax": "structure",
    "symbology": "structure", "separator": "structure", "charset": "value", "length": "value",
    "check-digit": "value", "check-pair": "value", "date": "value", "time": "value", "code": "code-invalid",
    "content": "value", "duplicate-ai": "duplicate", "invalid-pairing": "business-rule",
    "missing-association": "required", "not-gs1": "not-supported", "dl-compressed": "not-supported",
    "dl-syntax": "structure", "dl-primary-key": "required", "dl-qualifier-order": "structure",
    "dl-attribute": "business-rule", "dl-encoding": "value", "not-checked": "informational",
    "carrier": "value", "hri-as-scan": "structure", "declared-form": "structure",
}


@dataclass(frozen=True)
class Issue:
    defect: str
    diagnostics: str
    ais: tuple[str, ...] = ()
    position: int | None = None  # 0-based offset into the input
    severity: str = "error"

    def to_fhir(self) -> dict[str, Any]:
        return outcome_issue(
            severity=self.severity,
            code=_ISSUE_TYPE.get(self.defect, "invalid"),
            defect_system=DEFECT_SYSTEM,
            defect=self.defect,
            diagnostics=self.diagnostics,
            expression=[f"({ai})" for ai in self.ais],
            location=[f"char {self.position + 1}"] if self.position is not None else [],
        )

    def common(self) -> ValidationIssue:
        """The issue in the shape every validator shares (location: ``(17) at char 19``)."""
        where = " ".join(f"({ai})" for ai in self.ais)
        at = f" at char {self.position + 1}" if self.position is not None else ""
        return ValidationIssue("gs1", self.severity, f"{where}{at}".strip(), self.defect, self.diagnostics)

    def line(self) -> str:
        """One human-readable line: severity, where, what."""
        return self.common().line()


@dataclass
class Element:
    """One AI and its data as found in the input; ``start`` is where its data begins (0-based)."""

    ai: str
    value: str
    start: int = 0
    exact: bool = True  # False when the value was unescaped, so offsets inside it do not map back


@dataclass
class Gs1Result:
    input: str
    form: str  # "bracketed", "unbracketed", "digital-link" or "" when not recognised
    elements: list[Element] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    symbology: str = ""  # e.g. "]d2" when the input carried a symbology identifier
    carrier: Carrier | None = None  # the symbol behind a symbology identifier (GTIN expanded, add-on)

    @property
    def valid(self) -> bool:
        return bool(self.elements) and not any(i.severity in ("error", "fatal") for i in self.issues)

    @property
    def ais(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for element in self.elements:
            out.setdefault(element.ai, element.value)
        return out

    def outcome(self) -> dict[str, Any]:
        return operation_outcome(
            [i.to_fhir() for i in self.issues],
            all_clear=f"valid GS1 {self.form} data: {len(self.elements)} element string(s)",
        )

    def to_dict(self) -> dict[str, Any]:
        """DESIGN.md's {valid, ais, outcome}; scanned input adds "carrier" (symbology, name, gtin, addon)."""
        out: dict[str, Any] = {"valid": self.valid, "ais": self.ais, "outcome": self.outcome()}
        if self.carrier is not None:
            out["carrier"] = self.carrier.to_dict()
        return out

    def report(self, ident: str, given: str, converted: dict[str, str] | None = None) -> ValidationReport:
        """The verdict on one input, for ``conformance validate gs1``; ``converted``: form -> text, or
        ``{"error": why}`` (``--to``). In --json the id and the input come first."""
        document = self.to_dict()
        if converted is not None:
            document["converted"] = converted
        lead = f"{ident}: " if ident else ""
        verdict = "valid" if self.valid else "invalid"
        notes = []
        if self.carrier is not None:
            shown = ", ".join(f"{k} {v}" for k, v in self.carrier.to_dict().items() if k != "symbology")
            notes.append(f"carrier {self.carrier.symbology}: {shown}")
        after = [f"{form}: {text!r}" if form != "error" else text for form, text in (converted or {}).items()]
        return ValidationReport(ident, "gs1", self.valid, f"{verdict}: {json.dumps(self.ais)}" if self.ais else verdict,
                                [i.common() for i in self.issues], {"input": given, **document} if ident else
                                document, notes=notes, after=after, lead=lead, detail=lead + "  ")
