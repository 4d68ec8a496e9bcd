"""Whether a string is a UCUM unit code: the ``http://unitsofmeasure.org`` code system, judged offline.

UCUM is a grammar, not a list, so no CodeSystem can enumerate it. ``ucumvert`` (already the
dependency that converts Quantities in bounds.py) parses a code with a lark grammar built from UCUM's
own ``ucum-essence.xml`` (atoms, prefixes, which atoms take prefixes): that is the judge here, so
``mmHg`` and ``fmm[Hg]`` are not units while ``mm[Hg]``, ``10*3/uL`` and ``mL/min/{1.73_m2}`` are.

Other libraries looked at, and why not them: ``pyucum`` validates through the NLM's UCUM web API (a
network call a validator must not make); ``ucumate`` (well kept, Apache-2.0) embeds a Java library and
starts a JVM in-process through JPype, which needs a Java 21 runtime on every machine; ``pint`` alone does
not speak UCUM. When ``ucumvert`` is not installed nothing is judged: the answer is None (information).
"""

from __future__ import annotations

import functools
import re
from typing import Any

UCUM = "http://unitsofmeasure.org"
# The units clinical resources use most, answered without building the parser (~0.2 s of CPU at the first
# UCUM code of a process); test_ucum.py proves each is accepted by the full grammar.
COMMON = frozenset({
    "1", "%", "/min", "/h", "/d", "a", "mo", "wk", "d", "h", "min", "s", "ms", "kg", "g", "mg", "ug", "ng", "pg",
    "[lb_av]", "[oz_av]", "m", "cm", "mm", "[in_i]", "[ft_i]", "L", "dL", "mL", "uL", "fL", "Cel", "[degF]",
    "mm[Hg]", "kg/m2", "mmol/L", "umol/L", "nmol/L", "mg/dL", "g/dL", "g/L", "mg/L", "U/L", "[iU]/L",
    "10*9/L", "10*12/L", "10*3/uL", "mL/min", "L/min", "/[HPF]", "{beats}/min", "{breaths}/min", "{score}", "m2",
})
_MAX_LENGTH = 200  # longer codes are refused unparsed: lark's work grows with the input
# An annotation's text is free: UCUM's reference lexer (ucum-java's Lexer.checkAnnotation, which HL7's validator
# uses) takes any ASCII from space to '~' up to the closing brace, so R4's own ucum-common value set has
# "{# of calculi}" and "%{Negative Control}". Its text is replaced by one letter before the grammar sees it.
_ANNOTATION = re.compile(r"\{([^}]*)\}")


@functools.cache
def _parser() -> Any:
    try:
        from ucumvert import get_ucum_parser
    except ImportError:  # not installed: UCUM codes are then not judged
        return None
    return get_ucum_parser()


@functools.lru_cache(maxsize=4096)
def problem(code: str) -> str | None:
    """Why ``code`` is not a UCUM unit ("" when it is one); None when UCUM cannot be judged here."""
    if code in COMMON:
        return ""
    parser = _parser()
    if parser is None:
        return None
    texts = _ANNOTATION.findall(code)
    if any(not " " <= c <= "~" for text in texts for c in text):
        return "an annotation holds characters other than printable ASCII"
    bare = _ANNOTATION.sub(lambda m: "{a}" if m.group(1) else "{}", code) if texts else code
    if not bare or bare != bare.strip() or any(c.isspace() for c in bare):
        return "a UCUM code has no spaces (outside an annotation) and is not empty"
    if len(code) > _MAX_LENGTH:
        return f"longer than {_MAX_LENGTH} characters"
    from ucumvert import InvalidUcumError, parse_ucum

    try:
        parse_ucum(bare, parser)
    except InvalidUcumError as exc:
        return str(exc).splitlines()[0]
    except Exception as exc:  # noqa: BLE001 - lark raises several kinds for input its grammar rejects
        return f"{code!r} is not a valid UCUM unit ({type(exc).__name__})"
    return ""


def is_unit(code: str) -> bool | None:
    """True / False, or None when UCUM cannot be judged here (``ucumvert`` missing)."""
    found = problem(code)
    return None if found is None else found == ""


def has_annotation(code: str) -> bool:
    """Whether a UCUM code carries a ``{...}`` annotation (ignored when units are compared)."""
    return "{" in code
