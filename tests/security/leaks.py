"""An independent leak detector: does any encoding of a secret survive in some output?

Written apart from the Scrubber on purpose (its own unescaping, its own base64 walk), so a blind spot
of one is not repeated in the other. Text is read through up to three layers of JSON, HTML and URL
unescaping in any order, then every base64-looking run is decoded at every offset, with both alphabets.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import html
import re
import zlib
from collections.abc import Iterable
from urllib.parse import unquote, unquote_plus

_ESCAPE = re.compile(r"\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})|\\u([0-9a-fA-F]{4})|\\(.)",
                     re.DOTALL)
_B64_RUN = re.compile(r"[A-Za-z0-9+/_-]{6,}")
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


def json_unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        high, low, single, other = match.groups()
        if high:
            return chr(0x10000 + ((int(high, 16) - 0xD800) << 10) + (int(low, 16) - 0xDC00))
        if single:
            code = int(single, 16)
            return "\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code)
        return _SIMPLE.get(other, other)

    return _ESCAPE.sub(one, text)


_UNDO = (("\\", json_unescape), ("&", html.unescape), ("%", unquote), ("+", unquote_plus))


def views(text: str, layers: int = 3) -> set[str]:
    """``text`` and what it says once unescaped, up to ``layers`` times, in any order."""
    seen = {text}
    frontier = {text}
    for _ in range(layers):
        following: set[str] = set()
        for item in frontier:
            for marker, undo in _UNDO:
                if marker not in item:  # nothing this layer could unescape: the view would be the same
                    continue
                value = undo(item)
                if value not in seen:
                    following.add(value)
        seen |= following
        frontier = following
    for item in list(seen):  # UTF-8 shown as Latin-1 (MLLP frames)
        try:
            seen.add(item.encode("latin-1").decode("utf-8"))
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return seen


def _base64_payloads(runs: Iterable[str]) -> Iterable[bytes]:
    for run in runs:
        standard = run.replace("-", "+").replace("_", "/")
        for offset in range(4):
            part = standard[offset:]
            part = part[: len(part) // 4 * 4]
            if part:
                try:
                    yield base64.b64decode(part)
                except (binascii.Error, ValueError):
                    continue


def leaks(data: bytes | str, secrets: Iterable[str]) -> list[str]:
    """Which secrets (shown by length and first character) any encoding of ``data`` still holds."""
    text = data if isinstance(data, str) else data.decode("utf-8", errors="replace")
    wanted = [s for s in secrets if s]
    found: set[str] = set()
    runs: set[str] = set()
    for view in views(text):
        found.update(s for s in wanted if s in view)
        runs.update(_B64_RUN.findall(view))
    # Each distinct run once, whichever views it is in; joined by NUL, which no secret (an environment
    # variable) can hold, so a secret is found only inside one payload.
    payloads = b"\0".join(_base64_payloads(runs))
    found.update(s for s in wanted if s.encode() in payloads)
    return [f"{len(s)} chars starting {s[:1]!r}" for s in sorted(found)]


def expand(blob: bytes) -> bytes:
    """A stored blob as text: zlib or gzip decompressed when it is compressed."""
    for undo in (zlib.decompress, gzip.decompress):
        try:
            return undo(blob)
        except (zlib.error, OSError, EOFError):
            continue
    return blob
