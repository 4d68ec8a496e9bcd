"""Bounded decoding of ``Content-Encoding`` layers, so a compression bomb cannot exhaust memory.

httpx decodes each network chunk whole: 3.5 KB of ``gzip, gzip`` became 6.4 GB before the body
limit could apply. Its decoders take no output limit, so this module reads raw bytes and runs its
own chain of ``zlib.decompressobj`` (and brotli, when installed) with ``max_length``, handing on at
most :data:`PIECE` bytes at a time; the caller counts decoded bytes against its limit as they come.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any, Protocol

try:  # brotli is optional, as in httpx; without it a ``br`` body is refused with a sentence
    import brotlicffi as brotli
except ImportError:  # pragma: no cover - depends on what is installed
    brotli = None

PIECE = 64 * 1024


class DecodeError(Exception):
    """The body does not decode as its Content-Encoding says, or uses one the harness cannot read."""


class _Layer(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...

    def finish(self) -> Iterator[bytes]: ...


class _Zlib:
    def __init__(self, name: str) -> None:
        self.name = name
        self.first = True
        self.obj = zlib.decompressobj(zlib.MAX_WBITS | 16 if name == "gzip" else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data and not self.obj.eof:
            try:
                out = self.obj.decompress(data, PIECE)
            except zlib.error as exc:
                if self.first and self.name == "deflate":  # raw deflate without the zlib header
                    self.first = False
                    self.obj = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise DecodeError(f"{self.name} data is corrupt ({exc})") from None
            self.first = False
            data = self.obj.unconsumed_tail
            if out:
                yield out

    def finish(self) -> Iterator[bytes]:
        while out := self.obj.flush(PIECE) if not self.obj.eof else b"":
            yield out
            if len(out) < PIECE:
                break


class _Brotli:
    def __init__(self) -> None:
        if brotli is None:
            raise DecodeError("the body is brotli-compressed (br) and no brotli decoder is installed")
        self.obj: Any = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            out = self.obj.process(data, output_buffer_limit=PIECE)
            while True:
                if out:
                    yield out
                if self.obj.can_accept_more_data():
                    return
                out = self.obj.process(b"", output_buffer_limit=PIECE)
        except brotli.error as exc:
            raise DecodeError(f"br data is corrupt ({exc})") from None

    def finish(self) -> Iterator[bytes]:
        return iter(())


def _layer(name: str) -> _Layer | None:
    if name in ("gzip", "x-gzip"):
        return _Zlib("gzip")
    if name == "deflate":
        return _Zlib("deflate")
    if name == "br":
        return _Brotli()
    if name in ("", "identity"):
        return None
    raise DecodeError(f"the body uses Content-Encoding {name!r}, which the harness cannot decode")


class BoundedDecoder:
    """Decodes the layers of one ``Content-Encoding`` header (applied in order, so undone in reverse)."""

    def __init__(self, content_encoding: str) -> None:
        names = [n.strip().lower() for n in content_encoding.split(",")]
        self.layers = [layer for name in reversed(names) if (layer := _layer(name)) is not None]

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded pieces of at most :data:`PIECE` bytes each, produced lazily."""
        return self._through(0, iter((data,)), final=False)

    def finish(self) -> Iterator[bytes]:
        return self._through(0, iter(()), final=True)

    def _through(self, index: int, pieces: Iterator[bytes], final: bool) -> Iterator[bytes]:
        if index == len(self.layers):
            yield from pieces
            return
        layer = self.layers[index]

        def produced() -> Iterator[bytes]:
            for piece in pieces:
                yield from layer.feed(piece)
            if final:
                yield from layer.finish()

        yield from self._through(index + 1, produced(), final)
