"""Whether a SNOMED CT Expression Constraint (ECL) parses, for the simple forms only.

HL7's validator hands a SNOMED CT ``constraint`` filter's value to its terminology server
(SnomedCTChecker.checkFilterValue), whose ECL parser reports a syntax error as VALUESET_BAD_FILTER_VALUE_INVALID,
an error. A syntax error needs no server: this judges the expressions made of concept references
(``id |term|``), the wildcard, constraint operators (``<``, ``<<``, ``<!``, ``<<!``, ``>``, ``>>``, ``>!``,
``>>!``, ``!!<``, ``!!>``), member-of (``^``), parentheses, AND / OR / MINUS / ``,`` and dotted attributes (ECL
2.x, SNOMED International's specification, section 5 "Brief syntax"). Anything else (refinements ``:``,
filters ``{{ }}``, cardinalities, concrete values, the long-form operator words, a mix of AND and OR without
parentheses) is not judged: a parse failure there could be this parser's lack, not the expression's fault.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\s*(?:(?P<id>[0-9]+)|(?P<term>\|[^|]*\|)|(?P<op><<!|<<|<!|<|>>!|>>|>!|>|!!<|!!>)"
                    r"|(?P<punct>[\^*().,])|(?P<word>[A-Za-z]+))")
_UNJUDGED = re.compile(r"[:{}\[\]#\"=@~]")
_CONNECTIVES = ("AND", "OR", "MINUS", ",")


def problem(value: str) -> str | None:
    """Why ``value`` is no ECL expression, or None when it parses or is a form not judged here."""
    if _UNJUDGED.search(re.sub(r"\|[^|]*\|", "", value)):
        return None
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(value.rstrip()):
        m = _TOKEN.match(value, pos)
        if m is None or m.end() == pos:
            return None  # a character this parser does not know: not judged
        kind = m.lastgroup or ""
        text = m.group(kind)
        if kind == "word":
            if text.upper() not in _CONNECTIVES:
                return None  # a long-form operator or keyword: not judged
            kind, text = "punct", text.upper()
        tokens.append((kind, text))
        pos = m.end()
    parser = _Parser(tokens)
    try:
        parser.expression()
        if parser.i != len(tokens):
            raise _Fail(f"unexpected {tokens[parser.i][1]!r}")
    except _Fail as fail:
        return None if fail.unjudged else f"Invalid ECL: {fail}"
    except RecursionError:  # nested past the interpreter's stack: only this value goes unjudged, not the resource
        return None
    return None


class _Fail(Exception):
    def __init__(self, message: str, unjudged: bool = False) -> None:
        super().__init__(message)
        self.unjudged = unjudged


class _Parser:
    """Recursive descent over the brief syntax's compound, dotted and sub-expression constraints."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.i = 0

    def _peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def _kind(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def expression(self) -> None:
        self.sub()
        if self._peek() == ".":
            while self._peek() == ".":
                self.i += 1
                self.attribute()
            return
        seen: set[str] = set()
        while self._peek() in _CONNECTIVES:
            seen.add("OR" if self._peek() == "OR" else "AND" if self._peek() in ("AND", ",") else "MINUS")
            if len(seen) > 1:
                raise _Fail("mixed connectives", unjudged=True)
            self.i += 1
            self.sub()

    def attribute(self) -> None:
        if self._kind() == "op":
            self.i += 1
        self.focus()

    def sub(self) -> None:
        if self._kind() == "op":
            self.i += 1
        if self._peek() == "^":
            self.i += 1
        self.focus()

    def focus(self) -> None:
        token = self._peek()
        if token == "*":
            self.i += 1
        elif token == "(":
            self.i += 1
            self.expression()
            if self._peek() != ")":
                raise _Fail("expected ')'")
            self.i += 1
        elif self._kind() == "id":
            self.i += 1
            if self._kind() == "term":
                self.i += 1
        else:
            raise _Fail(f"expected a concept, '*' or '(' but found {token!r}" if token else "unexpected end")
