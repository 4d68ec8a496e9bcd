"""HL7's XhtmlParser, its reading half: characters, names, attributes, comments and character references as
``org.hl7.fhir.utilities/.../xhtml/XhtmlParser.java`` reads them (Java's ``Character`` and ``Integer`` rules
included), for one narrative div in XML mode with ``mustBeWellFormed``. xhtml_parser.py builds the tree.
"""

from __future__ import annotations

import html.entities
import unicodedata

from lxml import etree

END = "\uffff"  # XhtmlParser.END_OF_CHARS, (char) -1
_XML_ENTITIES = frozenset({"quot", "amp", "apos", "lt", "gt"})
# XhtmlParser.initEntities (HTML5's named character references, its commented-out AMP/GT/LT/QUOT aside) and the
# five XML ones its if-chain reads
_ENTITIES = {name[:-1]: value for name, value in html.entities.html5.items()
             if name.endswith(";") and name[:-1] not in {"AMP", "GT", "LT", "QUOT"}}
class XhtmlParseError(etree.XMLSyntaxError):  # type: ignore[misc]  # lxml has no stubs here
    """XhtmlParser threw: HL7's JsonParser reports ``ERROR_PARSING_XHTML_`` and keeps no XHTML. An lxml syntax
    error, so that every reader of a div that catches lxml's refusal catches this too."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 0, 1, 0)


def java_whitespace(ch: str) -> bool:
    """``Character.isWhitespace``: a space separator other than a no-break space, or \\t \\n \\v \\f \\r, U+001C-1F."""
    if ch in "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f":
        return True
    return unicodedata.category(ch) in ("Zs", "Zl", "Zp") and ch not in "\u00a0\u2007\u202f"


JAVA_TRIMMED = "".join(map(chr, range(0x21)))  # str.strip(JAVA_TRIMMED) is java_trim, inline


def java_trim(text: str) -> str:
    """``String.trim()``: every character up to U+0020 off both ends (not a no-break space)."""
    return text.strip(JAVA_TRIMMED)


def letter_or_digit(ch: str) -> bool:
    """``Character.isLetterOrDigit`` on one UTF-16 unit (a character beyond the BMP is a surrogate to Java)."""
    return len(ch) == 1 and ord(ch) <= 0xFFFF and unicodedata.category(ch) in ("Lu", "Ll", "Lt", "Lm", "Lo", "Nd")


def _name_char(ch: str) -> bool:
    return letter_or_digit(ch) or ch in "_-:."


def _java_digit(ch: str, radix: int) -> int:
    """``Character.digit``: a decimal digit of any script, or a Latin (also fullwidth) letter below the radix."""
    value = unicodedata.decimal(ch, -1)
    if value < 0:
        low = ch.lower()
        if len(low) != 1:  # 'İ'.lower() is two characters: no digit (Character.digit gives -1)
            return -1
        if "a" <= low <= "z":
            value = ord(low) - ord("a") + 10
        elif "\uff41" <= low <= "\uff5a":
            value = ord(low) - 0xFF41 + 10
    return value if 0 <= value < radix else -1


def _java_int(text: str, radix: int) -> int | None:
    """``Integer.parseInt(text, radix)``, None where it throws."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not digits:
        return None
    value = 0
    for ch in digits:
        d = _java_digit(ch, radix)
        if d < 0:
            return None
        value = value * radix + d
    value = -value if text[:1] == "-" else value
    return value if -(2 ** 31) <= value < 2 ** 31 else None


def _code_point(value: int) -> str:
    """``Character.toString(int)``: throws for a value that is no code point (a surrogate is one)."""
    if not 0 <= value <= 0x10FFFF:
        raise XhtmlParseError(f"Not a valid Unicode code point: 0x{value & 0xFFFFFFFF:X}")
    return chr(value)


def split_name(name: str) -> tuple[str | None, str]:
    """XhtmlParser.ElementName: the prefix before the first ':' and the name after it."""
    prefix, colon, local = name.partition(":")
    return (prefix, local) if colon else (None, name)


class Reader:
    """XhtmlParser's character reader and parse methods, for one div in XML mode with mustBeWellFormed."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.pushed: list[str] = []
        self.declared: dict[str, str] = {}
        self.issues: list[str] = []

    # -- characters (peekChar / readChar / pushChar) --
    def peek(self) -> str:
        if self.pushed:
            return self.pushed[-1]
        return self.src[self.pos] if self.pos < len(self.src) else END

    def read(self) -> str:
        if self.pushed:
            return self.pushed.pop()
        if self.pos < len(self.src):
            self.pos += 1
            return self.src[self.pos - 1]
        return END

    def skip_whitespace(self) -> None:
        while java_whitespace(self.peek()):
            self.read()

    def read_name(self) -> str:
        out = []
        while _name_char(self.peek()):
            out.append(self.read())
        return "".join(out)

    def to_tag_end(self) -> str:
        """readToTagEnd."""
        out = []
        while self.peek() not in (">", END):
            out.append(self.read())
        if self.peek() == END:
            raise XhtmlParseError("Unexpected termination of html source")
        self.read()
        return "".join(out)

    def to_doctype_end(self) -> str:
        out = []
        while self.peek() != ">":
            if self.peek() == END:
                raise XhtmlParseError("Unexpected termination of html source")
            out.append(self.read())
        self.read()
        return "".join(out)

    def to_comment_end(self, simple: bool) -> str:
        """readToCommentEnd: to ``-->``, or (``simple``, a ``<!...>``) to the first ``>``; a DOCTYPE's internal
        subset up to ``]>``, its entities then declared."""
        if self.peek() == "!":
            self.read()
        out: list[str] = []
        if self.peek() == "-":
            self.read()
            simple = self.peek() != "-"
            if simple:
                out.append("-")
            else:
                self.read()
        subset = False
        while True:
            ch = self.peek()
            if ch == "-":
                self.read()
                if self.peek() == "-":
                    self.read()
                    if self.peek() == ">":
                        break
                    self.pushed.append("-")
                    out.append("-")
                else:
                    out.append("-")
            elif subset and ch == "]":
                out.append(self.read())
                if self.peek() == ">":
                    break
            elif simple and ch == ">" and not subset:
                break
            elif ch == "[" and "".join(out).startswith("DOCTYPE "):
                subset = True
                out.append(self.read())
            elif ch != END:
                out.append(self.read())
            else:
                raise XhtmlParseError("Unexpected termination of html source")
        if self.peek() != END:
            self.read()
        text = "".join(out)
        if subset:
            self.doctype_entities(text)
        return text

    def doctype_entities(self, text: str) -> None:
        """parseDoctypeEntities (its substring arithmetic throws on a declaration it cannot cut up)."""
        while "<!ENTITY" in text:
            text = text[text.index("<!ENTITY"):]
            end = text.find(">")
            decl, text = text[:end + 1], text[end + 1:]
            decl = java_trim(decl[8:])
            cut = decl.find(" ")
            if cut < 0:
                raise XhtmlParseError("String index out of range in an ENTITY declaration")
            name, decl = java_trim(decl[:cut]), java_trim(decl[cut:])
            cut = decl.find(" ")
            if cut < 0 or not java_trim(decl[cut:]):
                raise XhtmlParseError("String index out of range in an ENTITY declaration")
            decl = java_trim(decl[cut:])
            self.declared[name] = decl[:-1]

    def cdata(self) -> str:
        """readCData, from the '[' after ``<!``."""
        out = []
        while True:
            ch = self.read()
            if ch == END:
                raise XhtmlParseError("Stream ended before finding ']]>' terminator")
            out.append(ch)
            if ch == ">" and len(out) >= 3 and out[-2] == "]" and out[-3] == "]":
                break
        if len(out) - 3 < 7:
            raise XhtmlParseError(f"begin 7, end {len(out) - 3}, length {len(out)}")
        return "".join(out[7:-3])

    def literal(self, out: list[str]) -> None:
        """parseLiteral: ``&...`` up to one of ``;&'"><`` (which it consumes)."""
        self.read()
        ref = []
        while self.peek() != "\0" and self.peek() not in ";&'\"><":
            if self.peek() == END:  # HL7's readUntil would loop for ever here
                raise XhtmlParseError("Unexpected termination of html source in a character reference")
            ref.append(self.read())
        self.read()
        c = "".join(ref)
        if not c:
            raise XhtmlParseError("Invalid literal declaration following text: " + "".join(out))
        if c[0] == "#":
            number = _java_int(c[1:], 10)
            if number is not None:
                out.append(_code_point(number))
                return
            if len(c) < 2:
                raise XhtmlParseError("String index out of range: 1")
            number = _java_int(c[2:], 16) if c[1] == "x" else None
            if number is not None:
                out.append(_code_point(number))
            return  # anything else after '#' is dropped without a word
        if c in self.declared:
            out.append(self.declared[c])
            return
        if c not in _XML_ENTITIES:
            self.issues.append(f"&{c};")  # XHTML_XHTML_Entity_Illegal
        if c in _ENTITIES:
            out.append(_ENTITIES[c])
            return
        raise XhtmlParseError(f"unable to parse character reference '{c}''")

    def attributes(self, owner: str) -> dict[str, str | None]:
        """parseAttributes: ``name``, ``name=value``, ``name="value"``; a repeated name keeps the last value."""
        found: dict[str, str | None] = {}
        self.skip_whitespace()
        while self.peek() not in (">", "/", END):
            name = self.read_name()
            if not name:
                raise XhtmlParseError(f"Unable to read attribute on <{owner}>")
            self.skip_whitespace()
            ch = self.peek()
            if _name_char(ch) or ch in (">", "/"):
                found[name] = None
            elif ch != "=":
                raise XhtmlParseError(f"Unable to read attribute '{name}' value on <{owner}>")
            else:
                self.read()
                self.skip_whitespace()
                if self.peek() in ('"', "'"):
                    found[name] = self.attribute_value(self.read())
                else:
                    found[name] = self.attribute_value(END)
            self.skip_whitespace()
        return found

    def attribute_value(self, term: str) -> str:
        out: list[str] = []
        while True:
            ch = self.peek()
            if ch == END or ch == ">" or (term == END and ch == "/") or ch == term:
                break
            if ch == "&":
                self.literal(out)
            else:
                out.append(self.read())
        if self.peek() == term:
            self.read()
        return "".join(out)

    def before_root(self) -> None:
        """skipWhiteSpaceAndComments on the document: whitespace, a BOM, comments, a DOCTYPE, instructions."""
        while True:
            while java_whitespace(self.peek()) or self.peek() == "\ufeff":
                self.read()
            if self.peek() != "<":
                return
            ch = self.read()
            if self.peek() == "!":
                self.read()
                if self.peek() == "-":
                    self.read()
                    if self.peek() != "-":
                        raise XhtmlParseError(f"unrecognised element type <!{self.peek()}")
                    self.read()
                    if self.peek() == " ":
                        self.read()
                    self.to_comment_end(False)
                else:
                    self.to_doctype_end()
            elif self.peek() == "?":
                if len(self.to_tag_end()) < 2:
                    raise XhtmlParseError("begin 1, end 0, length 1")
            else:
                self.pushed.append(ch)
                return


