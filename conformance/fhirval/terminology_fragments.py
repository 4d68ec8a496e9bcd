"""A code that a ``fragment`` CodeSystem held here lacks: HL7's UNKNOWN_CODE_IN_FRAGMENT, a warning.

HL7's ValueSetValidator.validateCode(path, Coding, CodeSystem, ..) finds no concept for the code: in a CodeSystem
whose content is ``fragment`` that is UNKNOWN_CODE_IN_FRAGMENT ("Unknown Code '{0}' in the CodeSystem '{1}' version
'{2}' - note that the code system is labeled as a fragment, so the code may be valid in some other fragment"), a
``warning`` issue of tx-issue-type ``invalid-code``, where a complete CodeSystem's missing code is the error
UNKNOWN_CODE_IN_VERSION. It is reached with or without a binding (validateCode(path, Coding) resolves the system
before any value set is asked), and InstanceValidator.calculateSeverityForTxIssuesAndUpdateErrors reports the issue
as it is (invalid-code is not an ignored tx issue type). A value set's membership is left undecided by it
(inComponent's markFromFragment: no NONE_OF_THE_PROVIDED_CODES), which Terminology already reads as unknown.
Seen in HAPI FHIR's FhirResourceDaoR4ValidateTest (testValidateWithFragmentCodeSystem_*; issue 21, fvjpa15).
"""

from __future__ import annotations

from conformance.fhirval.issues import Sink
from conformance.fhirval.terminology import Terminology


def fragment_warning(term: Terminology, system: str, code: str, loc: str, sink: Sink) -> bool:
    """Warn when ``system`` is held as a fragment CodeSystem that lacks ``code``; True when it did."""
    if not term.fragment_lacks(system, code):
        return False
    sink.warning("code-unknown", loc, f"unknown code {code!r} in the code system {system}, which is labelled a "
                                      f"fragment: the code may be valid in another fragment")
    return True
