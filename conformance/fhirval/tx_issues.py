"""Asking the terminology service (tx_service.py) where local terminology gives up, and its answer as issues.

Which requests, as HL7's InstanceValidator makes them: a bound CodeableConcept or Coding (or a bound code) against
the binding's value set (validateBindingCodeableConcept, validateBindingCodedElement, checkPrimitiveBinding), a
CodeableConcept whose binding was not checked against nothing but its code systems (checkCodeableConcept, the
"general" check), a Coding outside a CodeableConcept likewise (checkCodedElement -> checkCode). Each only when the
terminology held here cannot decide (a code system not held, a value set not expandable here), so the local rules
keep every case they judged before; an issue the answer raises about a coding judged here is dropped too.

How an answer becomes issues: each issue of the server's OperationOutcome
(calculateSeverityForTxIssuesAndUpdateErrors): not-in-vs / this-code-not-in-vs dropped (the binding's own
message says it), cannot-infer dropped for an extensible Coding, not-found lowered to a warning unless a required
binding to an HL7 code system (getTxIssueWithCalculatedSeverity), a wrong display at the display severity
asked for (Sink.display: HL7's displayWarningMode). Then, when the answer is not ok, the binding's message by its
strength and the answer's error class (UNKNOWN: an error under a required binding; CODESYSTEM_UNSUPPORTED:
nothing more for a CodeableConcept, a warning for a Coding; infrastructure classes: a warning).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from conformance.fhirval.issues import Sink
from conformance.fhirval.options import Options, snomed_edition
from conformance.fhirval.source import Json
from conformance.fhirval.tx_cache import TxCache, compose_key
from conformance.fhirval.tx_service import (
    DEFAULT_LANGUAGE,
    TerminologyService,
    TxAnswer,
    TxCoding,
    TxIssue,
    TxRequest,
    TxValueSet,
    canonical_json,
)

INFRASTRUCTURE = frozenset({"NOSERVICE", "SERVER_ERROR", "VALUESET_UNSUPPORTED"})  # TerminologyServiceErrorClass
UNSUPPORTED = frozenset({"CODESYSTEM_UNSUPPORTED", "CODESYSTEM_UNSUPPORTED_VERSION"})
_DEFECTS = {"invalid-code": "code-unknown", "not-found": "code-system-unknown", "invalid-display": "code-display"}
SCT = "http://snomed.info/sct"
_CODING = re.compile(r"^(?:CodeableConcept)?\.?coding\[(\d+)\]")


def codings_of(item: object, concept: bool) -> tuple[TxCoding, ...]:
    """The request's codings: a CodeableConcept's, a Coding, or a bare code (a Coding without system)."""
    if isinstance(item, str):
        return (TxCoding(None, item),)
    if not isinstance(item, dict):
        return ()
    found = item.get("coding") if concept else [item]
    return tuple(TxCoding.of(c) for c in (found if isinstance(found, list) else ()) if isinstance(c, dict))


def request(item: object, concept: bool, value_set: Json | None, language: str | None, sink: Sink) -> TxRequest:
    """The ``$validate-code`` HL7's validator would send (TerminologyCache.generateValidationToken's shape): a
    value set by url and version when it has both, a Coding's by url alone, else its compose."""
    vs: TxValueSet | None = None
    if value_set is not None:
        url, version = value_set.get("url"), value_set.get("version")
        url = url if isinstance(url, str) else None
        version = version if isinstance(version, str) else None
        if url and (version or not concept):
            vs = TxValueSet(url=url, version=version)
        else:
            vs = TxValueSet(compose=compose_key(value_set))
    return TxRequest(codings_of(item, concept), concept, vs, language or DEFAULT_LANGUAGE,
                     display_warning=not sink.display_errors)


def ask(tx: TerminologyService | None, req: TxRequest) -> TxAnswer | None:
    return None if tx is None or not req.codings else tx.validate(req)


def _where(loc: str, expression: str | None) -> str:
    """The issue's place in the instance: the server's ``CodeableConcept.coding[0].display`` or ``Coding.display``
    below the element validated."""
    if not expression:
        return loc
    head, _, tail = expression.partition(".")
    return f"{loc}.{tail}" if head in ("CodeableConcept", "Coding") and tail else loc


def _coding_index(expression: str | None) -> int | None:
    found = _CODING.match(expression or "")
    return int(found.group(1)) if found else None


def report_issues(answer: TxAnswer, loc: str, sink: Sink, strength: str | None, *,
                  judged_here: Callable[[int], bool] = lambda _i: False, ignore_cant_infer: bool = False) -> None:
    """The server's issues, as calculateSeverityForTxIssuesAndUpdateErrors keeps them (module docstring)."""
    for issue in answer.issues:
        if issue.kind in ("not-in-vs", "this-code-not-in-vs") or (issue.kind == "cannot-infer" and ignore_cant_infer):
            continue
        if issue.message_id == "MSG_EXPERIMENTAL":
            continue
        index = _coding_index(issue.expression)
        if index is not None and judged_here(index):
            continue  # a coding of a system held here: the local rules judged it
        _emit(issue, _severity(issue, strength), _where(loc, issue.expression), sink)


def _severity(issue: TxIssue, strength: str | None) -> str:
    if issue.kind == "not-found" and issue.severity in ("error", "fatal"):
        hl7 = "http://hl7.org/fhir" in issue.text or "http://terminology.hl7.org" in issue.text
        return "error" if strength == "required" and hl7 else "warning"
    return issue.severity


def _emit(issue: TxIssue, severity: str, where: str, sink: Sink) -> None:
    defect = _DEFECTS.get(issue.kind or "", "code-invalid")
    text = f"{issue.text} (terminology server)"
    if issue.kind == "invalid-display" and severity in ("error", "warning"):
        sink.display(defect, where, text)
    elif severity in ("error", "fatal"):
        sink.error(defect, where, text)
    elif severity == "warning":
        sink.warning(defect, where, text)
    else:
        sink.info(defect, where, text)


def report_binding(answer: TxAnswer, concept: bool, strength: str, vs_url: str, shown: str, loc: str,
                   sink: Sink, judged_here: Callable[[int], bool], *, has_max: bool = False) -> bool:
    """A bound value judged by the server: its issues, then the binding's own message when the answer is not ok
    (validateBindingCodeableConcept for a CodeableConcept, validateBindingCodedElement for a Coding or code).
    True when HL7 goes on to checkMaxValueSet (``has_max``: an extensible binding with a maximum value set, the
    value not in the binding's; the caller judges it there, report_max)."""
    report_issues(answer, loc, sink, strength, judged_here=judged_here,
                  ignore_cant_infer=not concept and strength == "extensible")
    cls = answer.error_class
    if answer.ok:
        if answer.message and not answer.message_in_issues and answer.severity in ("information", "warning"):
            (sink.info if answer.severity == "information" else sink.warning)("code-invalid", loc, answer.message)
        return False
    if has_max and strength == "extensible" and cls != "NOSERVICE" and not (concept and cls in UNSUPPORTED):
        # validateBindingCodeableConcept / validateBindingCodedElement: checkMaxValueSet in place of CONFIRM_2_CC /
        # NOVALID_2_CC (a CodeableConcept keeps its extensible warning beside it)
        if concept and cls not in INFRASTRUCTURE:
            sink.warning("binding-extensible", loc, f"{shown} is not in the value set {vs_url} ({strength} binding; "
                                                    f"terminology server)")
        return True
    not_in = f"{shown} is not in the value set {vs_url} ({strength} binding; terminology server)"
    unchecked = f"{shown} could not be checked against the value set {vs_url}: {answer.message or cls} " \
                f"(terminology server)"
    if concept and cls == "CODESYSTEM_UNSUPPORTED":
        return False  # "we've already handled the warnings / errors about this"
    if cls in INFRASTRUCTURE:  # a Coding too: TERMINOLOGY_TX_CONFIRM_4a / _5 (checkCodedElement), never "not in"
        if strength in ("required", "extensible"):  # TERMINOLOGY_TX_CONFIRM_1_CC / _2_CC (a hint with no service)
            (sink.warning if cls != "NOSERVICE" else sink.info)("value-set-unknown", loc, unchecked)
        return False
    if not concept and strength == "required" and cls in UNSUPPORTED:
        if not any(i.message_id in ("UNKNOWN_CODESYSTEM", "CODESYSTEM_UNSUPPORTED_VERSION") for i in answer.issues):
            sink.warning("code-system-unknown", f"{loc}.system", unchecked)  # UNKNOWN_CODESYSTEM(_VERSION_UNK)
        return False
    if strength == "required":  # NOVALID_1_CC; for a Coding CONFIRM_4a or NOVALID_12
        sink.error("code-invalid", loc, not_in)
    elif strength == "extensible":
        sink.warning("binding-extensible", loc, not_in)
    else:  # a hint, and only for a preferred binding a profile set (isBaseBinding)
        sink.info("binding-preferred", loc, not_in)
    return False


def report_max(answer: TxAnswer, max_vs: str, shown: str, loc: str, sink: Sink,
               judged_here: Callable[[int], bool]) -> None:
    """A value outside an extensible binding judged by the server against the maximum value set
    (InstanceValidator.checkMaxValueSet): the answer's issues, then not ok an error (TERMINOLOGY_TX_NOVALID_8 /
    _10 / _11), or a warning when the server could not tell (infrastructure classes: NOVALID_7 / _9)."""
    report_issues(answer, loc, sink, None, judged_here=judged_here)
    if answer.ok:
        return
    if answer.error_class in INFRASTRUCTURE:
        sink.warning("value-set-unknown", loc, f"{shown} could not be checked against the maximum value set "
                                               f"{max_vs}: {answer.message or answer.error_class} (terminology server)")
    else:
        sink.error("code-invalid", loc, f"{shown} is not in the maximum value set {max_vs} (an extensible binding "
                                        "allows other codes only within it; terminology server)")


def report_code(answer: TxAnswer, concept: bool, shown: str, loc: str, sink: Sink,
                judged_here: Callable[[int], bool]) -> None:
    """An unbound value judged by the server against its code systems: checkCodeableConcept's general check
    (the issues only), or checkCode for a Coding (its message too, when no issue carries it)."""
    report_issues(answer, loc, sink, None, judged_here=judged_here)
    infrastructure = answer.error_class in INFRASTRUCTURE
    if not answer.message or answer.message_in_issues or (concept and not infrastructure):
        return  # a CodeableConcept's message is its issues', unless the server failed (TX_ERROR_CODEABLECONCEPT)
    text = f"{answer.message} ({shown + '; ' if shown else ''}terminology server)"
    (sink.warning if answer.ok or infrastructure else sink.error)("code-invalid", loc, text)


_SERVICES: dict[tuple[str | None, str | None], TerminologyService] = {}
_LOCK = threading.Lock()


def service_for(options: Options) -> TerminologyService | None:
    """The terminology service the options name, made once per process: ``tx_cache`` (a folder of HL7's
    recorded answers) asked first, then ``tx_server`` (a FHIR terminology server, tx_client.py); None when neither
    is named (the default: no server, those codes unjudged as before). With ``sct``, every request carries that
    SNOMED CT edition, as HL7's expansion parameters do."""
    if options.tx_cache is None and options.tx_server is None:
        return None
    # the folder by its real path: a relative one, or the same folder named two ways, is one service
    key = (str(Path(options.tx_cache).resolve()) if options.tx_cache else None, options.tx_server)
    with _LOCK:
        found = _SERVICES.get(key)
        if found is None:
            services: list[TerminologyService] = []
            if options.tx_cache:
                services.append(TxCache.load(options.tx_cache))
            if options.tx_server:
                from conformance.fhirval.tx_client import TxServer

                services.append(TxServer(options.tx_server))
            found = _SERVICES[key] = services[0] if len(services) == 1 else Chain(tuple(services))
    edition = snomed_edition(options.sct) if options.sct else None
    return found if edition is None else Chain((found,), ((
        "system-version", canonical_json({"valueCanonical": f"{SCT}|{SCT}/{edition}"})),))


@dataclass(frozen=True)
class Chain:
    """Several services, the first answer winning (the recorded answers before a live server), each request with
    the expansion parameters given."""

    services: tuple[TerminologyService, ...]
    parameters: tuple[tuple[str, str], ...] = ()  # expansion parameters every request carries (HL7's context's)

    def validate(self, request: TxRequest) -> TxAnswer | None:
        if self.parameters:
            request = replace(request, parameters=tuple(sorted({*request.parameters, *self.parameters})))
        for service in self.services:
            answer = service.validate(request)
            if answer is not None:
                return answer
        return None
