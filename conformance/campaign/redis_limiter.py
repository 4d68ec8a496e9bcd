"""The per-host limit shared by every Celery worker: slots and pauses kept in Redis (the broker's server).

A host's slots are a sorted set of tokens scored by when their lease ends (a worker killed holding a
slot loses it after ``LEASE_MS``, so a dead worker cannot starve a host; a live one renews the leases of
the tokens it holds every ``RENEW`` s, however long a request takes); taking slots is a Lua script, so
"count, then add" is atomic across workers and the set never holds more than ``per_host`` live tokens. A
429's pause is a key that expires when the pause ends. Redis's own clock (TIME) is used, never the workers'.

A process leases slots and reuses them: a request ends, its token goes back to the process's free list,
and the process's next request to that host takes it without asking Redis. The limit across workers
holds because every token in use or free is one of the set's leased tokens. A free token goes back to
Redis once unused for ``LINGER`` s (several in one ZREM), and is not reused once ``REUSE`` s old, so a
process cannot keep a host's slots from the other workers for long. A pause set by another worker is
seen within ``FRESH`` s: every pause also sets a limiter-wide epoch to a new random token, one read of
which (at most every ``FRESH`` s a process, whatever the number of hosts) tells whether any pause was set
since a host was last seen unpaused; only then is that host's pause asked for. The epoch is also how a
process learns that Redis lost its slots (a restart without its data, a FLUSHDB): the key is gone, the
next read sets a new token, and a process seeing an epoch it did not last see drops every free token it
holds (their leases may be gone: reused, they would pass the limit beside the slots others now lease).
Several requests waiting for a host the other workers fill are served by one poller of the process,
which asks for as many slots as wait. A request cancelled while its slots are being taken does not
lose them: the take runs on (shielded) and what it got goes on the free list.

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
from typing import Any

import redis.asyncio as aioredis

LEASE_MS = 20_000  # a token's lease; renewed while the process holds it, so a killed worker's come back soon
RENEW = 5.0  # the tokens a process holds get a new lease this often (a loop stalled 15 s lets them lapse)
POLL = 0.005
MAX_POLL = 0.1
LINGER = 0.2  # a free token unused this long goes back to Redis
REUSE = 2.0  # a token leased this long ago is given back, not reused: the other workers get their turn
FRESH = 0.1  # reuse only while the pauses' epoch was read this recently
# A Redis that accepts and never answers (hung, or a black hole on the path) must not hang a check: each
# call ends with redis' TimeoutError after this long, a harness error, not the target's fault. Well under
# LEASE_MS - RENEW, so a renewal that timed out is tried again before the leases lapse.
REDIS_TIMEOUT = 5.0
EPOCH_TTL_MS = 86_400_000  # the epoch goes when no pause was set for a day (a new one is a change too)
# The epoch, read: the key's token, or (the key gone: first use, a day without pauses, Redis restarted
# empty or flushed) the caller's new random one, set. ARGV[1] the new token, ARGV[2] the key's TTL.
EPOCH = """
local function epoch(key, new, ttl)
  if redis.call('SET', key, new, 'NX', 'PX', ttl) then return new end
  return redis.call('GET', key)
end
"""
READ = EPOCH + "return epoch(KEYS[1], ARGV[1], ARGV[2])"
TAKE = EPOCH + """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local e = epoch(KEYS[3], ARGV[3], ARGV[4])
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return {-paused, e} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local n = math.min(tonumber(ARGV[1]) - redis.call('ZCARD', KEYS[1]), #ARGV - 4)
for i = 1, n do
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[i + 4])
end
if n > 0 then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2])) end
return {math.max(n, 0), e}
"""
RENEWAL = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1
"""
CHECK = EPOCH + "return {redis.call('PTTL', KEYS[1]), epoch(KEYS[2], ARGV[1], ARGV[2])}"
PAUSE = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', tonumber(ARGV[1]))
end
redis.call('SET', KEYS[2], ARGV[2], 'PX', tonumber(ARGV[3]))
return 1
"""


@dataclass
class _Host:
    """One host as this process sees it: its gate, its leased tokens, what Redis last said of it."""

    gate: asyncio.Semaphore
    free: deque[tuple[str, float, float]] = field(default_factory=deque)  # (token, leased at, freed at)
    stale: list[str] = field(default_factory=list)  # tokens to give back with the next flush
    leased: dict[str, tuple[float, str]] = field(default_factory=dict)  # in use -> (leased at, epoch then)
    epoch: str | None = None  # the pauses' epoch when Redis last said the host was not paused
    until: float = 0.0  # paused until (this process's clock)
    waiting: int = 0  # requests past the gate without a token
    polling: asyncio.Lock = field(default_factory=asyncio.Lock)
    flusher: asyncio.Task[None] | None = None


Read = tuple[int, float]  # an epoch read: its number (in the order started) and when it started


class RedisLimiter:
    """``HostLimiter`` over Redis; ``url`` is the broker's (redis://host:port/db)."""

    def __init__(self, url: str, per_host: int, prefix: str = "conformance:host",
                 timeout: float = REDIS_TIMEOUT) -> None:
        self.redis = aioredis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self.per_host = per_host
        self.prefix = prefix
        self._take_script = self.redis.register_script(TAKE)
        self._check = self.redis.register_script(CHECK)
        self._read = self.redis.register_script(READ)
        self._pause = self.redis.register_script(PAUSE)
        self._renewal = self.redis.register_script(RENEWAL)
        self._renewer: asyncio.Task[None] | None = None
        self._hosts: dict[str, _Host] = defaultdict(lambda: _Host(asyncio.Semaphore(per_host)))
        self._epoch: str | None = None
        self._epoch_at = -1e9  # when the read last accepted started
        self._reads = 0  # epoch reads started
        self._accepted = 0  # the number of the read last accepted
        self._reading = asyncio.Lock()

    def _keys(self, host: str) -> list[str]:
        return [f"{self.prefix}:{host}:slots", f"{self.prefix}:{host}:pause", f"{self.prefix}:pauses"]

    async def acquire(self, host: str) -> str:
        state = self._hosts[host]
        await state.gate.acquire()
        state.waiting += 1
        try:
            token, leased, epoch = await self._take(host, state)
        except BaseException:
            state.gate.release()
            raise
        finally:
            state.waiting -= 1
        state.leased[token] = (leased, epoch)
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.ensure_future(self._renew())
        return token

    async def _renew(self) -> None:
        """Every RENEW s, a new lease for each token the process holds (one round trip a host holding
        any), until it holds none. Redis unreachable: the leases run out after LEASE_MS, as a dead worker's."""
        while any(state.leased or state.free for state in self._hosts.values()):
            await asyncio.sleep(RENEW)
            for host, state in list(self._hosts.items()):
                tokens = [*state.leased, *(f[0] for f in state.free)]
                if tokens:
                    with contextlib.suppress(aioredis.RedisError):
                        await self._renewal(keys=self._keys(host)[:1], args=[LEASE_MS, *tokens])

    def _reusable(self, state: _Host) -> bool:
        return state.epoch is not None and state.epoch == self._epoch and time.monotonic() - self._epoch_at < FRESH

    async def _take(self, host: str, state: _Host) -> tuple[str, float, str]:
        while True:
            now = time.monotonic()
            if state.until > now:
                await asyncio.sleep(state.until - now)
            elif state.free and self._reusable(state):
                token, leased, _freed = state.free.pop()  # the most recently freed: the others may linger out
                return token, leased, str(self._epoch)
            else:  # one request of the process asks Redis at a time; those queued behind it find its tokens
                async with state.polling:
                    got = await self._poll(host, state)
                if got is not None:
                    return got

    async def _poll(self, host: str, state: _Host) -> tuple[str, float, str] | None:
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

    def _started(self) -> Read:
        self._reads += 1
        return self._reads, time.monotonic()

    def _epoch_args(self) -> list[str | int]:
        """The scripts' ARGV for the epoch: the token to set if the key is gone, and its TTL."""
        return [secrets.token_hex(8), EPOCH_TTL_MS]

    async def _refresh(self, host: str, state: _Host) -> None:
        """Read the pauses' epoch (once for every host of the process); the host's pause if it moved."""
        async with self._reading:
            if time.monotonic() - self._epoch_at >= FRESH:
                read = self._started()
                self._seen(_text(await self._read(keys=self._keys(host)[2:], args=self._epoch_args())), read)
        if state.epoch != self._epoch:
            read = self._started()
            paused, epoch = await self._check(keys=self._keys(host)[1:], args=self._epoch_args())
            self._heard(state, int(paused), _text(epoch), read)

    async def _ask(self, host: str, state: _Host) -> tuple[str, float, str] | None:
        """Lease as many slots as requests wait for; the first is the caller's, the rest go free. The take
        runs on if the caller is cancelled (shielded): the slots it got go free, not lost for LEASE_MS."""
        tokens = [secrets.token_hex(8) for _ in range(max(1, min(self.per_host, state.waiting)))]
        read = self._started()
        call = asyncio.ensure_future(self._take_script(
            keys=self._keys(host), args=[self.per_host, LEASE_MS, *self._epoch_args(), *tokens]))
        try:
            granted, epoch = await asyncio.shield(call)
        except asyncio.CancelledError:
            call.add_done_callback(lambda done: self._orphaned(host, state, tokens, read, done))
            raise
        return self._granted(host, state, tokens, read, int(granted), _text(epoch))

    def _granted(self, host: str, state: _Host, tokens: list[str], read: Read, granted: int,
                 epoch: str) -> tuple[str, float, str] | None:
        self._heard(state, -granted, epoch, read)
        if granted <= 0:
            return None
        now = time.monotonic()
        if epoch == self._epoch:
            state.free.extend((t, now, now) for t in tokens[1:granted])
        else:  # leased under an epoch no longer current: used once at most, never reused
            state.stale.extend(tokens[1:granted])
        self._flush_later(host, state)
        return tokens[0], now, epoch

    def _orphaned(self, host: str, state: _Host, tokens: list[str], read: Read, done: asyncio.Future[Any]) -> None:
        """The take of a cancelled request ended: what it got goes on the free list (or back to Redis)."""
        if done.cancelled() or done.exception() is not None:
            return
        granted, epoch = done.result()
        got = self._granted(host, state, tokens, read, int(granted), _text(epoch))
        if got is not None:
            self._put_back(host, state, *got)

    def _seen(self, epoch: str, read: Read) -> bool:
        """Accept an epoch read unless a read started later was accepted (replies come back on different
        connections, in any order); a new epoch drops every free token of the process."""
        number, started = read
        if number <= self._accepted:
            return False
        self._accepted, self._epoch_at = number, started
        if epoch != self._epoch:
            self._epoch = epoch
            self._drop()
        return True

    def _drop(self) -> None:
        """A pause was set somewhere or Redis lost its keys: no free token is reused, each is given back
        (a ZREM of a token Redis lost does nothing)."""
        for host, state in self._hosts.items():
            if state.free:
                state.stale.extend(f[0] for f in state.free)
                state.free.clear()
                self._flush_later(host, state)

    def _heard(self, state: _Host, paused_ms: int, epoch: str, read: Read) -> None:
        """What Redis said of a host: paused for ``paused_ms`` (> 0), or not under ``epoch``. An older
        read's "not paused" counts only under the epoch accepted since (no pause set in between)."""
        accepted = self._seen(epoch, read)
        if paused_ms > 0:
            state.until = max(state.until, time.monotonic() + paused_ms / 1000)
            state.epoch = None
        elif accepted or epoch == self._epoch:
            state.epoch = epoch

    async def release(self, host: str, token: str) -> None:
        state = self._hosts[host]
        leased, epoch = state.leased.pop(token, (None, None))
        self._put_back(host, state, token, leased, epoch)
        state.gate.release()

    def _put_back(self, host: str, state: _Host, token: str, leased: float | None, epoch: str | None) -> None:
        now = time.monotonic()
        if leased is not None and now - leased < REUSE and state.until <= now and epoch == self._epoch:
            state.free.append((token, leased, now))
        else:  # old enough to give back, the host paused, or leased before the epoch moved
            state.stale.append(token)
        self._flush_later(host, state)

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
        await self._pause(keys=self._keys(host)[1:],
                          args=[max(1, int(seconds * 1000)), secrets.token_hex(8), EPOCH_TTL_MS])

    async def close(self) -> None:
        """Give every token this process holds unused back, then close the connections."""
        if self._renewer is not None:
            self._renewer.cancel()
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


def _text(reply: Any) -> str:
    return reply.decode() if isinstance(reply, bytes) else str(reply)
