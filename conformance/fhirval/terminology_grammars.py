"""Code systems defined by a grammar rather than a list: UCUM, BCP-47 language tags, BCP-13 media types.

No CodeSystem resource can enumerate them (R4 ships none, or a ``not-present`` stub), so a ValueSet
that includes one whole (``mimetypes``, ``all-languages``, ``ucum-units``) could otherwise never judge a
code. Each judge answers True / False, or None when it cannot tell here. The BCP judges check syntax
only (RFC 5646, RFC 6838): a well-formed tag that no registry lists still passes, which may miss an
error but never raises a false one; a media type that is not ``type/subtype`` is not judged at all.

SNOMED CT and LOINC are listed too, for their identifiers' form only: a code that is not a well-formed SCTID
(LOINC code) can be no concept of any edition (release), which HL7's validator learns from its terminology server
("Unknown code"); a well-formed one is never judged here (None), so a whole-system include stays as open as
before.

ISO 3166 (countries, subdivisions), ISO 4217 (currencies) and UN M49 (regions) are listed for what their lists and
code forms tell: a code on the current list is one (True), a code of the form the list lacks is not judged (None),
and what has no code's form ('Australia' as a country code) is none (False). HL7's validator asks its server about
all four: ISO 3166, ISO 4217 and M49 always (ValueSetValidator.SERVER_SIDE_LIST), ISO 3166-2 because its context
holds no CodeSystem for it (THO has none), and the server holds it (HL7's recorded answers: "CodeSystem found:
urn:iso:std:iso:3166:-2|2021"); their displays are not judged here (the server's display texts are
not pycountry's: R4's own examples write ISO's 'United States of America (the)').
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from conformance.fhirval import ucum

BCP47 = "urn:ietf:bcp:47"
BCP13 = "urn:ietf:bcp:13"
SNOMED_CT = "http://snomed.info/sct"
LOINC = "http://loinc.org"

_ALNUM = "[A-Za-z0-9]"
_LANGTAG = re.compile(
    r"(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"  # language, extlang
    r"(?:-[A-Za-z]{4})?"  # script
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"  # region
    rf"(?:-(?:{_ALNUM}{{5,8}}|[0-9]{_ALNUM}{{3}}))*"  # variants
    rf"(?:-[0-9A-WY-Za-wy-z](?:-{_ALNUM}{{2,8}})+)*"  # extensions
    rf"(?:-[xX](?:-{_ALNUM}{{1,8}})+)?"  # private use
    rf"|[xX](?:-{_ALNUM}{{1,8}})+"  # private use alone
    r"|[iI]-[A-Za-z]{3,8}|[A-Za-z]{2,3}-[A-Za-z]{2,3}-[A-Za-z]{3,8}"  # grandfathered, loosely
)
_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]{0,126}"
_MEDIA_TYPE = re.compile(rf"{_NAME}/{_NAME}(?:\s*;\s*[^;\s=]+=(?:\"[^\"]*\"|[^;\s]+))*\s*")


def language_tag(code: str) -> bool:
    return _LANGTAG.fullmatch(code) is not None


def media_type(code: str) -> bool | None:
    """True for a well-formed ``type/subtype``; otherwise not judged (None): HL7's validator accepts the
    ``xml`` / ``json`` / ``ttl`` shorthands of ``CapabilityStatement.format`` and wildcards like ``image/*``
    under the same binding, so a failed match is no proof of a wrong code."""
    return True if _MEDIA_TYPE.fullmatch(code) is not None else None


# Verhoeff's dihedral check as SNOMED CT's release file specification 6.4.2 gives it: the D5 multiplication table,
# and F(0) the identity, F(1) given, F(i, j) = F(i - 1, F(1, j))
_D5 = ((0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5), (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
       (3, 4, 0, 1, 2, 8, 9, 5, 6, 7), (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
       (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3), (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
       (9, 8, 7, 6, 5, 4, 3, 2, 1, 0))
_F: list[tuple[int, ...]] = [tuple(range(10)), (1, 5, 7, 6, 2, 8, 3, 0, 9, 4)]
for _i in range(2, 8):
    _F.append(tuple(_F[_i - 1][_F[1][j]] for j in range(10)))
_TOKEN = re.compile(r"[A-Za-z0-9]+")
_SCTID = re.compile(r"[1-9][0-9]{5,17}")


def sctid(code: str) -> bool | None:
    """False for a code made only of letters and digits that is no SCTID (6 to 18 digits, no leading zero, the
    last a Verhoeff check digit: SNOMED CT release file specification 6.1, 6.4), so no concept of any edition;
    None otherwise: a well-formed SCTID may or may not be a concept, and anything else may be a post-coordinated
    expression (``|``, ``:``, ``=``...), which HL7's terminology server parses and this does not."""
    if _TOKEN.fullmatch(code) is None:
        return None
    if _SCTID.fullmatch(code) is None:
        return False
    check = 0
    for i, digit in enumerate(reversed(code)):
        check = _D5[check][_F[i % 8][ord(digit) - 48]]
    return None if check == 0 else False


_LOINC = re.compile(r"(?:L[A-Z])?([0-9]+)-([0-9])", re.IGNORECASE)


def loinc_code(code: str) -> bool | None:
    """False for what no LOINC code looks like: digits, a hyphen and a check digit, the part, answer, answer-list
    and group codes with their two-letter prefix (LP, LA, LL, LG); a plain numeric code's check digit is the Mod 10
    LOINC's users' guide gives (Luhn's: every other digit from the right doubled). None otherwise. Measured on the
    3,254 numeric LOINC codes of R4's examples, fhir-test-cases' r4 folder and five guides: none fails."""
    m = _LOINC.fullmatch(code)
    if m is None:
        return False
    if code[0].isdigit():
        total = 0
        for i, ch in enumerate(reversed(m.group(1))):
            d = (ord(ch) - 48) * (2 if i % 2 == 0 else 1)
            total += d // 10 + d % 10
        if (10 - total % 10) % 10 != int(m.group(2)):
            return False
    return None


ISO3166 = "urn:iso:std:iso:3166"
ISO3166_2 = "urn:iso:std:iso:3166:-2"
ISO4217 = "urn:iso:std:iso:4217"
M49 = "http://unstats.un.org/unsd/methods/m49/m49.htm"
_COUNTRY_FORM = re.compile(r"[A-Za-z]{2,3}|[0-9]{3}")  # alpha-2, alpha-3, numeric (ISO 3166-1)
_SUBDIVISION_FORM = re.compile(r"[A-Za-z]{2}-[A-Za-z0-9]{1,3}")  # ISO 3166-2: a country code, '-', up to 3
_CURRENCY_FORM = re.compile(r"[A-Za-z]{3}|[0-9]{3}")  # ISO 4217: alphabetic and numeric codes
_M49_FORM = re.compile(r"[0-9]{3}")  # UN M49: three digits


@functools.cache
def _iso_codes() -> dict[str, frozenset[str]]:
    """The ISO code lists pycountry packages (the Debian iso-codes project's, already a dependency for GS1): current
    countries' alpha-2, alpha-3 and numeric codes, subdivisions, currencies' alphabetic and numeric codes."""
    import pycountry

    countries = pycountry.countries
    return {
        ISO3166: frozenset(str(getattr(c, a)) for c in countries for a in ("alpha_2", "alpha_3", "numeric")
                           if hasattr(c, a)),
        ISO3166_2: frozenset(str(s.code) for s in pycountry.subdivisions),
        ISO4217: frozenset(str(getattr(c, a)) for c in pycountry.currencies for a in ("alpha_3", "numeric")
                           if hasattr(c, a)),
    }


def _listed_or_formed(system: str, form: re.Pattern[str]) -> Callable[[str], bool | None]:
    """True for a code the current ISO list has; None for one of the code's form it lacks (a withdrawn, reserved or
    newer code HL7's terminology server may hold); False for what has not even the form of a code of the system
    (a name such as 'Australia'): no code of any release of the list, so HL7's server finds it in none."""
    def judge_code(code: str) -> bool | None:
        if code in _iso_codes()[system]:
            return True
        return None if form.fullmatch(code) else False
    return judge_code


def m49_code(code: str) -> bool | None:
    """UN M49 codes are three digits: anything else is no code (HL7's server: "Code 'AU' not found"); which
    three-digit codes M49 assigns is not held here (None)."""
    return None if _M49_FORM.fullmatch(code) else False


GRAMMARS: dict[str, Callable[[str], bool | None]] = {
    ucum.UCUM: ucum.is_unit,
    BCP47: language_tag,
    BCP13: media_type,
    SNOMED_CT: sctid,
    LOINC: loinc_code,
    # HL7's ValueSetValidator sends these to its terminology server (SERVER_SIDE_LIST), whose answer on a code's
    # membership follows from the ISO / UN lists: judged here by the list and the code's form, never a display
    ISO3166: _listed_or_formed(ISO3166, _COUNTRY_FORM),
    ISO3166_2: _listed_or_formed(ISO3166_2, _SUBDIVISION_FORM),
    ISO4217: _listed_or_formed(ISO4217, _CURRENCY_FORM),
    M49: m49_code,
}

# Judged here by their identifiers' form only; HL7's validator asks its terminology server, which holds some of
# their editions / releases: a version named that the server does not hold leaves the code unjudged there
# (UNKNOWN_CODESYSTEM_VERSION; a ValueSet's listed codes then only warnings), so a code at a pinned version is not
# judged here.
SERVER_SIDE = frozenset({SNOMED_CT, LOINC})


def judge(system: str, code: str) -> bool | None:
    """Whether ``code`` belongs to the grammar-defined ``system``; None for any other system."""
    rule = GRAMMARS.get(system)
    return rule(code) if rule is not None else None


V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"  # identifier types: findSpecialConcept knows NNxxx


def special_concept(system: str, code: str) -> bool | None:
    """ValueSetValidator.findSpecialConcept, asked for a code the system's table lacks (in the system, and in a value
    set that includes it whole): v2-0203's NN + an ISO 3166 country code is a national person identifier (NNFIN,
    NNGBR). Its findCountryCode asks validateCode of urn:iso:std:iso:3166 (the server): the country list held here
    answers as judge() does for a code of it (listed: one; of no country code's form: none, False;
    another of the form: not judged, None). Any other code: False."""
    if system == V2_0203 and code.startswith("NN") and len(code) > 3:
        return judge(ISO3166, code[2:])
    return False


def is_implicit_value_set(url: str) -> bool:
    """Whether a binding's URL is one HL7's validator turns into a value set when none is held
    (BaseValidator.resolveBindingReference falls back to ImplicitValueSets.generateImplicitValueSet, r5
    terminologies/ImplicitValueSets.java:57-69): SNOMED CT's and LOINC's implicit value sets, all of UCUM, the
    MIME types (also named by BCP 13's address). Never a CodeSystem named by mistake; judged only if held. SNOMED
    CT's only with its ``?fhir_vs`` query: generateImplicitSnomedValueSet returns null for the bare system URI
    (isImplicitSCTValueSet: ``?fhir_vs``), so a binding to ``http://snomed.info/sct`` is still the mistake
    (TERMINOLOGY_TX_VALUESET_NOTFOUND_CS; publisher 1.6.13's qa.txt on SanteonNL shared-care-planning says so)."""
    return ((url.startswith("http://snomed.info/sct") and "?fhir_vs" in url) or url.startswith("http://loinc.org/vs")
            or url in ("http://unitsofmeasure.org/vs", "http://hl7.org/fhir/ValueSet/mimetypes",
                       "http://www.rfc-editor.org/bcp/bcp13.txt"))
