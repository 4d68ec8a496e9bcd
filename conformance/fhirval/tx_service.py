"""The terminology-service seam: what the validator asks a terminology server, and the server's answer.

HL7's validator sends ``$validate-code`` to a terminology server wherever its own client-side terminology cannot
decide (a code system it does not hold: SNOMED CT, LOINC, CVX...; a value set it cannot expand). Ours has no
server, so those codes were left unjudged. This module is the seam such answers come through: a
:class:`TxRequest` shaped as HL7's ``TerminologyCache.generateValidationToken`` shapes its requests (a Coding or a
CodeableConcept, optionally a value set by ``url|version`` or by its ``compose``, and the validation options that
change the answer), a :class:`TxAnswer` shaped as HL7's ``ValidationResult`` (severity, message, error class,
the server's OperationOutcome issues). Implementations: tx_cache.py (HL7's recorded answers, the txCache folder
its own test runner uses), tx_client.py (a live server's ``$validate-code``); tx_issues.service_for picks them
from the Options. The validator consults the seam only where it gives up for want of a server; no
answer (``None``) leaves the code unjudged, as before. How an answer becomes issues: tx_issues.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from conformance.fhirval.source import objects

TX_ISSUE_TYPE = "http://hl7.org/fhir/tools/CodeSystem/tx-issue-type"
MESSAGE_ID = "http://hl7.org/fhir/StructureDefinition/operationoutcome-message-id"
DEFAULT_LANGUAGE = "en-US"  # InstanceValidator.getValidationOptionsLanguage: Locale.US when nothing else says


@dataclass(frozen=True)
class TxCoding:
    """One coding of a request (what of HL7's composed Coding changes the server's answer)."""

    system: str | None
    code: str | None
    version: str | None = None
    display: str | None = None

    @staticmethod
    def of(coding: Any) -> TxCoding:
        get = coding.get if isinstance(coding, dict) else (lambda _k: None)
        return TxCoding(*(v if isinstance(v, str) else None
                          for v in (get("system"), get("code"), get("version"), get("display"))))


@dataclass(frozen=True)
class TxValueSet:
    """The value set a request names: by ``url`` (and ``version``) or, when HL7 sends the definition itself
    (a CodeableConcept against a value set without a version), by its ``compose`` (canonical JSON text)."""

    url: str | None = None
    version: str | None = None
    compose: str | None = None


@dataclass(frozen=True)
class TxRequest:
    """A ``$validate-code``: a Coding (``concept`` False; a bare code is a Coding without system) or a
    CodeableConcept, against a value set or the code system alone, in a language. ``display_warning``:
    HL7's displayWarningMode (a wrong display a warning, not an error)."""

    codings: tuple[TxCoding, ...]
    concept: bool = False
    value_set: TxValueSet | None = None
    language: str = DEFAULT_LANGUAGE
    display_warning: bool = False
    membership_only: bool = False
    active_only: bool = False
    # the expansion parameters beyond the language (HL7's ``profile``: ``system-version`` pinning a SNOMED CT
    # edition...), as (name, value) pairs; the validator sets none
    parameters: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TxIssue:
    """One issue of the server's OperationOutcome: ``kind`` is its tx-issue-type (invalid-display,
    invalid-code, not-found, not-in-vs, this-code-not-in-vs, cannot-infer, code-rule...)."""

    severity: str
    code: str
    kind: str | None
    text: str
    expression: str | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class TxAnswer:
    """The server's answer, as HL7's ValidationResult holds it."""

    severity: str | None = None
    message: str | None = None
    error_class: str | None = None
    display: str | None = None
    issues: tuple[TxIssue, ...] = ()

    @property
    def ok(self) -> bool:
        """ValidationResult.isOk: no error (a display-only error is ok only client-side, never from a server)."""
        return self.severity not in ("error", "fatal")

    @property
    def message_in_issues(self) -> bool:
        """ValidationResult.messageIsInIssues: the message only summarises issues already reported."""
        return self.message is not None and any(i.text == self.message for i in self.issues)


class TerminologyService(Protocol):
    """Answers a ``$validate-code``; None when it has no answer (the code then stays unjudged)."""

    def validate(self, request: TxRequest) -> TxAnswer | None: ...


def answer_from(result: dict[str, Any]) -> TxAnswer:
    """A TxAnswer from HL7's ``v: {...}`` record (TerminologyCache.getCacheEntry) or a Parameters-derived dict.
    Whatever a server or a cache file holds, a part that is not of its type is passed over, never raised on."""
    issues = []
    outcome = result.get("issues")
    for issue in objects(outcome.get("issue") if isinstance(outcome, dict) else None):
        found = issue.get("details")
        details: dict[str, Any] = found if isinstance(found, dict) else {}
        kind = next((text_value(c.get("code")) for c in objects(details.get("coding"))
                     if c.get("system") == TX_ISSUE_TYPE), None)
        msg_id = next((text_value(e.get("valueString")) for e in objects(issue.get("extension"))
                       if e.get("url") == MESSAGE_ID), None)
        paths = issue.get("expression") or issue.get("location")
        expression = text_value(paths[0]) if isinstance(paths, list) and paths else None
        issues.append(TxIssue(str(issue.get("severity", "error")), str(issue.get("code", "processing")), kind,
                              str(details.get("text", "")), expression, msg_id))
    return TxAnswer(text_value(result.get("severity")), text_value(result.get("error")),
                    text_value(result.get("class")), text_value(result.get("display")), tuple(issues))


def text_value(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def canonical_json(value: Any) -> str:
    """A JSON value as text independent of key order and spacing (a compose compared by meaning, not by text)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
