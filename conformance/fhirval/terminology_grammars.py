"""Code systems defined by a grammar rather than a list: UCUM, BCP-47 language tags, BCP-13 media types.

No CodeSystem resource can enumerate them (R4 ships none, or a ``not-present`` stub), so a ValueSet
that includes one whole (``mimetypes``, ``all-languages``, ``ucum-units``) could otherwise never judge a
code. Each judge answers True / False, or None when it cannot tell here. The BCP judges check syntax
only (RFC 5646, RFC 6838): a well-formed tag that no registry lists still passes, which may miss an
error but never raises a false one; a media type that is not ``type/subtype`` is not judged at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from conformance.fhirval import ucum

BCP47 = "urn:ietf:bcp:47"
BCP13 = "urn:ietf:bcp:13"

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


GRAMMARS: dict[str, Callable[[str], bool | None]] = {
    ucum.UCUM: ucum.is_unit,
    BCP47: language_tag,
    BCP13: media_type,
}


def judge(system: str, code: str) -> bool | None:
    """Whether ``code`` belongs to the grammar-defined ``system``; None for any other system."""
    rule = GRAMMARS.get(system)
    return rule(code) if rule is not None else None
