"""Terminology bindings, judged against what terminology.py can know locally.

Never a network call: a code from a system we do not hold (SNOMED CT, LOINC...) cannot be judged, so it
is reported as information, not as an error. Expansion (compose include/exclude, imports, filters) lives
in terminology.py; UCUM and the BCP tags are judged by their grammars (terminology_grammars.py).
"""

from __future__ import annotations

from conformance.fhirval import terminology_versions, tx_issues
from conformance.fhirval.coding_systems import SERVER_KNOWN, system_problem
from conformance.fhirval.issues import Sink
from conformance.fhirval.source import Json
from conformance.fhirval.terminology import Expansion, Terminology
from conformance.fhirval.terminology_checkers import OWN_CHECKERS
from conformance.fhirval.terminology_filters import as_list
from conformance.fhirval.terminology_fragments import fragment_warning
from conformance.fhirval.terminology_grammars import GRAMMARS, SERVER_SIDE, is_implicit_value_set
from conformance.fhirval.terminology_packages import how_to_supply
from conformance.fhirval.terminology_readings import display_matches, systemless_member, unplaced, value_set_display
from conformance.fhirval.tx_service import TerminologyService
from conformance.fhirval.ucum import UCUM, problem

__all__ = [
    "BOUND_TYPES",
    "CODED_QUANTITY_TYPES",
    "QUANTITY_TYPES",
    "Expansion",
    "Terminology",
    "check_binding",
    "check_coding",
    "check_quantity",
    "checks_system_form",
]

# ---- judging an element against its binding ------------------------------------------------------

BOUND_TYPES = frozenset({"code", "Coding", "CodeableConcept", "Quantity", "string", "uri"})


def _vs_name(url: str) -> str:
    return url.split("|")[0]


def check_binding(term: Terminology, binding: Json, type_code: str, item: object, loc: str, sink: Sink, *,
                  tx: TerminologyService | None = None, language: str | None = None) -> None:
    """Judge a code / Coding / CodeableConcept (a Quantity's unit) against the element's binding; where the terminology
    held here cannot decide, ``tx`` (a terminology service, in the resource's ``language``) may (tx_issues.py)."""
    strength, vs_url = binding.get("strength"), binding.get("valueSet")
    if not isinstance(vs_url, str):
        return
    codings = _codings(type_code, item)
    vs_name = _vs_name(vs_url)
    if codings or (type_code == "CodeableConcept" and isinstance(item, dict)):
        if term.names_code_system_only(vs_name):
            # InstanceValidator.validateBindingCodeableConcept / validateBindingCodedElement / checkPrimitiveBinding:
            # the value set does not resolve and a CodeSystem has its URL: TERMINOLOGY_TX_VALUESET_NOTFOUND_CS, an
            # error whatever the strength (example included), for every value HL7 judges against the binding
            sink.error("code-invalid", loc, f"the binding names the CodeSystem {vs_name} where a ValueSet "
                                            f"belongs")
            return
    if strength not in ("required", "extensible", "preferred"):
        return
    max_vs = _max_value_set(binding) if strength == "extensible" else None
    if not codings:
        if type_code == "CodeableConcept" and isinstance(item, dict) and not _resolves(term, vs_name):
            # InstanceValidator.validateBindingCodeableConcept: both errors below are in the branch where the value
            # set resolved; one HL7 cannot resolve is TERMINOLOGY_TX_VALUESET_NOTFOUND (a warning) and no more
            if strength == "required" or max_vs is not None:
                sink.info("value-set-unknown", loc, f"the value set {vs_name} is not held locally: the {strength} "
                                                    "binding was not checked" + how_to_supply(vs_name))
        elif type_code == "CodeableConcept" and strength == "required" and isinstance(item, dict):
            sink.error("code-invalid", loc,
                       f"no code provided, and a code is required from the value set {vs_name}")
        elif type_code == "CodeableConcept" and max_vs is not None and isinstance(item, dict):
            # InstanceValidator.validateBindingCodeableConcept: TERMINOLOGY_TX_CODE_VALUESETMAX
            sink.error("code-invalid", loc, f"no code provided, and a code must be provided from the maximum value "
                                            f"set {max_vs}")
        return
    expansion = term.expand(vs_name)
    if expansion is None and _on_server(tx, term, vs_name, strength, type_code, item, codings, loc, sink, language,
                                        max_vs):
        return
    if expansion is None:
        sink.info("value-set-unknown", loc, f"the value set {vs_name} is not held locally: "
                                            f"the {strength} binding was not checked"
                                            + how_to_supply(vs_name))
        return
    verdicts = _verdicts(term, vs_name, expansion, type_code, item, codings)
    for why in terminology_versions.version_mismatches(term, vs_name, type_code, item):  # an error at any strength
        sink.error("code-invalid", loc, why)
    if any(v is True for v in verdicts):
        _partly_held(tx, term, vs_name, strength, type_code, item, loc, sink, language)
        return
    shown = _shown(codings)
    if any(v is None for v in verdicts) and _on_server(tx, term, vs_name, strength, type_code, item, codings, loc,
                                                       sink, language, max_vs):
        return
    if any(v is None for v in verdicts):
        sink.info("code-system-unknown", loc, f"{shown}: cannot be checked locally against the {strength} value set "
                                              f"{vs_name} (a code system that is not held locally)")
        return
    message = f"{shown} is not in the value set {vs_name} ({strength} binding)"
    if strength == "required":
        if type_code in _PRIMITIVES and codings[0][0] is None and unplaced(term, vs_name, codings[0][1]):
            # a bare code is first placed in a system of the value set, and none has it: HL7's validator says so
            # as an error of its own (ValueSetValidator.systemForCodeInValueSet, UNABLE_TO_INFER_CODESYSTEM)
            sink.error("code-invalid", loc, f"no system of the value set {vs_name} has the code "
                                            f"{codings[0][1]!r}, so its system could not be determined")
        sink.error("code-invalid", loc, message)
        _inactive_codes(term, vs_name, codings, loc, sink)
    elif strength == "extensible":
        sink.warning("binding-extensible", loc, message)
        _inactive_codes(term, vs_name, codings, loc, sink)
        if max_vs is not None:
            _check_max(term, max_vs, type_code, item, codings, shown, loc, sink, tx, language)
    else:
        sink.warning("binding-preferred", loc, message)
        _inactive_codes(term, vs_name, codings, loc, sink)


def _resolves(term: Terminology, vs_name: str) -> bool:
    """Whether HL7's validator would have the binding's value set (BaseValidator.resolveBindingReference): held,
    one ImplicitValueSets generates, or a ``#id`` of the profile's contained ones (not resolved here; kept judged,
    as a profile's own contained value set is there for HL7)."""
    return term.value_set(vs_name) is not None or is_implicit_value_set(vs_name) or vs_name.startswith("#")


def _shown(codings: list[tuple[str | None, str]]) -> str:
    """The codings as messages name them: ``system#code``, or a bare code quoted."""
    return ", ".join(f"{s}#{c}" if s else repr(c) for s, c in codings)


def _on_server(tx: TerminologyService | None, term: Terminology, vs_name: str, strength: str, type_code: str,
               item: object, codings: list[tuple[str | None, str]], loc: str, sink: Sink, language: str | None,
               max_vs: str | None = None) -> bool:
    """Whether the terminology service answered for a binding the terminology held here cannot decide (its answer
    then reported, and the maximum value set judged where HL7 goes on to checkMaxValueSet). Only a value set held
    here is sent, as HL7's validator sends the one it resolved; a Quantity's unit is not (HL7 judges units by
    UCUM)."""
    value_set = term.value_set(vs_name) if tx is not None and type_code not in QUANTITY_TYPES else None
    if value_set is None:
        return False
    concept = type_code == "CodeableConcept"
    answer = tx_issues.ask(tx, tx_issues.request(item, concept, value_set, language, sink))
    if answer is None:
        return False
    shown = _shown(codings)
    if tx_issues.report_binding(answer, concept, strength, vs_name, shown, loc, sink,
                                lambda i: concept and _held(term, item, i), has_max=max_vs is not None) \
            and max_vs is not None:
        _check_max(term, max_vs, type_code, item, codings, shown, loc, sink, tx, language)
    return True


def _partly_held(tx: TerminologyService | None, term: Terminology, vs_name: str, strength: str, type_code: str,
                 item: object, loc: str, sink: Sink, language: str | None) -> None:
    """A CodeableConcept one of whose codings is in the value set here while another's code cannot be looked up
    here (its system, or version, not held): HL7's validateBindingCodeableConcept sends the whole CodeableConcept
    with the value set (checkCodeOnServer; the client side cannot judge every coding), and the server's issues
    about the codings not held (an unknown code, a wrong display) stand. Membership stays as judged here (a coding
    is in), so only the issues are kept."""
    value_set = term.value_set(vs_name) if tx is not None and type_code == "CodeableConcept" else None
    if value_set is None:  # no service, or nothing to send it
        return
    count = len(as_list(item.get("coding"))) if isinstance(item, dict) else 0
    if all(_held(term, item, i) or not _coded(item, i) for i in range(count)):
        return
    answer = tx_issues.ask(tx, tx_issues.request(item, True, value_set, language, sink))
    if answer is not None:
        tx_issues.report_issues(answer, loc, sink, strength, judged_here=lambda i: _held(term, item, i))


def _coded(concept: object, index: int) -> bool:
    """Whether the CodeableConcept's coding at ``index`` has a system and a code (what a server can look up)."""
    coding = as_list(concept.get("coding"))[index] if isinstance(concept, dict) else None
    return isinstance(coding, dict) and isinstance(coding.get("system"), str) and isinstance(coding.get("code"), str)


def _held(term: Terminology, concept: object, index: int) -> bool:
    """Whether the CodeableConcept's coding at ``index`` is of a system whose codes are judged here."""
    found = concept.get("coding") if isinstance(concept, dict) else None
    coding = found[index] if isinstance(found, list) and 0 <= index < len(found) else None
    system, code = (coding.get("system"), coding.get("code")) if isinstance(coding, dict) else (None, None)
    return isinstance(system, str) and isinstance(code, str) and term.code_in_system(system, code) is not None


def _inactive_codes(term: Terminology, vs_url: str, codings: list[tuple[str | None, str]], loc: str,
                    sink: Sink) -> None:
    """ValueSetValidator.inComponent: a value set whose compose says ``inactive: false`` refuses an inactive code of
    an include's system with an error of its own (STATUS_CODE_WARNING_CODE, a code-rule issue InstanceValidator
    keeps as an error whatever the binding's strength; under a required binding beside TERMINOLOGY_TX_NOVALID_12)."""
    vs = term.value_set(vs_url)
    compose = vs.get("compose") if isinstance(vs, dict) else None
    if not isinstance(compose, dict) or compose.get("inactive") is not False:
        return
    systems = {i.get("system") for i in as_list(compose.get("include")) if isinstance(i, dict)}
    for system, code in codings:
        if system is not None and system in systems and term.is_inactive(system, code):
            sink.error("code-invalid", loc, f"{system}#{code} is not active, and the value set {vs_url} takes "
                                            f"active codes only (compose.inactive is false)")


_PRIMITIVES = frozenset({"code", "string", "uri"})


def has_codes(type_code: str, item: object) -> bool:
    """Whether a value has a coded value check_binding judges (a CodeableConcept with text alone has none)."""
    return bool(_codings(type_code, item))


def _codings(type_code: str, item: object) -> list[tuple[str | None, str]]:
    """(system, code) of each coded value in a code / Coding / CodeableConcept / Quantity (a primitive's system
    None); a Coding or Quantity without a code or a system gives none."""
    codings: list[tuple[str | None, str]] = []
    if type_code in _PRIMITIVES:
        if isinstance(item, str) and item:
            codings = [(None, item)]
    elif isinstance(item, dict):
        if type_code == "CodeableConcept":
            coding = item.get("coding")
            for c in coding if isinstance(coding, list) else ():  # a non-list coding is reported by the walk
                if isinstance(c, dict) and isinstance(c.get("code"), str):
                    codings.append((c.get("system") if isinstance(c.get("system"), str) else None, c["code"]))
        elif isinstance(item.get("code"), str) and isinstance(item.get("system"), str):
            # a Coding or Quantity is judged against its binding only with a system beside its code
            # (InstanceValidator.checkCodedElement: ``theSystem != null && theCode != null``)
            codings = [(item["system"], item["code"])]
    return codings


_MAX_VALUE_SET = "http://hl7.org/fhir/StructureDefinition/elementdefinition-maxValueSet"


def _max_value_set(binding: Json) -> str | None:
    """The binding's maximum value set (R4's elementdefinition-maxValueSet extension), if it names one."""
    for ext in binding.get("extension") or ():
        if isinstance(ext, dict) and ext.get("url") == _MAX_VALUE_SET:
            value = ext.get("valueCanonical", ext.get("valueUri"))
            if isinstance(value, str):
                return _vs_name(value)
    return None


def _verdicts(term: Terminology, vs_url: str, expansion: Expansion, type_code: str, item: object,
              codings: list[tuple[str | None, str]]) -> list[bool | None]:
    """Each coded value's membership, as ValueSetValidator.codeInValueSet answers it: a CodeableConcept's coding
    without a system by its own rule (systemless_member), a Coding at a version not held unknown (coding_versions)."""
    versions = terminology_versions.coding_versions(type_code, item)
    return [systemless_member(term.value_set(vs_url), code, term.value_set)
            if system is None and type_code == "CodeableConcept"
            else None if system is not None and not term.holds_version(system, versions.get((system, code)))
            else _listed_only(term, system, expansion, code) for system, code in codings]


def _listed_only(term: Terminology, system: str | None, expansion: Expansion, code: str) -> bool | None:
    """A code the value set does not list, of a system nobody here or on HL7's server knows, is not known to be out:
    ValueSetValidator.inComponent, on a system with no complete (or fragment) CodeSystem, asks the server with the
    include alone and, the server not knowing the system either (CODESYSTEM_UNSUPPORTED), "takes it at face value":
    a listed code is in, any other unknown (null: "Unable to check whether code is in value set", a warning). OSIRIS's
    gene panels (publisher 1.2.23). Systems HL7's server holds (SNOMED CT, LOINC, THO, the core's) stay judged, and
    a system the value set does not include is out ("system not equals vsi.getSystem(): false")."""
    verdict = expansion.contains(system, code)
    if verdict is not False or system is None or expansion.kind(system) != "list":
        return verdict
    cs = term.code_system(system)
    if cs is not None and cs.get("content", "complete") in ("complete", "fragment"):
        return verdict
    if system in GRAMMARS or system in OWN_CHECKERS or system.startswith(SERVER_KNOWN):
        return verdict
    return None


def _check_max(term: Terminology, max_vs: str, type_code: str, item: object, codings: list[tuple[str | None, str]],
               shown: str, loc: str, sink: Sink, tx: TerminologyService | None = None,
               language: str | None = None) -> None:
    """Codes outside an extensible binding's value set must still be in its maximum value set:
    InstanceValidator.checkMaxValueSet (TERMINOLOGY_TX_NOVALID_8 / _10 / _11, errors). What the terminology held
    here cannot decide (a maximum value set it cannot expand, a code whose system is not held) goes to ``tx``
    with the maximum value set, as checkMaxValueSet's checkCodeOnServer; without an answer it is not judged."""
    value_set = term.value_set(max_vs) if tx is not None and type_code not in QUANTITY_TYPES else None
    expansion = term.expand(max_vs)
    if expansion is None and term.names_code_system_only(max_vs):  # checkMaxValueSet: _VALUESET_NOTFOUND_CS
        sink.error("code-invalid", loc, f"the maximum value set names the CodeSystem {max_vs} where a ValueSet "
                                        f"belongs")
        return
    verdicts = _verdicts(term, max_vs, expansion, type_code, item, codings) if expansion is not None else [None]
    if value_set is not None and not any(v is True for v in verdicts) and any(v is None for v in verdicts):
        concept = type_code == "CodeableConcept"
        answer = tx_issues.ask(tx, tx_issues.request(item, concept, value_set, language, sink))
        if answer is not None:
            tx_issues.report_max(answer, max_vs, shown, loc, sink, lambda i: concept and _held(term, item, i))
            return
    if expansion is None:
        sink.info("value-set-unknown", loc, f"the maximum value set {max_vs} is not held locally: not checked"
                                            + how_to_supply(max_vs))
        return
    if all(v is False for v in verdicts):
        sink.error("code-invalid", loc, f"{shown} is not in the maximum value set {max_vs} (an extensible binding "
                                        "allows other codes only within it)")


def checks_system_form(term: Terminology, binding: Json | None, in_codeable_concept: bool) -> bool:
    """Whether HL7's validator judges a Coding's system form itself (InstanceValidator.checkCode: build.fhir.org,
    ``.html``, a SNOMED/LOINC/UCUM/RxNorm URI with a tail, https). checkCoding skips a CodeableConcept's coding
    whose element has no binding of its own (the CodeableConcept is judged whole by the terminology service,
    where an unknown system is a warning, ``not-found``), and checkCodedElement reaches checkCode only when no
    binding was checked: none, no value set, an example one, or a value set it could not resolve."""
    if binding is None:
        return not in_codeable_concept
    vs_url = binding.get("valueSet")
    if binding.get("strength") == "example" or not isinstance(vs_url, str):
        return True
    return term.expand(_vs_name(vs_url)) is None


def _no_value_set(binding: Json | None) -> bool:
    """Whether no binding's value set can be checked whatever HL7 holds: none, an example one, or none named."""
    return binding is None or binding.get("strength") == "example" or not isinstance(binding.get("valueSet"), str)


def check_coding(term: Terminology, coding: Json, loc: str, sink: Sink, *, binding: Json | None = None,
                 in_codeable_concept: bool = False, language: str | None = None,
                 display_binding: Json | None = None, tx: TerminologyService | None = None) -> None:
    """A Coding whose system we hold must use one of its codes, whatever the binding. Its system is judged only
    beside a code (InstanceValidator.checkCodedElement needs both), its form as checks_system_form says; its
    display as ValueSetValidator compares it in ``language`` (the resource's, see display_matches), or as the value
    set of ``display_binding`` (the Coding's, or its CodeableConcept's) gives it."""
    system, code = coding.get("system"), coding.get("code")
    if isinstance(system, str) and isinstance(code, str):
        if ":" not in system:
            sink.error("coding-system", f"{loc}.system", f"Coding.system must be an absolute URI, not {system!r}")
            return
        if term.names_value_set_only(system):
            sink.error("coding-system", f"{loc}.system", f"Coding.system {system} is a value set, not a code system")
            return
        if term.is_supplement(system):
            sink.error("coding-system", f"{loc}.system", f"Coding.system {system} is a CodeSystem supplement "
                                                         f"(it adds to another code system), not a code system")
            return
        judged = checks_system_form(term, binding, in_codeable_concept)
        if judged and not system.startswith(("http:", "https:", "urn:")) and _no_value_set(binding):
            # checkCodedElement, no binding checked: TERMINOLOGY_TX_SYSTEM_RELATIVE (isCodeSystemReferenceValid);
            # a value set named but not expandable here may still be one HL7 resolves (its implicit LOINC / SNOMED
            # value sets, a package not loaded here), and then only Utilities.isAbsoluteUrl is asked: not judged
            sink.error("coding-system", f"{loc}.system", f"Coding.system {system!r} is not an http:, https: or urn: "
                                                         f"URI")
            return
        wrong = system_problem(term, system) if judged else None
        if wrong is not None:
            sink.error("coding-system", f"{loc}.system", wrong)
            return
    if not isinstance(system, str) or not isinstance(code, str):
        return
    version = coding.get("version")
    if tx is not None and not in_codeable_concept and not binding_checked(term, binding) \
            and not decides(term, system, code, version if isinstance(version, str) else None):
        answer = tx_issues.ask(tx, tx_issues.request(coding, False, None, language, sink))
        if answer is not None:
            tx_issues.report_code(answer, False, f"{system}#{code}", loc, sink, lambda _i: False)
            return
    if isinstance(version, str) and not term.holds_version(system, version):
        # ValueSetValidator.validateCode resolves the system at the Coding's version: another version than the one
        # held is UNKNOWN_CODESYSTEM_VERSION (not-found: a warning unless a required binding), its codes unjudged
        # (offline only: with a server HL7 sends the coding there, ValueSetValidator's isNoTerminologyServer branch)
        if tx is None and (held := terminology_versions.unknown_version(term, system, version)) is not None:
            terminology_versions.report(term, system, version, held, loc, sink, display_binding)
            return
        sink.info("code-system-unknown", loc, f"{system} version {version} is not held locally: the code was not "
                                              f"checked")
        return
    if isinstance(version, str) and system in SERVER_SIDE:
        return  # a SNOMED CT / LOINC release HL7's server may not hold (UNKNOWN_CODESYSTEM_VERSION): not judged
    known = term.code_in_system(system, code)
    if known is False:  # v2-0203's NN + country codes answer None there (Terminology.code_in_system)
        sink.error("code-unknown", loc, f"unknown code {code!r} in the code system {system}"
                                        + _why(system, code))
    elif known is True and isinstance(coding.get("display"), str):
        _check_display(term, system, code, coding["display"], loc, sink, language, display_binding)
    elif known is None:
        fragment_warning(term, system, code, loc, sink)


def binding_checked(term: Terminology, binding: Json | None) -> bool:
    """Whether HL7's validator judges the value against its binding (then no general check follows): a value set
    it resolves, a strength other than example (checkCodedElement / checkCodeableConcept's ``checked``)."""
    vs_url = binding.get("valueSet") if binding is not None else None
    return isinstance(vs_url, str) and binding is not None and binding.get("strength") != "example" \
        and term.value_set(_vs_name(vs_url)) is not None


def decides(term: Terminology, system: str, code: str, version: str | None) -> bool:
    """Whether the terminology held here can tell if the code is in its system (at the version named)."""
    if version is not None and system in SERVER_SIDE:
        return False  # a release named that only the server can say it holds
    return (version is None or term.holds_version(system, version)) and term.code_in_system(system, code) is not None


def check_concept(term: Terminology, concept: Json, loc: str, sink: Sink, *, binding: Json | None,
                  tx: TerminologyService | None, language: str | None) -> None:
    """checkCodeableConcept's general check: a CodeableConcept whose binding was not checked is sent whole to the
    server, without a value set. Only when one of its codings is of a system (or version) not held here; what the
    answer says of the others is dropped (the local rules judged them)."""
    if tx is None or binding_checked(term, binding):
        return
    undecided = [not decides(term, c["system"], c["code"], c.get("version") if isinstance(c.get("version"), str)
                             else None) if isinstance(c, dict) and isinstance(c.get("system"), str)
                 and isinstance(c.get("code"), str) else False for c in as_list(concept.get("coding"))]
    if not any(undecided):
        return
    answer = tx_issues.ask(tx, tx_issues.request(concept, True, None, language, sink))
    if answer is not None:
        tx_issues.report_code(answer, True, "", loc, sink,
                              lambda i: not (0 <= i < len(undecided) and undecided[i]))


def wrong_display(term: Terminology, system: str, code: str, display: str, language: str | None) -> bool:
    """Whether ValueSetValidator finds the display wrong for a code of a CodeSystem held here."""
    concept = term.concept(system, code)
    cs = term.code_system(system)
    # ValueSetValidator judges displays only in a CodeSystem it can use (complete, fragment): one with example
    # content goes to HL7's terminology server, whose answer is not known here
    return not (concept is None or cs is None or cs.get("content", "complete") not in ("complete", "fragment")
                or display_matches(display, concept, cs.get("language"), language))


def _check_display(term: Terminology, system: str, code: str, display: str, loc: str, sink: Sink,
                   language: str | None, binding: Json | None) -> None:
    """A wrong display: a warning unless asked for an error (HL7's default): UK Core 2.0.2's own examples write
    'In person' for 'In-person', and a display is for people; the code is what systems act on."""
    if not wrong_display(term, system, code, display, language):
        return
    vs_url = binding.get("valueSet") if binding is not None and binding.get("strength") != "example" else None
    if isinstance(vs_url, str) and value_set_display(term.value_set(_vs_name(vs_url)), system, code, display,
                                                     language, term.value_set):
        return  # ValueSetValidator validates against the bound value set, whose own display it accepts (R4 runner)
    concept = term.concept(system, code) or {}
    valid = sorted({concept["display"]} if isinstance(concept.get("display"), str) else set())
    sink.display("code-display", f"{loc}.display",
                 f"wrong display {display!r} for {system}#{code}: "
                 + (f"valid is {' or '.join(repr(d) for d in valid)}" if valid else "the code has no display")
                 + (f" (in the language {language})" if language else ""))


QUANTITY_TYPES = frozenset({"Quantity", "Age", "Count", "Distance", "Duration", "SimpleQuantity", "MoneyQuantity"})
# the Quantity types whose system and code HL7's validator judges: InstanceValidator.checkChildByDefinition calls
# checkQuantity for the type "Quantity" alone (SimpleQuantity and MoneyQuantity are profiles of it); an Age,
# Count, Distance or Duration is left to its invariants (age-1, drt-1...), its unit never looked up
CODED_QUANTITY_TYPES = frozenset({"Quantity", "SimpleQuantity", "MoneyQuantity"})


def check_quantity(term: Terminology, quantity: Json, loc: str, sink: Sink, *, binding: Json | None = None,
                   type_code: str = "Quantity", tx: TerminologyService | None = None, language: str | None = None
                   ) -> None:
    """A Quantity's code must be a code of its system when we can tell (UCUM by its grammar, or a loaded
    CodeSystem); anything else (no system, a system we do not hold) is not judged. Its system's form is judged
    as a Coding's (InstanceValidator.checkQuantity hands system and code to checkCodedElement). An Age, Count,
    Distance or Duration is not judged at all: see CODED_QUANTITY_TYPES. A code of a system not held goes to ``tx``
    as InstanceValidator.checkQuantity sends it (system and code, the unit not checked as a display)."""
    system, code = quantity.get("system"), quantity.get("code")
    if type_code not in CODED_QUANTITY_TYPES or not isinstance(system, str) or not isinstance(code, str):
        return
    form = checks_system_form(term, binding, False)
    if form:
        # checkCodedElement's site reached from checkQuantity when no binding checked the code (fvsite9): two rules,
        # each at the Quantity, TERMINOLOGY_TX_SYSTEM_RELATIVE (isCodeSystemReferenceValid) and
        # TERMINOLOGY_TX_SYSTEM_VALUESET2 (isValueSet); the code is checked only when both pass
        relative = not system.startswith(("http:", "https:", "urn:"))
        value_set = term.names_value_set_only(system)
        if relative:
            sink.error("coding-system", loc, f"Quantity.system {system!r} is not an http:, https: or urn: URI")
        if value_set:
            sink.error("coding-system", loc, f"Quantity.system {system!r} is a value set, not a code system")
        if relative or value_set:
            return
    if ":" not in system:
        return
    wrong = system_problem(term, system) if form else None
    if wrong is not None:
        sink.error("coding-system", f"{loc}.system", wrong)
        return
    known = term.code_in_system(system, code)
    if known is False:
        sink.error("code-unknown", loc, f"unknown code {code!r} in the code system {system}"
                                        + _why(system, code))
    elif known is None and not fragment_warning(term, system, code, loc, sink) and tx is not None \
            and not binding_checked(term, binding):
        # checkQuantity -> checkCodedElement -> checkCode: system and code to the server, the unit not as a display
        answer = tx_issues.ask(tx, tx_issues.request({"system": system, "code": code}, False, None, language, sink))
        if answer is not None:
            tx_issues.report_code(answer, False, f"{system}#{code}", loc, sink, lambda _i: False)


def _why(system: str, code: str) -> str:
    if system == UCUM:
        reason = problem(code)
        return f" (not a UCUM unit: {reason})" if reason else ""
    return " (not well-formed for that system)" if system in GRAMMARS else ""
