"""JSON as HL7's validator reads it when ``json.loads`` refuses it: JSON5-lenient, each liberty reported in place.

HL7's elementmodel.JsonParser reads every JSON instance with org.hl7.fhir.utilities.json.parser.JsonParser
``parseObject(source, isJson5=true, allowDuplicates=true)``: its JsonLexer skips ``//`` line comments (a ``/*``
is no comment to it), reads a word as an unquoted string, and a number as any run of ``0-9 . - + e E``; its
parser reads past a missing comma and a comma before ``}`` or ``]``. The element parser then reports each as an
error and validates the rest (elementmodel.JsonParser: JSON_COMMENTS_NOT_ALLOWED at the element the comments
come before, checkComments; JSON_COMMA_MISSING and JSON_PROPERTY_NO_QUOTES at the object, processChildren;
JSON_COMMA_EXTRA at the object or the array's property, parseChildren/parseChildComplex; JSON_PROPERTY_VALUE_NO_QUOTES
at the value). A missing comma between array items is read without a word (the item's flag is never reported).

So a resource with a comment is invalid for the comment, not unreadable: the rest of it is judged too. Only a
document ``json.loads`` refuses comes here; anything this reader refuses as well stays "not JSON". A number token
that is no JSON number (``925.``) is kept as its text, for the element's type to refuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from conformance import safejson

_SPACE = re.compile(r"[ \t\r\n]*")
_NUMBER = re.compile(r"[0-9.+eE-]*")
_WORD = re.compile(r"[A-Za-z0-9_.-]*")
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"', re.S)
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "/": "/", "n": "\n", "r": "\r", "t": "\t"}
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.S)


class LenientJsonError(ValueError):
    """Not even HL7's lenient reader can read it (the message says what and where)."""


class LenientJsonTooDeep(LenientJsonError):
    """Nested deeper than safejson.MAX_DEPTH: refused as the strict reader refuses it, whatever else is wrong."""


@dataclass(frozen=True)
class Liberty:
    """One liberty the document takes: ``path`` below the root ("" is the root, else ``.name[0]...``), HL7's
    message id and its message."""

    path: str
    key: str
    message: str


@dataclass
class _Token:
    kind: str  # { } [ ] : , string word number eof
    text: str
    at: int


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.comments = 0
        self.liberties: list[Liberty] = []
        self.duplicates: list[tuple[dict[str, Any], str]] = []
        self.tok = self.lex()

    def fail(self, what: str, at: int, kind: type[LenientJsonError] = LenientJsonError) -> LenientJsonError:
        line = self.text.count("\n", 0, at) + 1
        return kind(f"{what} at line {line} column {at - (self.text.rfind(chr(10), 0, at) + 1) + 1}")

    def lex(self) -> _Token:
        """The next token; the ``//`` comments skipped on the way are counted for the next element to take."""
        text = self.text
        while True:
            self.pos = _SPACE.match(text, self.pos).end()  # type: ignore[union-attr]
            if text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
                self.comments += 1
                continue
            break
        at = self.pos
        if at >= len(text):
            return _Token("eof", "", at)
        ch = text[at]
        if ch in "{}[]:,":
            self.pos += 1
            return _Token(ch, ch, at)
        if ch == '"':
            m = _STRING.match(text, at)
            if m is None:
                raise self.fail("an unclosed string", at)
            self.pos = m.end()
            return _Token("string", self.unescape(m.group(1), at), at)
        # ASCII only, as JsonLexer.next (`ch >= '0' && ch <= '9'`, Utilities.isAlphabetic: a-z, A-Z): any other
        # digit or letter (str.isdigit's '\u0663', str.isalpha's 'é') is "Unexpected content", a fatal read error
        if "0" <= ch <= "9" or ch == "-":
            self.pos = _NUMBER.match(text, at).end()  # type: ignore[union-attr]
            return _Token("number", text[at:self.pos], at)
        if "a" <= ch <= "z" or "A" <= ch <= "Z" or ch == "_":
            self.pos = _WORD.match(text, at + 1).end()  # type: ignore[union-attr]
            return _Token("word", text[at:self.pos], at)
        raise self.fail(f"unexpected content {ch!r}", at)

    def unescape(self, raw: str, at: int) -> str:
        def one(m: re.Match[str]) -> str:
            code = m.group(1)
            if code[0] == "u" and len(code) == 5:
                return chr(int(code[1:], 16))
            if code not in _ESCAPES:  # JsonLexer knows no \b nor \f
                raise self.fail(f"an unknown escape sequence \\{code}", at)
            return _ESCAPES[code]
        return _ESCAPE.sub(one, raw) if "\\" in raw else raw

    def advance(self) -> _Token:
        tok, self.tok = self.tok, self.lex()
        return tok

    def note(self, path: str, key: str, message: str) -> None:
        self.liberties.append(Liberty(path, key, message))

    def take_comments(self, path: str) -> None:
        for _ in range(self.comments):
            self.note(path, "JSON_COMMENTS_NOT_ALLOWED", "comments are not allowed in JSON")
        self.comments = 0

    def value(self, path: str, depth: int) -> Any:
        if depth > safejson.MAX_DEPTH:
            raise self.fail("nesting too deep", self.tok.at, LenientJsonTooDeep)
        tok = self.tok
        if tok.kind in "{[":
            self.take_comments(path)  # JsonLexer has read up to the bracket, no further
            self.advance()
            return self.obj(path, depth) if tok.kind == "{" else self.array(path, depth)
        self.advance()  # a primitive's element is made after the token past it: comments up to there are its
        self.take_comments(path)
        if tok.kind == "string":
            return tok.text
        if tok.kind == "number":
            try:
                return safejson.loads(tok.text)
            except ValueError:
                return tok.text
        if tok.kind == "word":
            if tok.text in ("true", "false", "null"):
                return {"true": True, "false": False, "null": None}[tok.text]
            self.note(path, "JSON_PROPERTY_VALUE_NO_QUOTES", f"the value {tok.text!r} is not quoted")
            return tok.text
        raise self.fail(f"unexpected {tok.text or 'end of the document'!r}", tok.at)

    def separator(self, path: str, close: str, what: str) -> bool | None:
        """After a member of an object or array: True when ``close`` ends it (a comma before it is HL7's
        JSON_COMMA_EXTRA), False after a comma with more to come, None when neither a comma nor ``close`` follows."""
        if self.tok.kind == ",":
            self.advance()
            if self.tok.kind != close:
                return False
            self.advance()
            self.note(path, "JSON_COMMA_EXTRA", f"there is an extra comma at the end of the {what} in the JSON")
            return True
        if self.tok.kind == close:
            self.advance()
            return True
        return None

    def obj(self, path: str, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.tok.kind == "}":
            self.advance()
            return out
        while True:
            name = self.advance()
            if name.kind == "word":
                self.note(path, "JSON_PROPERTY_NO_QUOTES", f"the property name {name.text!r} is not quoted")
            elif name.kind != "string":
                raise self.fail("a property name expected", name.at)
            if self.advance().kind != ":":
                raise self.fail("':' expected", name.at)
            value = self.value(f"{path}.{name.text}", depth + 1)
            if name.text in out and name.text != "resourceType":  # HL7 passes over a resourceType (checkNotProcessed)
                self.duplicates.append((out, name.text))
            out[name.text] = value
            after = self.tok
            ended = self.separator(path, "}", "object")
            if ended:
                return out
            if ended is None:
                if after.kind not in ("string", "word"):
                    raise self.fail("',' or '}' expected", after.at)
                self.note(path, "JSON_COMMA_MISSING", "a comma is missing in the JSON")

    def array(self, path: str, depth: int) -> list[Any]:
        out: list[Any] = []
        if self.tok.kind == "]":
            self.advance()
            return out
        while True:
            out.append(self.value(f"{path}[{len(out)}]", depth + 1))
            after = self.tok
            ended = self.separator(path, "]", "array")
            if ended:
                return out
            if ended is None and after.kind not in ("{", "[", "string", "word", "number"):
                raise self.fail("',' or ']' expected", after.at)
            # (no comma before another value: read on, unreported, as HL7's parser does)


def read_lenient(text: str) -> tuple[dict[str, Any], list[Liberty], list[tuple[dict[str, Any], str]]]:
    """The document (an object, as HL7's parseObject requires), the liberties it takes and its duplicate names
    (each with the object holding it, as validate.parse_json collects them); LenientJsonError if unreadable."""
    reader = _Reader(text)
    if reader.tok.kind != "{":
        raise reader.fail("an object expected", reader.tok.at)
    doc = reader.value("", 0)
    if reader.tok.kind != "eof":
        raise reader.fail("content after the end of the document", reader.tok.at)
    return doc, reader.liberties, reader.duplicates

