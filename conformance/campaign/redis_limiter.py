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
seen within ``FRESH`` s: every pause also counts up a limiter-wide epoch, one GET of which (at most every
``FRESH`` s a process, whatever the number of hosts) tells whether any pause was set since a host was
last seen unpaused; only then is that host's pause asked for. Several requests waiting for a host the
other workers fill are served by one poller of the process, which asks for as many slots as wait.

Measured (bench/campaign_servers.py, 37 requests a target): two round trips a request before (a script
to take, a ZREM to give back), 1.4-2.1 ms of Redis's CPU and 5.7-7.1 ms of the worker's a target; a few
round trips a target now (docs/scale.md, fifth pass).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

import redis.asyncio as aioredis

LEASE_MS = 120_000
POLL = 0.005
MAX_POLL = 0.1
LINGER = 0.2  # a free token unused this long goes back to Redis
REUSE = 2.0  # a token leased this long ago is given back, not reused: the other workers get their turn
FRESH = 0.1  # reuse only while the pauses' epoch was read this recently
EPOCH_TTL_MS = 86_400_000  # the epoch counter goes when no pause was set for a day (a reset is a change too)
TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local epoch = tonumber(redis.call('GET', KEYS[3]) or '0')
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return {-paused, epoch} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local n = math.min(tonumber(ARGV[1]) - redis.call('ZCARD', KEYS[1]), #ARGV - 2)
for i = 1, n do
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[i + 2])
end
if n > 0 then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2])) end
return {math.max(n, 0), epoch}
"""
CHECK = "return {redis.call('PTTL', KEYS[1]), tonumber(redis.call('GET', KEYS[2]) or '0')}"
PAUSE = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', tonumber(ARGV[1]))
end
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]))
return 1
"""


@dataclass
class _Host:
    """One host as this process sees it: its gate, its leased tokens, what Redis last said of it."""

    gate: asyncio.Semaphore
    free: deque[tuple[str, float, float]] = field(default_factory=deque)  # (token, leased at, freed at)
    stale: list[str] = field(default_factory=list)  # tokens to give back with the next flush
    leased: dict[str, float] = field(default_factory=dict)  # token in use -> leased at
    epoch: int | None = None  # the pauses' epoch when Redis last said the host was not paused
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
        self._check = self.redis.register_script(CHECK)
        self._pause = self.redis.register_script(PAUSE)
        self._hosts: dict[str, _Host] = defaultdict(lambda: _Host(asyncio.Semaphore(per_host)))
        self._epoch: int | None = None
        self._epoch_at = -1e9
        self._reading = asyncio.Lock()

    def _keys(self, host: str) -> list[str]:
        return [f"{self.prefix}:{host}:slots", f"{self.prefix}:{host}:pause", f"{self.prefix}:pauses"]

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

    def _reusable(self, state: _Host) -> bool:
        return state.epoch is not None and state.epoch == self._epoch and time.monotonic() - self._epoch_at < FRESH

    async def _take(self, host: str, state: _Host) -> tuple[str, float]:
        while True:
            now = time.monotonic()
            if state.until > now:
                await asyncio.sleep(state.until - now)
            elif state.free and self._reusable(state):
                token, leased, _freed = state.free.pop()  # the most recently freed: the others may linger out
                return token, leased
            else:  # one request of the process asks Redis at a time; those queued behind it find its tokens
                async with state.polling:
                    got = await self._poll(host, state)
                if got is not None:
                    return got

    async def _poll(self, host: str, state: _Host) -> tuple[str, float] | None:
        """Under the host's lock: a token leased, or None once there is something else to do (a free
        token to reuse, a pause to wait out). A full host is asked again with doubling, capped, jittered
        back-off, each poll a round trip."""
        tries = 0
        while state.until <= time.monotonic():
            if state.free:
                if not self._reusable(state):
                    await self._refresh(host, state)
                return None
            got = await self._ask(host, state)
            if got is not None:
                return got
            tries += 1
            await asyncio.sleep(min(MAX_POLL, POLL * 2 ** tries) * (0.5 + random.random()))
        return None

    async def _refresh(self, host: str, state: _Host) -> None:
        """Read the pauses' epoch (once for every host of the process); the host's pause if it moved."""
        async with self._reading:
            if time.monotonic() - self._epoch_at >= FRESH:
                self._seen(int(await self.redis.get(self._keys(host)[2]) or 0))
        if state.epoch != self._epoch:
            paused, epoch = await self._check(keys=self._keys(host)[1:])
            self._heard(state, int(paused), int(epoch))

    async def _ask(self, host: str, state: _Host) -> tuple[str, float] | None:
        """Lease as many slots as requests wait for; the first is the caller's, the rest go free."""
        tokens = [secrets.token_hex(8) for _ in range(max(1, min(self.per_host, state.waiting)))]
        granted, epoch = await self._take_script(keys=self._keys(host), args=[self.per_host, LEASE_MS, *tokens])
        self._heard(state, -int(granted), int(epoch))
        if int(granted) <= 0:
            return None
        now = time.monotonic()
        state.free.extend((t, now, now) for t in tokens[1:int(granted)])
        self._flush_later(host, state)
        return tokens[0], now

    def _seen(self, epoch: int) -> None:
        self._epoch, self._epoch_at = epoch, time.monotonic()

    def _heard(self, state: _Host, paused_ms: int, epoch: int) -> None:
        """What Redis said of a host: paused for ``paused_ms`` (> 0), or not under ``epoch``."""
        self._seen(epoch)
        if paused_ms > 0:
            state.until = max(state.until, time.monotonic() + paused_ms / 1000)
            state.epoch = None
        else:
            state.epoch = epoch

    async def release(self, host: str, token: str) -> None:
        state = self._hosts[host]
        leased = state.leased.pop(token, None)
        now = time.monotonic()
        if leased is not None and now - leased < REUSE and state.until <= now:
            state.free.append((token, leased, now))
        else:  # old enough to give back (or the host is paused): the other workers may take it
            state.stale.append(token)
        self._flush_later(host, state)
        state.gate.release()

    def _flush_later(self, host: str, state: _Host) -> None:
        if state.flusher is None or state.flusher.done():
            state.flusher = asyncio.ensure_future(self._flush(host, state))

    async def _flush(self, host: str, state: _Host) -> None:
        """Give back, in one ZREM, the tokens to give back and the free ones unused for LINGER s or
        leased REUSE s ago. Redis unreachable: they expire there after LEASE_MS."""
        while state.free or state.stale:
            await asyncio.sleep(LINGER)
            now = time.monotonic()
            keep = deque(f for f in state.free if now - f[2] < LINGER and now - f[1] < REUSE)
            give = state.stale + [f[0] for f in state.free if f not in keep]
            state.free, state.stale = keep, []
            if give:
                with contextlib.suppress(aioredis.RedisError):
                    await self.redis.zrem(self._keys(host)[0], *give)

    async def pause(self, host: str, seconds: float) -> None:
        state = self._hosts[host]
        state.until = max(state.until, time.monotonic() + seconds)
        await self._pause(keys=self._keys(host)[1:], args=[max(1, int(seconds * 1000)), EPOCH_TTL_MS])

    async def close(self) -> None:
        """Give every token this process holds unused back, then close the connections."""
        for host, state in self._hosts.items():
            if state.flusher is not None:
                state.flusher.cancel()
            give = state.stale + [f[0] for f in state.free]
            state.free.clear()
            state.stale = []
            if give:
                with contextlib.suppress(aioredis.RedisError):
                    await self.redis.zrem(self._keys(host)[0], *give)
        await self.redis.aclose()
