"""The per-host limit shared by every Celery worker: slots and pauses kept in Redis (the broker's server).

A host's slots are a sorted set of tokens scored by when their lease ends (a worker killed holding a
slot loses it after ``LEASE_MS``, so a dead worker cannot starve a host); taking one is a Lua script, so
"count, then add" is atomic across workers. A 429's pause is a key that expires when the pause ends.
Redis's own clock (TIME) is used, never the workers'.

In front of Redis, each process gates a host at ``per_host`` itself: a process alone filling a host
waits on its own semaphore instead of asking Redis again and again (each refused ask a round trip and
CPU in the worker, which the worker's targets need). When the host is full across processes, one of a
process's refused requests polls for it at a time; the others queue behind it locally (measured with 2
workers sharing full hosts: as many refused asks as granted ones when every request polled).
"""

from __future__ import annotations

import asyncio
import random
import secrets
from collections import defaultdict

import redis.asyncio as aioredis

LEASE_MS = 120_000
POLL = 0.005
MAX_POLL = 0.1
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return -paused end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
return 0
"""
PAUSE = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', tonumber(ARGV[1]))
end
return 1
"""


class RedisLimiter:
    """``HostLimiter`` over Redis; ``url`` is the broker's (redis://host:port/db)."""

    def __init__(self, url: str, per_host: int, prefix: str = "conformance:host") -> None:
        self.redis = aioredis.from_url(url)
        self.per_host = per_host
        self.prefix = prefix
        self._acquire = self.redis.register_script(ACQUIRE)
        self._pause = self.redis.register_script(PAUSE)
        self._gates: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(per_host))
        self._polling: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def _keys(self, host: str) -> list[str]:
        return [f"{self.prefix}:{host}:slots", f"{self.prefix}:{host}:pause"]

    async def acquire(self, host: str) -> str:
        gate = self._gates[host]
        await gate.acquire()
        try:
            return await self._take(host)
        except BaseException:
            gate.release()
            raise

    async def _take(self, host: str) -> str:
        token = secrets.token_hex(8)
        if await self._ask(host, token) == 1:
            return token
        async with self._polling[host]:  # refused: this process's one poller for the host, the rest queue
            tries = 0
            while (got := await self._ask(host, token)) != 1:
                # A full host: back off (doubling, capped, jittered). A fixed 10 ms poll by every waiting
                # request was a storm of Redis calls that made 2 workers slower than 1 (measured).
                tries += 1
                await asyncio.sleep(-got / 1000 if got < 0 else
                                    min(MAX_POLL, POLL * 2 ** tries) * (0.5 + random.random()))
            return token

    async def _ask(self, host: str, token: str) -> int:
        """1: the slot is taken; 0: the host is full; negative: paused for that many milliseconds."""
        return int(await self._acquire(keys=self._keys(host), args=[self.per_host, LEASE_MS, token]))

    async def release(self, host: str, token: str) -> None:
        try:
            await self.redis.zrem(self._keys(host)[0], token)
        finally:
            self._gates[host].release()

    async def pause(self, host: str, seconds: float) -> None:
        await self._pause(keys=[self._keys(host)[1]], args=[max(1, int(seconds * 1000))])

    async def close(self) -> None:
        await self.redis.aclose()
