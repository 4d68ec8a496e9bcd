"""Filter rules for the code systems HL7's validator has a checker of its own for, or holds no CodeSystem of.

ValueSetValidator.validateValueSetIncludeFilter judges every include filter with the checker
``getSystemValidator`` picks, whether or not the CodeSystem is held: SnomedCTChecker for SNOMED CT (its
own property names and operators), GeneralCodeSystemChecker for a system it holds nothing of (the names and
rules every code system has: CodeSystemChecker.listPropertyNames / rulesForFilter). A property the checker
does not know is only a warning there (VALUESET_UNKNOWN_FILTER_PROPERTY[_NO_CS]) and nothing more is judged;
a known one must use an allowed operator (VALUESET_BAD_FILTER_OP) and a value of its type. LOINC's, RxNorm's,
UCUM's, CPT's and BCP-47's checkers are not followed here (their filters are left alone).

A rule is (value type, whether the value must be a code of the system, allowed operators: empty = any).
"""

from __future__ import annotations

from conformance.fhirval.terminology_grammars import SNOMED_CT

Rule = tuple[str | None, bool, frozenset[str]]

# SnomedCTChecker.listPropertyNames: the concept model attributes (tx.fhir.org's expansion of
# ``isa/410662002``, as the checker lists them, hapifhir/org.hl7.fhir.core b06c7ee)
_SNOMED_ATTRIBUTES = frozenset("""
    410662002 42752001 47429007 116676008 116686009 118168003 118169006 118170007 118171006 127489000
    131195008 246075003 246090004 246093002 246112005 246454002 246456000 246501002 246513007 246514001
    255234002 260507000 260686004 260870009 263502005 272741003 288556008 363589002 363698007 363699004
    363700003 363701004 363702006 363703001 363704007 363705008 363709002 363710007 363713009 363714003
    370129005 370130000 370131001 370132008 370133003 370134009 370135005 371881003 405813007 405814001
    405815000 405816004 408729009 408730004 408731000 408732007 410675002 411116001 418775008 419066007
    424226004 424244007 424361007 424876005 425391005 609096000 704319004 704320005 704321009 704322002
    704323007 704324001 704325000 704326004 704327008 704346009 704347000 704647008 718497002 719715003
    719722006 726542003 726633004 732943007 732945000 732947008 733722007 733725009 733928003 733930001
    733931002 733932009 733933004 734136001 734137005 736472000 736473005 736474004 736475003 736476002
    736518005 738774007 762705008 762706009 762949000 762951001 763032000 766939001 774081006 774158006
    774159003 774160008 774163005 827081001 836358009 840560000 860779006 860781008 1003703000
    1003735000 1142135004 1142136003 1142137007 1142138002 1142139005 1142140007 1142141006 1142142004
    1142143009 1148793005 1148965004 1148967007 1148968002 1148969005 1149366004 1149367008 1230370004
    320091000221107
""".split())
_SNOMED: dict[str, Rule] = {
    # SnomedCTChecker.rulesForFilter; ``constraint`` (ECL) goes to the server (checkFilterValue), whose syntax
    # errors are judged here for the simple forms (ecl.py)
    "constraint": ("ecl", False, frozenset({"="})),
    "expressions": ("boolean", False, frozenset({"=", "in"})),
    "inactive": ("boolean", False, frozenset({"=", "in"})),
    "concept": ("code", True, frozenset({"is-a", "is-not-a", "in", "descendent-of", "descendent-leaf"})),
}
_ATTRIBUTE: Rule = ("code", True, frozenset({"=", "in"}))

# CodeSystemChecker.listPropertyNames (names every code system has) and rulesForFilter for R4
_HIERARCHY_OPS = frozenset({"=", "in", "is-a", "descendent-of", "is-not-a", "generalizes", "not-in"})
GENERIC: dict[str, Rule] = {
    "concept": ("code", True, _HIERARCHY_OPS), "code": ("code", True, _HIERARCHY_OPS | {"regex"}),
    "status": ("code", False, frozenset()), "inactive": ("boolean", False, frozenset()),
    "effectiveDate": ("dateTime", False, frozenset()), "deprecationDate": ("dateTime", False, frozenset()),
    "retirementDate": ("dateTime", False, frozenset()), "notSelectable": ("boolean", False, frozenset()),
    "parent": ("code", True, frozenset()), "child": ("code", True, frozenset()), "partOf": ("code", True, frozenset()),
    "synonym": ("code", False, frozenset()), "itemWeight": ("decimal", False, frozenset()),
}
# CodeSystemChecker.listPropertyNames: the names every code system has (``comment`` without rules; parent, child
# and partOf have rules but are no such names)
PROPERTY_NAMES = frozenset({"concept", "code", "status", "inactive", "effectiveDate", "deprecationDate",
                            "retirementDate", "notSelectable", "synonym", "comment", "itemWeight"})
_GENERIC_NAMES = PROPERTY_NAMES & frozenset(GENERIC)
# Systems HL7's validator judges with a checker of its own (ValueSetValidator.getSystemValidator); of them only
# SNOMED CT's filters are judged here (has_own_checker), the others' left alone
OWN_CHECKERS = frozenset({"http://snomed.info/sct", "http://loinc.org", "http://www.nlm.nih.gov/research/umls/rxnorm",
                          "http://unitsofmeasure.org", "http://www.ama-assn.org/go/cpt", "urn:ietf:bcp:47"})


def snomed_rule(prop: str) -> Rule | None:
    """SnomedCTChecker's rule for a filter property; None for a property it does not list (a warning there)."""
    if prop in _SNOMED:
        return _SNOMED[prop]
    return _ATTRIBUTE if prop in _SNOMED_ATTRIBUTES else None


def unheld_rule(prop: str) -> Rule | None:
    """GeneralCodeSystemChecker's rule for a filter on a system no CodeSystem is held for (a hint when unknown)."""
    return GENERIC[prop] if prop in _GENERIC_NAMES else None


def has_own_checker(system: str) -> bool:
    """Whether the system is one whose filters are judged here by a checker of its own (SNOMED CT alone)."""
    return system == SNOMED_CT
