"""One bounded JSON loader and printer for everything that reads or shows JSON from outside.

``json.loads`` alone lets a hostile document crash the run: nesting past Python's recursion limit
raises ``RecursionError`` (in the parser or, later, in any printer that walks the value), and an
integer of more than 4,300 digits raises a bare ``ValueError`` from ``int()``. Here both become a
:class:`JsonLimitError` (a ``ValueError``) with a sentence saying which limit was passed, and
:func:`bounded` cuts a parsed value to a printable shape instead of recursing without end.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 256
MAX_INT_DIGITS = 1_000


class JsonLimitError(ValueError):
    """The document is JSON but passes a limit (depth or integer size) the harness will not cross."""


def _parse_int(text: str) -> int:
    if len(text) <= MAX_INT_DIGITS:  # the common case, decided without counting digits
        return int(text)
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise JsonLimitError(f"the JSON has an integer of {digits:,} digits; the limit is {MAX_INT_DIGITS:,}")
    return int(text)


class FloatText(float):
    """A JSON number read as a float that keeps its text: one a double cannot hold (``1e400`` is infinity) or one
    of more digits than a double keeps. HL7's validator keeps every number as its text, and judges a decimal's text
    (Utilities.checkDecimal): a float alone would lose what it judges. Equal to the float in every other use."""

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> FloatText:
        value = super().__new__(cls, text)
        value.text = text
        return value

    def __reduce__(self) -> tuple[type[FloatText], tuple[str]]:
        return FloatText, (self.text,)


_LONG = 19  # a text of up to 19 characters (sign, point, 18 digits) cannot pass checkDecimal's 18 digits


def parse_float(text: str) -> float:
    """``float``, but a number with an exponent (``1e400`` overflows a double, ``1e-400`` underflows it, and
    checkDecimal counts the exponent's digits) or more characters than checkDecimal's 18 digits may take is a
    :class:`FloatText`, the text it was read from kept."""
    if len(text) > _LONG or "e" in text or "E" in text:
        return FloatText(text)
    return float(text)


def depth(value: Any) -> int:
    """How deeply ``value`` nests, walked level by level (no recursion, so no depth can overflow it; 2.4x
    faster than a stack of (item, level) pairs on a searchset Bundle)."""
    level = [value] if isinstance(value, dict | list) else []
    deepest = 0
    while level:
        deepest += 1
        below: list[Any] = []
        for item in level:
            children = item.values() if isinstance(item, dict) else item
            below.extend([c for c in children if isinstance(c, (dict, list))])  # a tuple: faster than dict | list
        level = below
    return deepest


def loads(data: bytes | bytearray | str, *, max_depth: int = MAX_DEPTH, **kwargs: Any) -> Any:
    """``json.loads`` that raises :class:`JsonLimitError` past ``max_depth`` or ``MAX_INT_DIGITS``.

    Other failures are ``json.JSONDecodeError`` and ``UnicodeDecodeError`` as with ``json.loads``.
    """
    try:
        value = json.loads(data, parse_int=_parse_int, parse_float=parse_float, **kwargs)
    except RecursionError:
        raise JsonLimitError(f"the JSON is nested too deeply to read (the limit is {max_depth} levels)") from None
    if not _may_nest_past(data, max_depth, kwargs):
        return value
    found = depth(value)
    if found > max_depth:
        raise JsonLimitError(f"the JSON is nested {found:,} levels deep; the limit is {max_depth}")
    return value


def _may_nest_past(data: bytes | bytearray | str, max_depth: int, kwargs: dict[str, Any]) -> bool:
    """False when the text cannot nest deeper than ``max_depth``, so the walk over the parsed value (about
    5% of a campaign's CPU) is not needed: every level is opened by its own ``[`` or ``{`` in the text (as
    one such byte in UTF-8, -16 or -32; those inside strings only add to the count). A hook may build
    values of its own, so with any the value is always walked."""
    if kwargs:
        return True
    if isinstance(data, str):
        return data.count("[") + data.count("{") > max_depth
    return data.count(b"[") + data.count(b"{") > max_depth


def bounded(value: Any, max_depth: int = MAX_DEPTH) -> Any:
    """A copy of ``value`` safe to print: containers past ``max_depth`` and huge ints become text."""
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        # int.bit_length is cheap; str() of a >4,300-digit int raises, so show its size instead.
        if value.bit_length() > MAX_INT_DIGITS * 3.33:
            return f"[integer of about {int(value.bit_length() / 3.33):,} digits]"
        return value
    if isinstance(value, dict | list | tuple):
        if max_depth <= 0:
            return f"[{type(value).__name__} nested too deeply; truncated]"
        if isinstance(value, dict):
            return {str(k): bounded(v, max_depth - 1) for k, v in value.items()}
        return [bounded(v, max_depth - 1) for v in value]
    return value


def dumps(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` of :func:`bounded` ``value``: never a ``RecursionError`` or a huge-int error."""
    return json.dumps(bounded(value), **kwargs)
