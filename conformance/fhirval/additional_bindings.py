"""Additional bindings on a profile's element, judged on the instance as HL7's validator judges them.

R5's ``ElementDefinition.binding.additional`` reaches an R4 profile as an extension on the binding, under either of
two URLs (VersionConvertor 40_50 ElementDefinition40_50.convertElementDefinitionBindingComponent turns both into
``additional``): HL7's tools extension ``additional-binding`` and the cross-version
``extension-ElementDefinition.binding.additional``. InstanceValidator (checkCodeableConcept, checkTerminologyCoding,
checkCodedElement: CodeableConcept, Coding, Quantity; never a primitive ``code``, whose checkPrimitiveBinding reads
no additional binding) then judges each value against every additional binding that is testable (a value set, and a
purpose convertPurposeToStrength maps: ``maximum`` and ``required`` as a required binding, ``extensible``,
``preferred``; ``current``, ``ui``, ``starter``, ``component`` are not tested) and in scope (``isInScope``: no
``usage``, or a usage the validator was told of or the data matches). A usage is judged out of scope here, never
tested: a miss at worst, never a false alarm.

The judgement is the base binding's (bindings.check_binding) at the additional binding's strength; its issues name
the additional binding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from conformance.fhirval.bindings import check_binding
from conformance.fhirval.issues import Sink
from conformance.fhirval.source import Json, value_of

if TYPE_CHECKING:
    from conformance.fhirval.terminology import Terminology
    from conformance.fhirval.tx_service import TerminologyService

URLS: Final = ("http://hl7.org/fhir/tools/StructureDefinition/additional-binding",
               "http://hl7.org/fhir/5.0/StructureDefinition/extension-ElementDefinition.binding.additional")
_STRENGTH: Final = {"maximum": "required", "required": "required", "extensible": "extensible",
                    "preferred": "preferred"}


def testable(binding: Json) -> list[tuple[str, str, str]]:
    """(purpose, strength, value set) of each additional binding HL7 tests without a usage context."""
    out: list[tuple[str, str, str]] = []
    for ext in binding.get("extension") or ():
        if not isinstance(ext, dict) or ext.get("url") not in URLS:
            continue
        parts = [p for p in ext.get("extension") or () if isinstance(p, dict)]
        purpose = next((value_of(p) for p in parts if p.get("url") == "purpose"), None)
        # convertAdditional casts the valueSet's value to CanonicalType: another type is no binding HL7 tests
        value_set = next((p.get("valueCanonical") for p in parts if p.get("url") == "valueSet"), None)
        strength = _STRENGTH.get(purpose) if isinstance(purpose, str) else None
        if strength is None or not isinstance(value_set, str) or any(p.get("url") == "usage" for p in parts):
            continue
        out.append((str(purpose), strength, value_set))
    return out


def check_additional(term: Terminology, binding: Json, type_code: str, item: object, loc: str, sink: Sink, *,
                     tx: TerminologyService | None = None, language: str | None = None) -> None:
    """Judge the value against each testable additional binding of its element's binding."""
    for purpose, strength, value_set in testable(binding):
        probe = Sink()
        check_binding(term, {"strength": strength, "valueSet": value_set}, type_code, item, loc, probe, tx=tx,
                      language=language)
        for issue in probe.issues:
            # a preferred binding's miss is txHint (information) where, as here, it is not the base binding
            severity = "information" if strength == "preferred" and issue.severity == "warning" else issue.severity
            sink.add(severity, issue.defect, issue.location,
                     f"{issue.message} (an additional binding, purpose {purpose})")
