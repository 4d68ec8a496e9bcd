"""The per-host limit shared by every Celery worker: slots and pauses kept in Redis (the broker's server).

A host's slots are a sorted set of tokens scored by when their lease ends (a worker killed holding a
slot loses it after ``LEASE_MS``, so a dead worker cannot starve a host); taking slots is a Lua script, so
"count, then add" is atomic across workers and the set never holds more than ``per_host`` live tokens. A
429's pause is a key that expires when the pause ends. Redis's own clock (TIME) is used, never the workers'.

A process leases slots and reuses them: a request ends, its token goes back to the process's free list,
and the process's next request to that host takes it without asking Redis. The limit across workers
holds because every token in use or free is one of the set's leased tokens. A free token goes back to
Redis once unused for ``LINGER`` s (several in one ZREM), and is not reused once ``REUSE`` s old, so a
process cannot keep a host's slots from the other workers for long. A pause set by another worker is
seen within ``FRESH`` s: a token is reused only while the host's last word from Redis is that recent,
else one PTTL asks first. Measured (bench/campaign_servers.py): a round trip or two per request before
(a script to take, a ZREM to give back: 37 requests a target, 2 ms of Redis's CPU and 7 ms of the
worker's), a few a target now. Several requests waiting for a host the other workers fill are served by
one poller of the process, which asks for as many slots as are waited for.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

import redis.asyncio as aioredis

LEASE_MS = 120_000
POLL = 0.005
MAX_POLL = 0.1
LINGER = 0.05  # a free token unused this long goes back to Redis
REUSE = 1.0  # a token leased this long ago is given back, not reused: the other workers get their turn
FRESH = 0.1  # reuse only while the host's last word from Redis (no pause) is this recent
TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return -paused end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local room = tonumber(ARGV[1]) - redis.call('ZCARD', KEYS[1])
local n = math.min(room, #ARGV - 2)
for i = 1, n do
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[i + 2])
end
if n > 0 then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2])) end
return math.max(n, 0)
"""
PAUSE = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', tonumber(ARGV[1]))
end
return 1
"""


@dataclass
class _Host:
    """One host as this process sees it: its gate, its free leased tokens, what Redis last said."""

    gate: asyncio.Semaphore
    free: deque[tuple[str, float, float]] = field(default_factory=deque)  # (token, leased at, freed at)
    leased: dict[str, float] = field(default_factory=dict)  # token in use -> leased at
    heard: float = -1e9  # when Redis last said the host was not paused
    until: float = 0.0  # paused until (this process's clock)
    waiting: int = 0  # requests past the gate without a token
    polling: asyncio.Lock = field(default_factory=asyncio.Lock)
    flusher: asyncio.Task[None] | None = None


class RedisLimiter:
    """``HostLimiter`` over Redis; ``url`` is the broker's (redis://host:port/db)."""

    def __init__(self, url: str, per_host: int, prefix: str = "conformance:host") -> None:
        self.redis = aioredis.from_url(url)
        self.per_host = per_host
        self.prefix = prefix
        self._take_script = self.redis.register_script(TAKE)
        self._pause = self.redis.register_script(PAUSE)
        self._hosts: dict[str, _Host] = defaultdict(lambda: _Host(asyncio.Semaphore(per_host)))

    def _keys(self, host: str) -> list[str]:
        return [f"{self.prefix}:{host}:slots", f"{self.prefix}:{host}:pause"]

    async def acquire(self, host: str) -> str:
        state = self._hosts[host]
        await state.gate.acquire()
        state.waiting += 1
        try:
            token, leased = await self._take(host, state)
        except BaseException:
            state.gate.release()
            raise
        finally:
            state.waiting -= 1
        state.leased[token] = leased
        return token

    async def _take(self, host: str, state: _Host) -> tuple[str, float]:
        while True:
            now = time.monotonic()
            if state.until > now:
                await asyncio.sleep(state.until - now)
            elif state.free and now - state.heard < FRESH:
                token, leased, _freed = state.free.pop()  # the most recently freed: the others may linger out
                return token, leased
            else:  # one request of the process asks Redis at a time; those queued behind it find its tokens
                async with state.polling:
                    got = await self._poll(host, state)
                if got is not None:
                    return got

    async def _poll(self, host: str, state: _Host) -> tuple[str, float] | None:
        """Under the host's lock: a token leased, or None once there is something else to do (a free
        token to reuse, a pause to wait out). A free token with a stale word costs one PTTL (a pause
        another worker set would be missed); a full host is asked again with doubling, capped, jittered
        back-off, each poll a round trip."""
        tries = 0
        while state.until <= time.monotonic():
            if state.free:
                if time.monotonic() - state.heard >= FRESH:
                    self._heard(state, int(await self.redis.pttl(self._keys(host)[1])))
                return None
            got = await self._ask(host, state)
            if got is not None:
                return got
            tries += 1
            await asyncio.sleep(min(MAX_POLL, POLL * 2 ** tries) * (0.5 + random.random()))
        return None

    async def _ask(self, host: str, state: _Host) -> tuple[str, float] | None:
        """Lease as many slots as requests wait for; the first is the caller's, the rest go free."""
        tokens = [secrets.token_hex(8) for _ in range(max(1, min(self.per_host, state.waiting)))]
        granted = int(await self._take_script(keys=self._keys(host), args=[self.per_host, LEASE_MS, *tokens]))
        self._heard(state, -granted if granted < 0 else 0)
        if granted <= 0:
            return None
        now = time.monotonic()
        state.free.extend((t, now, now) for t in tokens[1:granted])
        if granted > 1:
            self._flush_later(host, state)
        return tokens[0], now

    def _heard(self, state: _Host, paused_ms: int) -> None:
        now = time.monotonic()
        if paused_ms > 0:
            state.until = max(state.until, now + paused_ms / 1000)
        else:
            state.heard = now

    async def release(self, host: str, token: str) -> None:
        state = self._hosts[host]
        leased = state.leased.pop(token, None)
        now = time.monotonic()
        if leased is not None and now - leased < REUSE and state.until <= now:
            state.free.append((token, leased, now))
            self._flush_later(host, state)
        else:  # old enough to give back (or the host is paused): others may take it
            try:
                await self.redis.zrem(self._keys(host)[0], token)
            finally:
                state.gate.release()
            return
        state.gate.release()

    def _flush_later(self, host: str, state: _Host) -> None:
        if state.flusher is None or state.flusher.done():
            state.flusher = asyncio.ensure_future(self._flush(host, state))

    async def _flush(self, host: str, state: _Host) -> None:
        """Give back, in one ZREM, the free tokens unused for LINGER s or leased REUSE s ago."""
        while state.free:
            await asyncio.sleep(LINGER)
            now = time.monotonic()
            keep = [f for f in state.free if now - f[2] < LINGER and now - f[1] < REUSE]
            stale = [f[0] for f in state.free if f not in keep]
            state.free = deque(keep)
            if stale:
                await self.redis.zrem(self._keys(host)[0], *stale)

    async def pause(self, host: str, seconds: float) -> None:
        state = self._hosts[host]
        state.until = max(state.until, time.monotonic() + seconds)
        await self._pause(keys=[self._keys(host)[1]], args=[max(1, int(seconds * 1000))])

    async def close(self) -> None:
        """Give every free token back, then close the connections."""
        for host, state in self._hosts.items():
            if state.flusher is not None:
                state.flusher.cancel()
            if state.free:
                await self.redis.zrem(self._keys(host)[0], *(f[0] for f in state.free))
                state.free.clear()
        await self.redis.aclose()
