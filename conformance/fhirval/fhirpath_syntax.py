"""Whether a FHIRPath expression parses, by the grammar's whole-expression rule.

fhirpathpy's own ``parse`` cannot answer this: it installs ANTLR's silent error listener and parses only the
``expression`` rule, so ANTLR recovers from a syntax error (``name.exists() and``, ``where(``) and a trailing
``)`` is simply left unread. HL7's validator reports an expression its FHIRLexer/FHIRPathEngine cannot parse
(ED_INVARIANT_EXPRESSION_ERROR and friends), so here the same generated parser runs with a listener that
raises at the first error it reports (so before any recovery), from ``entireExpression`` (which ends in EOF).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from antlr4 import CommonTokenStream, InputStream
from antlr4.error.ErrorListener import ErrorListener
from fhirpathpy.parser.generated.FHIRPathLexer import FHIRPathLexer
from fhirpathpy.parser.generated.FHIRPathParser import FHIRPathParser


class _SyntaxError(Exception):
    """A lexer or parser error, with ANTLR's position and message."""


class _Raise(ErrorListener):  # type: ignore[misc]
    def syntaxError(self, recognizer: Any, symbol: Any, line: int, column: int, msg: str, e: Any) -> None:
        raise _SyntaxError(f"at {line}:{column}: {msg}")


@lru_cache(maxsize=4096)
def syntax_error(expression: str) -> str | None:
    """None if ``expression`` is FHIRPath by the grammar, else why not (cached: profiles repeat invariants)."""
    lexer = FHIRPathLexer(InputStream(expression))
    lexer.removeErrorListeners()
    lexer.addErrorListener(_Raise())
    parser = FHIRPathParser(CommonTokenStream(lexer))
    parser.removeErrorListeners()
    parser.addErrorListener(_Raise())
    try:
        parser.entireExpression()  # type: ignore[no-untyped-call]
    except _SyntaxError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - the runtime's own exceptions for input it cannot read at all
        return f"{type(exc).__name__}: {exc}".rstrip(": ")
    return None
