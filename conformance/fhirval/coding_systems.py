"""What InstanceValidator.checkCode says of a Coding.system's form, before any code is looked up.

Split from bindings.py: the namespaces HL7's terminology server holds, and the system URIs that are pages or
misspellings of a known system (errors in HL7's validator whatever the binding).
"""

from __future__ import annotations

from conformance.fhirval.terminology import Terminology

CORE_PREFIXES = ("http://hl7.org/fhir/", "https://hl7.org/fhir/", "http://www.hl7.org/fhir/",
                 "https://www.hl7.org/fhir/")
EXTERNAL = ("http://snomed.info/sct", "http://loinc.org", "http://unitsofmeasure.org",
            "http://www.nlm.nih.gov/research/umls/rxnorm")
# namespaces whose code systems HL7's terminology server holds (the core's, THO's, the ISO and IETF standards')
SERVER_KNOWN = (*CORE_PREFIXES, "http://terminology.hl7.org/", "urn:ietf:", "urn:iso:", *EXTERNAL)
NO_HTTPS = frozenset({"https://loinc.org", "https://unitsofmeasure.org", "https://snomed.info/sct",
                      "https://www.nlm.nih.gov/research/umls/rxnorm"})


def system_problem(term: Terminology, system: str) -> str | None:
    """What is wrong with a Coding.system no CodeSystem held here answers for, as InstanceValidator.checkCode says
    (errors there): a build.fhir.org page (TERMINOLOGY_TX_SYSTEM_WRONG_BUILD), a page of the FHIR specification
    (``.html``, _WRONG_HTML), SNOMED CT, LOINC, UCUM or RxNorm with something after their URI (_INVALID), and
    ``https`` for a system known by ``http`` (_HTTPS). Not judged: a core-namespace system R4 does not define
    (TERMINOLOGY_TX_SYSTEM_UNKNOWN is reached only when no terminology server supports it, and HL7's runs have one
    that knows later versions' core systems), nor an IG's own; but one written ``https://`` or ``www.`` no CodeSystem
    and no server has, so HL7's checkCode says TERMINOLOGY_TX_SYSTEM_UNKNOWN (TraumaIG's pattern Coding
    ``https://hl7.org/fhir/R4/v3/ActEncounterCode``, publisher 1.8.15)."""
    if term.code_system(system) is not None:
        return None
    if system.startswith(("http://build.fhir.org", "https://build.fhir.org")):
        return f"{system} is a page of the FHIR build, not a code system"
    if system.startswith(CORE_PREFIXES):
        if system.endswith(".html"):
            return f"{system} is a page of the FHIR specification, not a code system"
        if not system.startswith("http://hl7.org/"):  # HL7 names its code systems http://hl7.org/fhir/...: none
            return f"unknown code system {system} (HL7's code systems are http://hl7.org/fhir/..., never https or www)"
        return None
    if any(system.startswith(e) and system != e for e in EXTERNAL):
        return f"{system} is not a valid code system URI ({next(e for e in EXTERNAL if system.startswith(e))} is)"
    if system in NO_HTTPS or (system.startswith("https:") and term.code_system("http:" + system[6:]) is not None):
        return f"{system}: the code system's URI is http:{system[6:]} (http, not https)"
    return None
