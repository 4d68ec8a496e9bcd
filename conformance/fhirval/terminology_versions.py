"""A Coding naming a version of a code system held here at other versions only: HL7's UNKNOWN_CODESYSTEM_VERSION.

HL7's ValueSetValidator resolves a coding's system at the version the coding names
(``resolveCodeSystem(c.getSystem(), version, ...)``). When no CodeSystem of that version is in its context, it says
so: ``getUnknownCodeSystemMessage`` (validateCode for a CodeableConcept, the ``isNoTerminologyServer`` branch) and
``checkSystem`` / the value set's include check (line "Set<String> versions = resolveCodeSystemVersions(system)") both
raise UNKNOWN_CODESYSTEM_VERSION, "A definition for CodeSystem '{0}' version '{1}' could not be found, so the code
cannot be validated. Valid versions: {2}", an ``error`` issue of tx-issue-type ``not-found`` at the coding's
``system``, listing the versions its context holds (presentVersionList). InstanceValidator then sets its severity
(``getTxIssueWithCalculatedSeverity``): an error under a required binding when the text names an HL7 code system
(``http://hl7.org/fhir`` or ``http://terminology.hl7.org``), a warning otherwise (no binding, another strength, another
system). The answer follows from what the context holds, so it is reached here without a server, as HL7's
validator reaches it without one.

Not for SNOMED CT and LOINC (in SERVER_SIDE_LIST below): their editions and releases are held by the server,
not the validator's context, so only the server knows which it has (s-fvqareg's Trauma case); nor for a system not
held at all (UNKNOWN_CODESYSTEM, the server's business), nor when the version named is one held here.
"""

from __future__ import annotations

from conformance.fhirval import semver
from conformance.fhirval.issues import Sink
from conformance.fhirval.source import Json, version_resolves
from conformance.fhirval.terminology import Terminology
from conformance.fhirval.terminology_filters import as_list

HL7_SYSTEMS = ("http://hl7.org/fhir", "http://terminology.hl7.org")  # getTxIssueWithCalculatedSeverity's isHL7


# ValueSetValidator.SERVER_SIDE_LIST: systems HL7's validator always sends to its server, whatever its context
# holds (THO's stubs for NDC, RxNorm and the like included), so no version of theirs is judged from local copies
# (terminology_grammars.SERVER_SIDE, SNOMED CT and LOINC, is the part of it whose releases the grammars leave alone).
SERVER_SIDE_LIST = frozenset({
    "http://fdasis.nlm.nih.gov", "http://hl7.org/fhir/sid/ndc", "http://loinc.org", "http://snomed.info/sct",
    "http://unitsofmeasure.org", "http://unstats.un.org/unsd/methods/m49/m49.htm", "http://varnomen.hgvs.org",
    "http://www.nlm.nih.gov/research/umls/rxnorm", "https://www.usps.com/", "urn:ietf:bcp:13", "urn:ietf:bcp:47",
    "urn:ietf:rfc:3986", "urn:iso:std:iso:3166", "urn:iso:std:iso:4217", "urn:oid:1.2.36.1.2001.1005.17"})
THO_SYSTEMS = "http://terminology.hl7.org/"
_WILDCARDS = frozenset("xX*?")


def unknown_version(term: Terminology, system: str, version: str) -> list[str] | None:
    """The versions held when ``system`` is held here but not at ``version`` (so HL7's context has no CodeSystem for
    it); None when the rule does not apply: not held, held at that version, a version with wildcards (HL7 matches
    them against every copy, VersionUtilities.versionMatches: left unjudged), a system HL7 leaves to its server, a
    stub whose codes are not here, or an HL7 Terminology system while that package was not found (HL7's context
    always holds THO's copy, so the versions held here would be an incomplete list)."""
    if system in SERVER_SIDE_LIST or _WILDCARDS & set(version):
        return None
    if system.startswith(THO_SYSTEMS) and not term.has_terminology_package():
        return None
    cs = term.code_system(system)
    if cs is None or cs.get("content") == "not-present":
        return None
    held = term.versions_held(system)
    if not held or any(version_resolves(h, version) for h in held):
        return None
    return held


def version_list(versions: list[str]) -> str:
    """ValueSetProcessBase.presentVersionList: sorted, ", " between, " or " before the last."""
    found = sorted(versions)
    return found[0] if len(found) == 1 else ", ".join(found[:-1]) + " or " + found[-1]


def report(term: Terminology, system: str, version: str, held: list[str], loc: str, sink: Sink,
           binding: Json | None) -> None:
    """UNKNOWN_CODESYSTEM_VERSION at the coding's system, at the severity getTxIssueWithCalculatedSeverity gives a
    ``not-found`` issue: an error only under a required binding whose value set HL7 resolves (the coding is then
    validated against it: validateBindingCodeableConcept / validateBindingCodedElement), for an HL7 code system."""
    vs_url = binding.get("valueSet") if binding is not None else None
    required = binding is not None and binding.get("strength") == "required" and isinstance(vs_url, str) \
        and term.value_set(vs_url.split("|")[0]) is not None
    text = (f"A definition for CodeSystem '{system}' version '{version}' could not be found, so the code cannot be "
            f"validated. Valid versions: {version_list(held)}")
    if required and any(h in text for h in HL7_SYSTEMS):
        sink.error("code-system-unknown", f"{loc}.system", text)
    else:
        sink.warning("code-system-unknown", f"{loc}.system", text)


def coding_versions(type_code: str, item: object) -> dict[tuple[str | None, str], str]:
    """The version a Coding (or a CodeableConcept's coding) names, by (system, code): ValueSetValidator.inComponent
    resolves the CodeSystem at that version, and one not held answers null (UNKNOWN_CODESYSTEM_VERSION, not found),
    so the code is not judged against the version held."""
    if type_code not in ("Coding", "CodeableConcept") or not isinstance(item, dict):
        return {}
    found = item.get("coding") if type_code == "CodeableConcept" else [item]
    return {(c.get("system"), c["code"]): c["version"] for c in (found if isinstance(found, list) else ())
            if isinstance(c, dict) and isinstance(c.get("code"), str) and isinstance(c.get("version"), str)
            and isinstance(c.get("system"), (str, type(None)))}


def determine_version(held: list[str], system: str, version_vs: str, version_coding: str) -> str | None:
    """ValueSetValidator.determineVersion(path, system, vsi, versionVS, versionCoding, issues, va) for an include
    pinning ``version_vs``, the CodeSystem held at ``held`` (none: not held): the message of the error it raises,
    or None. A coding version more detailed than the include's (versionIsMoreDetailed: semver by versionMatches,
    other versions by startsWith) is the one used; the CodeSystem is fetched at it (semver.resolve, as the
    context's CanonicalResourceManager.getByPackage); found at another version than the coding's (and not one the
    coding's is less detailed than), VALUESET_VALUE_MISMATCH_CHANGED when the version used was the coding's,
    VALUESET_VALUE_MISMATCH when the include's differs from the coding's; not found, VALUESET_VALUE_MISMATCH when
    the version used is not the coding's."""
    result = version_coding if semver.more_detailed(version_vs, version_coding) else version_vs
    cs_version = semver.resolve(held, result)
    if cs_version is not None:
        if version_coding == cs_version or semver.more_detailed(version_coding, cs_version):
            return None
        if result != version_vs:
            return (f"The code system '{system}' version '{result}' resulting from the version '{version_vs}' in "
                    f"the ValueSet include is different to the one in the value ('{version_coding}')")
        if version_vs == version_coding:
            return None
    elif result == version_coding:
        return None
    return (f"The code system '{system}' version '{result}' in the ValueSet include is different to the one in the "
            f"value ('{version_coding}')")


def version_mismatches(term: Terminology, vs_url: str, type_code: str, item: object) -> list[str]:
    """A Coding's ``version`` that no include of its system in the value set accepts (ValueSetValidator.inComponent
    -> determineVersion, above: an ``invalid`` issue that InstanceValidator keeps an error whatever the binding's
    strength). ProstateCancerSpec's ICD-10-GM 2026 codings against MII's 2025 include (publisher 2.2.7), the
    CodeSystem not held. Judged only when every include of the system pins a version and none accepts the coding's
    (an include naming the coding's own version is the one used, shouldUseThisVersion); an include that pins no
    version (whose version may be implied by another's) and imports are not judged."""
    versions = coding_versions(type_code, item)
    if not versions:  # nearly every value: no coding names a version, so the value set is not read
        return []
    vs = term.value_set(vs_url)
    compose = vs.get("compose") if isinstance(vs, dict) else None
    includes = [i for i in as_list(compose.get("include")) if isinstance(i, dict)] if isinstance(compose, dict) else []
    out = []
    judged: dict[tuple[str, str], str | None] = {}  # codes of one system and version share the answer
    for (system, _code), version in versions.items():
        if system is None:
            continue
        if (system, version) not in judged:
            named = [inc.get("version") for inc in includes if inc.get("system") == system]
            pinned = [v for v in named if isinstance(v, str)]
            judged[system, version] = (None if not named or len(pinned) < len(named)
                                       else _refused(term.versions_held(system), system, pinned, version))
        if (found := judged[system, version]) is not None:
            out.append(found)
    return out


def _refused(held: list[str], system: str, pinned: list[str], version: str) -> str | None:
    """The first include's message when no include accepts the coding's version, else None: each version the
    includes pin asked once (a value set may include one system many times at one version), and the asking
    stopped at the first that accepts (a value set of thousands of includes cost a second a coding before)."""
    first = None
    for p in dict.fromkeys(pinned):
        found = determine_version(held, system, p, version)
        if found is None:
            return None
        first = first or found
    return first
