"""Good citizenship: at most N requests in flight to one supplier host, and a 429's Retry-After obeyed.

Every HTTP exchange of a campaign run goes through :class:`LimitedTransport`, an httpx transport that
takes a slot for the request's host before sending and gives it back when the response is read. A 429
pauses the whole host (every target on it, every worker sharing the limiter) for Retry-After seconds
(capped; 1 s when absent or unreadable) and the request is sent again, at most ``RETRIES_429`` times;
the last 429 is then what the check sees. The limiter is :class:`LocalLimiter` in one process (the
embedded pool) or campaign/redis_limiter.py across Celery workers.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from email.utils import parsedate_to_datetime
from typing import Protocol

import httpx

RETRIES_429 = 3
MAX_PAUSE = 60.0


class HostLimiter(Protocol):
    async def acquire(self, host: str) -> str:
        """Wait for a slot (and for any pause of the host to end); a token to release it with."""

    async def release(self, host: str, token: str) -> None: ...

    async def pause(self, host: str, seconds: float) -> None:
        """No new request to ``host`` before ``seconds`` from now."""


class LocalLimiter:
    """Per-host semaphores and pauses within one process."""

    def __init__(self, per_host: int) -> None:
        self.per_host = per_host
        self._slots: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(per_host))
        self._until: dict[str, float] = {}
        self.peak: dict[str, int] = defaultdict(int)  # most requests seen in flight per host (tests read it)
        self._in_flight: dict[str, int] = defaultdict(int)

    async def acquire(self, host: str) -> str:
        while (wait := self._until.get(host, 0.0) - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        await self._slots[host].acquire()
        self._in_flight[host] += 1
        self.peak[host] = max(self.peak[host], self._in_flight[host])
        return ""

    async def release(self, host: str, token: str) -> None:
        self._in_flight[host] -= 1
        self._slots[host].release()

    async def pause(self, host: str, seconds: float) -> None:
        self._until[host] = max(self._until.get(host, 0.0), time.monotonic() + seconds)


def retry_after(response: httpx.Response) -> float:
    """Seconds a 429 asks to wait: Retry-After as seconds or an HTTP date; 1 s when absent or unreadable."""
    value = response.headers.get("retry-after", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, IndexError):
            seconds = 1.0
    return min(max(seconds, 0.0), MAX_PAUSE)


class LimitedTransport(httpx.AsyncBaseTransport):
    """Wraps a real transport; one per run (closing it closes the inner one), the limiter shared."""

    def __init__(self, inner: httpx.AsyncBaseTransport, limiter: HostLimiter) -> None:
        self.inner = inner
        self.limiter = limiter
        self.waits_429 = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = f"{request.url.host}:{request.url.port or ''}"
        for attempt in range(RETRIES_429 + 1):
            token = await self.limiter.acquire(host)
            try:
                response = await self.inner.handle_async_request(request)
            except BaseException:
                await self.limiter.release(host, token)
                raise
            if response.status_code != 429 or attempt == RETRIES_429:
                # The slot is held until the body is read or dropped (by the caller, bounded there).
                return httpx.Response(response.status_code, headers=response.headers,
                                      stream=_Releasing(response, self.limiter, host, token),
                                      extensions=response.extensions)
            await response.aclose()
            await self.limiter.release(host, token)
            self.waits_429 += 1
            await self.limiter.pause(host, retry_after(response))
        raise AssertionError("unreachable")  # pragma: no cover

    async def aclose(self) -> None:
        await self.inner.aclose()


class _Releasing(httpx.AsyncByteStream):
    """The inner response's body; closing it gives the host's slot back (once)."""

    def __init__(self, response: httpx.Response, limiter: HostLimiter, host: str, token: str) -> None:
        self.response, self.limiter, self.host, self.token = response, limiter, host, token
        self.released = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.response.aiter_raw():
            yield chunk

    async def aclose(self) -> None:
        try:
            await self.response.aclose()
        finally:
            if not self.released:
                self.released = True
                await self.limiter.release(self.host, self.token)
