"""Credentials never leave the harness, in any encoding, through any output (issue 18).

A :class:`Scrubber` knows a set of secret values and removes every form in which one can come back
inside kept text: raw; URL-, HTML-, XML- and JSON-escaped (``\\/``, ``\\uXXXX``); base64 and base64url
at each of the three byte alignments a secret can have inside a longer base64 string; UTF-8 read as
Latin-1 (how MLLP frames are shown); Python's repr of the text and of its bytes (how exception messages
quote a value); and each of these escaped once more by a rendering (HTML of JSON,
JSON of a URL...). Escapes mixed at random (``\\u0061bc\\/d``) are caught by decoding every escaped run
and looking for the secret in what it says.

One registry, :data:`RUN`, holds every secret the process has met: the target's credentials (when the
session starts), OAuth client secrets and every token the moment it is obtained. These seams consult
it, so no writer needs to remember to: :func:`conformance.evidence.capture.record` (every exchange any
transport keeps); :func:`scrubbed` (the whole result, before any rendering can escape, pretty-print or
cut a secret, and before the store keeps it: rows, and blobs before compression and sealing);
:func:`conformance.reporting.common.write_atomic` (the final bytes of every report file); the console
(check lines before rich wraps them, and :class:`ScrubbingStream` under it); the CLI's one-line errors.

Truncation: text is cut (evidence bodies, one-line messages) only after it was scrubbed, and where a
cut may leave the start of a secret (an evidence body cut at its size limit, text before an ellipsis),
a trailing piece of at least :data:`MIN_SECRET` characters that begins some form of a secret is removed
too. A piece shorter than that is kept: it cannot be told from innocent text, which is also why secrets
shorter than :data:`MIN_SECRET` are refused.
"""

from __future__ import annotations

import base64
import html
import json
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import IO, Any
from urllib.parse import quote, quote_plus, unquote

from conformance import wellformed
from conformance.model import Evidence, RunInfo, RunResult

REDACTED = "[redacted]"
MIN_SECRET = 4
ELLIPSIS = "…"
SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key"}
)

_XML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#09;"}
# Candidates for the decoding pass: JSON string literals holding an escape, HTML-escaped quoted strings,
# and runs of text holding a backslash, percent or ampersand escape.
_JSON_LITERAL = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_HTML_QUOTED = re.compile(r"&quot;(?:(?!&quot;)[^<>\n\"]){0,4096}&quot;")  # never across a raw quote
_RUN_TEXT = re.compile(r"[^\s<>\"']{4,}")
_JSON_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|.)")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


def _base64_forms(raw: bytes) -> set[str]:
    """The characters of base64 (and base64url) that encode only ``raw``, at each alignment."""
    forms: set[str] = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode()
        total = shift + len(raw)
        keep = 4 * (total // 3) + total % 3
        piece = encoded[{0: 0, 1: 2, 2: 3}[shift]:keep]
        forms.update({piece, piece.replace("+", "-").replace("/", "_")})
    return forms


def _escapes(form: str) -> set[str]:
    """What a rendering may do to ``form``: JSON, HTML, XML and URL escaping."""
    return {
        json.dumps(form, ensure_ascii=False)[1:-1],
        json.dumps(form)[1:-1],
        json.dumps(form)[1:-1].replace("/", "\\/"),
        html.escape(form),
        html.escape(form, quote=False),
        "".join(_XML.get(c, c) for c in form),
        quote(form, safe=""),
        quote(form),
        quote_plus(form),
    }


def _reprs(secret: str) -> set[str]:
    """Python's repr of ``secret`` and of its UTF-8 bytes, within either quote (the quote is chosen by
    the whole value an exception message shows, not by the secret alone)."""
    out: set[str] = set()
    for mark in "'\"":
        text = ("\\\\" if c == "\\" else "\\" + mark if c == mark else c if c.isprintable() else repr(c)[1:-1]
                for c in secret)
        data = ("\\\\" if b == 0x5C else "\\" + mark if chr(b) == mark else chr(b) if 0x20 <= b < 0x7F
                else repr(bytes([b]))[2:-1] for b in secret.encode("utf-8", errors="surrogatepass"))
        out.update(("".join(text), "".join(data)))
    return out


def forms(secret: str) -> set[str]:
    """Every form of ``secret`` to remove from kept text (see the module docstring)."""
    raw = secret.encode("utf-8", errors="surrogatepass")
    first = {secret, raw.decode("latin-1"),
             *_reprs(secret),
             "".join(f"\\u{ord(c):04x}" if not c.isalnum() else c for c in secret),
             "".join(f"\\u{ord(c):04x}" for c in secret),
             *_escapes(secret), *_base64_forms(raw)}
    out = set(first)
    for form in first:
        out.update(_escapes(form))
    return {f for f in out if len(f) >= MIN_SECRET}


def _json_unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code.startswith("u") and len(code) == 5:
            return chr(int(code[1:], 16))
        return _SIMPLE_ESCAPES.get(code, code)

    value = _JSON_ESCAPE.sub(one, text)
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")  # join surrogate pairs


def _decodings(text: str) -> set[str]:
    """``text`` read through each chain of escapes a server and a rendering may have stacked."""
    out: set[str] = set()
    for first in {text, html.unescape(text)}:
        once = _json_unescape(first)
        for second in {first, once, _json_unescape(once)}:
            out.update((second, unquote(second), html.unescape(unquote(second))))
    return out


def _escaped(match: re.Match[str]) -> bool:
    text = match.group()
    return "\\" in text or "%" in text or "&" in text


class Scrubber:
    """Removes credential values, in every form, from any text or value that may be kept."""

    def __init__(self, secrets: Iterable[str] = (), *, registry: Scrubber | None = None) -> None:
        self._lock = threading.Lock()
        self._registry = registry
        self.plain: list[str] = []  # the secrets themselves, for the decoding pass
        self.secrets: list[str] = []  # every form, longest first
        self._longest = 0
        self._starts: dict[str, list[str]] = {}
        self._revealed: dict[str, bool] = {}
        values = [s for s in secrets if len(s) >= MIN_SECRET]
        if len(values) >= 2:  # HTTP Basic travels as base64 of "user:pass"
            values.append(f"{values[0]}:{values[1]}")
        self.add(*values)

    def add(self, *values: str) -> None:
        """Scrub these values too from now on (shorter than MIN_SECRET: ignored, see the docstring)."""
        new = [v for v in values if len(v) >= MIN_SECRET and v not in self.plain]
        if not new:
            return
        with self._lock:
            found = set(self.secrets)
            for value in new:
                found.update(forms(value))
            # Longest first, so a secret's encoding is removed whole before a shorter one can split it.
            self.secrets = sorted(found, key=len, reverse=True)
            self.plain = sorted({*self.plain, *new}, key=len, reverse=True)
            self._longest = len(self.secrets[0])
            starts: dict[str, list[str]] = {}
            for form in self.secrets:
                starts.setdefault(form[:MIN_SECRET], []).append(form)
            self._starts = starts
            self._revealed = {}
        if self._registry is not None:
            self._registry.add(*new)

    def __bool__(self) -> bool:
        return bool(self.plain)

    def text(self, value: str, *, cut: bool = False) -> str:
        """``value`` without any form of a secret; ``cut``: it was cut at its end (drop a secret's start)."""
        if not self.plain:
            return value
        for form in self._present(value):
            value = value.replace(form, REDACTED)
        value = self._decoded(value)
        if ELLIPSIS in value:
            parts = value.split(ELLIPSIS)
            value = ELLIPSIS.join([self._tail(p) for p in parts[:-1]] + parts[-1:])
        return self._tail(value) if cut else value

    def _present(self, value: str) -> list[str]:
        """The forms ``value`` holds, longest first. With many forms (a long run that obtained many
        tokens), only those whose first characters occur in ``value`` are searched for, found through
        its MIN_SECRET-grams a chunk at a time, instead of scanning the whole text once per form."""
        if len(self.secrets) <= 64:
            return [form for form in self.secrets if form in value]
        found: set[str] = set()
        keys = self._starts.keys()
        for start in range(0, max(1, len(value) - MIN_SECRET + 1), 65_536):
            chunk = value[start:start + 65_536 + MIN_SECRET - 1]
            grams = {chunk[i:i + MIN_SECRET] for i in range(len(chunk) - MIN_SECRET + 1)}
            found.update(form for gram in grams & keys for form in self._starts[gram])
        return sorted((form for form in found if form in value), key=len, reverse=True)

    def reset(self) -> None:
        """Forget every secret: for tests, and for a process that runs one target after another."""
        with self._lock:
            self.plain, self.secrets, self._longest, self._starts, self._revealed = [], [], 0, {}, {}

    def _reveals(self, text: str) -> bool:
        """Whether ``text``, unescaped, holds some form of a secret (base64 under \\u escapes, say).

        Remembered per text: a body repeats the same escaped strings, and each is kept twice (by its
        transport and by ``record``)."""
        known = self._revealed.get(text)
        if known is None:
            known = any(form in decoded for decoded in _decodings(text) if decoded != text
                        for form in self._present(decoded))
            if len(self._revealed) > 20_000:
                self._revealed.clear()
            self._revealed[text] = known
        return known

    def _decoded(self, value: str) -> str:
        if "\\" not in value and "%" not in value and "&" not in value:
            return value
        # Each pattern is linear: a bounded literal, or a run between delimiters (no backtracking).
        for pattern, keep in ((_JSON_LITERAL, '"'), (_HTML_QUOTED, "&quot;"), (_RUN_TEXT, "")):
            def redact(match: re.Match[str], keep: str = keep) -> str:
                text = match.group()
                if not (_escaped(match) and self._reveals(text)):
                    return text
                # A run that ends in an odd number of backslashes escapes the quote after it: keep one.
                odd = (len(text) - len(text.rstrip("\\"))) % 2 if not keep else 0
                return f"{keep}{REDACTED}{keep}" + "\\" * odd

            value = pattern.sub(redact, value)
        return value

    def _tail(self, value: str) -> str:
        """``value`` without a trailing start (>= MIN_SECRET characters) of any form of a secret."""
        window = value[-self._longest:]
        offset = len(value) - len(window)
        for start in range(len(window) - MIN_SECRET + 1):  # earliest start first: the longest piece
            candidates = self._starts.get(window[start:start + MIN_SECRET])
            if candidates and any(form.startswith(window[start:]) for form in candidates):
                return value[:offset + start] + REDACTED
        return value

    def value(self, item: Any) -> Any:
        """A copy of a JSON-like value (dicts, lists, strings) with every string scrubbed."""
        if not self.plain:
            return item
        if isinstance(item, str):
            return self.text(item)
        if isinstance(item, dict):
            return {self.text(str(k)): self.value(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [self.value(v) for v in item]
        return item

    def data(self, data: bytes) -> bytes:
        """UTF-8 ``data`` scrubbed (bytes that are not UTF-8 are kept as they are around the secrets)."""
        if not self.plain:
            return data
        text = data.decode("utf-8", errors="surrogateescape")
        return self.text(text).encode("utf-8", errors="surrogateescape")

    def headers(self, headers: Mapping[str, str] | Any) -> dict[str, str]:
        """Headers to keep: credential headers redacted whole, every other value scrubbed."""
        items = headers.multi_items() if hasattr(headers, "multi_items") else headers.items()
        out: dict[str, str] = {}
        for key, value in items:
            value = REDACTED if key.lower() in SENSITIVE_HEADERS else self.text(value)
            out[key] = f"{out[key]}, {value}" if key in out else value
        return out


#: Every secret this process has met. Only grows: scrubbing another run's secret costs nothing.
RUN = Scrubber()


def register(*values: str) -> None:
    """Add credentials to :data:`RUN` the moment they are known (before anything can echo them)."""
    RUN.add(*values)


def transport_scrubber(secrets: Iterable[str]) -> Scrubber:
    """A transport's own scrubber, whose secrets also join :data:`RUN`."""
    return Scrubber(secrets, registry=RUN)


def scrubbed_info(info: RunInfo, scrubber: Scrubber = RUN) -> RunInfo:
    return replace(info, target=scrubber.value(info.target)) if scrubber else info


def scrubbed(result: RunResult, scrubber: Scrubber = RUN) -> RunResult:
    """``result`` with every string scrubbed, before any rendering can escape, pretty-print or cut a
    secret, and before the store keeps it."""
    if not scrubber:
        return result
    checks = [replace(c, title=scrubber.text(c.title), message=scrubber.text(c.message),
                      metrics=scrubber.value(c.metrics),
                      evidence=[Evidence(e.kind, scrubber.text(e.summary), scrubber.value(e.data))
                                for e in c.evidence])
              for c in result.results]
    return replace(result, run=scrubbed_info(result.run, scrubber), results=checks)


class ScrubbingStream:
    """A text stream that scrubs what is written through it with :data:`RUN` (the console)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(wellformed.text(RUN.text(text)))  # a peer's lone surrogate cannot stop the console
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)
