"""What the FHIR validator reports: one :class:`Issue` per problem, each with a stable defect code.

Tests and scripts key on ``defect`` (ours, stable) and ``location`` (FHIRPath-style,
``Patient.name[0].given[1]``; a choice as ``Observation.value.ofType(Quantity)``, as the reference
validator writes it), never on the wording. ``code`` is the FHIR IssueType the OperationOutcome carries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.outcome import outcome_issue
from conformance.validation import ValidationIssue

DEFECT_SYSTEM = "https://conformance.example/fhir/defect"

# FHIR IssueType for each defect code.
ISSUE_TYPE: dict[str, str] = {
    "not-json": "structure", "not-resource": "structure", "unknown-resource-type": "not-supported",
    "too-large": "too-costly", "too-deep": "too-costly", "too-many-issues": "too-costly",
    "xml-not-supported": "not-supported", "xml": "structure", "xml-namespace": "structure",
    "unknown-profile": "not-found", "profile-type": "structure", "profile-version": "structure",
    "matchetype": "invalid", "signature": "invalid",
    "unknown-element": "structure", "array-expected": "structure", "array-unexpected": "structure",
    "null-value": "structure", "json-type": "structure",
    "element-order": "invalid", "object-expected": "structure",
    "primitive-format": "value", "empty-value": "value", "too-long": "too-long", "too-short": "value",
    "blank-value": "value", "json-duplicate": "structure", "json-syntax": "structure", "resource-id": "required",
    "base64-whitespace": "invalid",
    "primitive-extension": "structure", "resource-type": "structure",
    "cardinality-min": "required", "cardinality-max": "structure",
    "choice-multiple": "structure", "choice-type": "structure",
    "reference-format": "value", "reference-target": "structure", "reference-unresolved": "not-found",
    "contained-unreferenced": "invariant",
    "extension-url": "required", "extension-unknown": "structure", "extension-context": "business-rule",
    "extension-modifier": "structure",
    "fixed-value": "value", "pattern-value": "value", "min-value": "value", "max-value": "value", "attachment": "value",
    "identifier": "code-invalid",
    "value-present": "required", "bundle-orphan": "invalid",
    "type-profile": "structure",
    "slice-unmatched": "structure", "slice-multiple": "invalid", "slice-order": "structure", "slice-min": "required",
    "slice-max": "structure",
    "invariant": "invariant", "invariant-not-evaluated": "informational", "narrative": "value",
    "code-invalid": "code-invalid", "binding-extensible": "code-invalid", "binding-preferred": "code-invalid",
    "code-unknown": "code-invalid", "code-system-unknown": "informational", "value-set-unknown": "informational",
    "bundle-fullurl": "invalid", "bundle-duplicate": "invalid", "duplicate-id": "invalid",
    "canonical-relative": "value", "coding-system": "value", "code-system-content": "business-rule",
    "code-display": "code-invalid",
    "searchset": "business-rule", "search-parameter": "business-rule", "differential": "structure",
    "snapshot": "structure", "snapshot-not-checked": "informational",
    "bundle-link": "invalid", "obligation-profile": "business-rule", "questionnaire": "business-rule",
    "complies-with": "invalid",
    "measure-report": "business-rule", "measure-criteria": "invalid",
    "structure-type": "structure", "structure-slicing": "structure",
    "value-set-rule": "invalid", "security-duplicate": "business-rule",
    "implementation-guide": "business-rule", "invariant-key": "invalid",
    "operation-profile": "invalid", "fhirpath-syntax": "invalid", "structure-map": "invalid",
    "security": "security", "markdown-html": "invalid", "example-url": "invalid", "experimental": "business-rule",
    "publication": "business-rule", "signpost": "informational", "profile-no-snapshot": "structure",
    "too-many-codes": "business-rule", "bidi": "invalid",
}

ERROR_SEVERITIES = frozenset({"error", "fatal"})


@dataclass(frozen=True, slots=True)
class Issue:
    severity: str  # fatal | error | warning | information
    defect: str  # one of ISSUE_TYPE's keys
    location: str  # FHIRPath-style; "" for the input as a whole
    message: str

    def __reduce__(self) -> tuple[type[Issue], tuple[str, str, str, str]]:
        """Copied and pickled by its fields: compiled (native.py), a frozen dataclass has no other way."""
        return Issue, (self.severity, self.defect, self.location, self.message)

    @property
    def code(self) -> str:
        return ISSUE_TYPE.get(self.defect, "invalid")

    @property
    def is_error(self) -> bool:
        return self.severity in ERROR_SEVERITIES

    def to_fhir(self) -> dict[str, Any]:
        return outcome_issue(
            severity=self.severity,
            code=self.code,
            defect_system=DEFECT_SYSTEM,
            defect=self.defect,
            diagnostics=self.message,
            expression=[self.location] if self.location else [],
        )

    def common(self) -> ValidationIssue:
        """The issue in the shape every validator shares."""
        return ValidationIssue("fhir", self.severity, self.location, self.defect, self.message)

    def line(self) -> str:
        """``severity location: message [defect]``, the human output's shape."""
        return self.common().line()


@dataclass
class Sink:
    """Collects issues once each, in the order found, up to a bound (a hostile input cannot flood us)."""

    limit: int = 10_000
    issues: list[Issue] = field(default_factory=list)
    _seen: set[tuple[str, str, str, str]] = field(default_factory=set)
    overflowed: bool = False
    _error_kept: bool = False  # past the bound: an error is among the issues kept
    errors_only: bool = False  # a probe asking only whether there is an error keeps nothing else
    # a wrong display as an error, as HL7's validator by default (its -display-issues-are-warnings turns it off);
    # ours says warning unless asked (UK Core 2.0.2's own examples write 'In person' for 'In-person')
    display_errors: bool = False
    # the level of a best-practice invariant (dom-6, con-3, a profile's): ignore | hint | warning | error, HL7's
    # -best-practice (BestPracticeWarningLevel, default Warning); set from Options.best_practice
    best_practice_level: str = "warning"

    def add(self, severity: str, defect: str, location: str, message: str) -> None:
        if self.errors_only and severity not in ERROR_SEVERITIES:
            return
        key = (severity, defect, location, message)
        if key in self._seen:
            return
        if len(self.issues) >= self.limit:
            self._overflow(severity, defect, location, message)
            return
        self._seen.add(key)
        self.issues.append(Issue(severity, defect, location, message))

    def _overflow(self, severity: str, defect: str, location: str, message: str) -> None:
        """Past the bound: a warning says so, as HL7's VALIDATION_MAX_MESSAGES_EXCEEDED (InstanceValidator.validate,
        IssueSeverity.WARNING, under a maxMessages HL7's runner does not set: it reports every message), so warnings
        past it do not make a valid resource invalid; and the first error past it is still kept when none was
        before, so the verdict is the one the whole list would give."""
        if not self.overflowed:
            self.overflowed = True
            self._error_kept = any(i.severity in ERROR_SEVERITIES for i in self.issues)
            self.issues.append(Issue("warning", "too-many-issues", "",
                                     f"more than {self.limit} issues: stopped reporting"))
        if severity in ERROR_SEVERITIES and not self._error_kept:
            self._error_kept = True
            self.issues.append(Issue(severity, defect, location, message))

    def error(self, defect: str, location: str, message: str) -> None:
        self.add("error", defect, location, message)

    def warning(self, defect: str, location: str, message: str) -> None:
        self.add("warning", defect, location, message)

    def display(self, defect: str, location: str, message: str) -> None:
        """A wrong display: an error or a warning, as this validation was asked to judge displays."""
        self.add("error" if self.display_errors else "warning", defect, location, message)

    def info(self, defect: str, location: str, message: str) -> None:
        self.add("information", defect, location, message)

    def best_practice(self, defect: str, location: str, message: str) -> None:
        """A failed best-practice rule, at the level asked for (HL7 appends "(Best Practice Recommendation)")."""
        level = self.best_practice_level
        if level != "ignore":
            self.add("information" if level == "hint" else level, defect, location,
                     message + " (best practice recommendation)")
