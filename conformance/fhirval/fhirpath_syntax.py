"""FHIRPath parsed as HL7's FHIRLexer / FHIRPathEngine parse it, with fhirpathpy's generated ANTLR parser.

fhirpathpy's own ``parse`` installs ANTLR's silent error listener and parses only the ``expression`` rule, so
ANTLR recovers from a syntax error (``name.exists() and``, ``where(``, an unfinished ``/*`` comment) and a
trailing ``)`` is simply left unread: it evaluates some other expression. HL7's validator reports an expression
its FHIRLexer/FHIRPathEngine cannot parse (ED_INVARIANT_EXPRESSION_ERROR; an invariant's evaluation fails), so
here the same generated parser runs with a listener that raises at the first error it reports (so before any
recovery), from ``entireExpression`` (which ends in EOF). Where the grammar and HL7's parser differ, HL7 is
followed (each checked against HL7's FHIRPath R4/R5 suites):

- ``@2015T``, ``@2015-02T``: FHIRLexer reads a date constant's characters, ``T`` included; ANTLR's DATETIME
  token wants digits after ``T`` and leaves an identifier ``T`` (the token is joined here);
- ``div`` / ``mod`` where a name is expected (``text.div``): FHIRLexer has no keywords; ANTLR took them as
  operators, so ``text.div.exists()`` parsed as something else and was empty;
- ``is`` / ``as`` bind tighter than ``|`` and the comparisons (FHIRPath's precedence table,
  ``FHIRPathEngine.organisePrecedence``); fhirpathpy's grammar ranks them below, so ``1 | 1 is Integer`` was
  ``(1 | 1) is Integer`` (:func:`_type_first`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from antlr4 import CommonTokenStream, InputStream, Token
from antlr4.error.ErrorListener import ErrorListener
from antlr4.tree.Tree import ParseTreeWalker
from fhirpathpy.parser.ASTPathListener import ASTPathListener
from fhirpathpy.parser.generated.FHIRPathLexer import FHIRPathLexer
from fhirpathpy.parser.generated.FHIRPathParser import FHIRPathParser


class _SyntaxError(Exception):
    """A lexer or parser error, with ANTLR's position and message."""


class _Raise(ErrorListener):  # type: ignore[misc]
    def syntaxError(self, recognizer: Any, symbol: Any, line: int, column: int, msg: str, e: Any) -> None:
        raise _SyntaxError(f"at {line}:{column}: {msg}")


_LITERAL = {name: i for i, name in enumerate(FHIRPathLexer.literalNames)}
_OPERATOR_WORDS = frozenset({_LITERAL["'div'"], _LITERAL["'mod'"]})
# tokens after which a name, not an operator, comes: the expression's start, a path step, an open bracket, a comma
_NAME_NEXT = frozenset({None, _LITERAL["'.'"], _LITERAL["'('"], _LITERAL["'['"], _LITERAL["','"]})


class _Lexer(FHIRPathLexer):
    """FHIRPathLexer with FHIRLexer's readings of ``@date T`` and of ``div`` / ``mod`` as names."""

    def __init__(self, text: str) -> None:
        super().__init__(InputStream(text))
        self._held: list[Any] = []
        self._previous: int | None = None

    def nextToken(self) -> Any:
        token = self._held.pop() if self._held else super().nextToken()
        if token.type == FHIRPathLexer.DATETIME:
            after = super().nextToken()
            if after.type == FHIRPathLexer.IDENTIFIER and after.text == "T" and after.start == token.stop + 1:
                token.text, token.stop = token.text + "T", after.stop  # a partial dateTime, HL7's isDateChar
            else:
                self._held.append(after)
        elif token.type in _OPERATOR_WORDS and self._previous in _NAME_NEXT:
            token.type = FHIRPathLexer.IDENTIFIER
        if token.channel == Token.DEFAULT_CHANNEL:
            self._previous = token.type
        return token


def _parser(expression: str) -> Any:
    lexer = _Lexer(expression)
    lexer.removeErrorListeners()
    lexer.addErrorListener(_Raise())
    parser = FHIRPathParser(CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(_Raise())
    return parser


@lru_cache(maxsize=4096)
def syntax_error(expression: str) -> str | None:
    """None if ``expression`` is FHIRPath as HL7 parses it, else why not (cached: profiles repeat invariants)."""
    try:
        _parser(expression).entireExpression()
    except _SyntaxError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - the runtime's own exceptions for input it cannot read at all
        return f"{type(exc).__name__}: {exc}".rstrip(": ")
    return None


def parse(expression: str) -> dict[str, Any]:
    """fhirpathpy's AST of the whole expression, as ``fhirpathpy.parser.parse`` builds it, with HL7's readings
    above; raises on a syntax error (``_SyntaxError``, or the ANTLR runtime's own) instead of recovering."""
    tree = _parser(expression).entireExpression()
    listener = ASTPathListener()  # type: ignore[no-untyped-call]
    ParseTreeWalker().walk(listener, tree.expression())
    top: dict[str, Any] = listener.parentStack[0]
    _type_first(top)
    return top


_LOOSER = frozenset({"UnionExpression", "InequalityExpression"})  # bind tighter than is/as in the grammar only


def _type_first(node: dict[str, Any]) -> None:
    """``a | b is T`` as ``a | (b is T)``, ``a < b as T`` as ``a < (b as T)`` (in place, everywhere in the tree)."""
    for child in node.get("children") or ():
        if isinstance(child, dict):
            _type_first(child)
    if node.get("type") != "TypeExpression":
        return
    left, spec = node["children"]
    if left.get("type") not in _LOOSER:
        return
    a, b = left["children"]
    inner = {"type": "TypeExpression", "terminalNodeText": node["terminalNodeText"], "children": [b, spec]}
    _type_first(inner)  # b may itself be a union (``a < b | c is T``)
    node.clear()
    node.update(type=left["type"], terminalNodeText=left["terminalNodeText"], children=[a, inner])
