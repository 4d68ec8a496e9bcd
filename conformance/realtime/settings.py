"""A target's ``[realtime]`` section: the two endpoints, where we listen, the thresholds and the load.

Kept here rather than in targets.py so the real-time settings live with the code that reads them;
targets.py calls :func:`parse_realtime` and keeps its rule that an unknown key is an error.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("localhost",)


@dataclass
class RealtimeSettings:
    """How the realtime suite talks to the target (defaults: the issue's: p95 under 5 s, nothing lost)."""

    a: str = ""  # FHIR base the scenarios write to (default endpoints.fhir)
    b: str = ""  # FHIR base that notifies: subscriptions are created here (default a)
    topic: str = ""  # SubscriptionTopic canonical (default: the first one B declares)
    # The Subscription's filter (Backport filter-criteria); ``{tag}`` becomes this run's tag system|code.
    # Set it to one the topic's canFilterBy allows when the server refuses the default.
    filter: str = "Patient?_tag={tag}"
    listen: str = "127.0.0.1:0"  # where the notification receiver listens (loopback only)
    notify_url: str = ""  # the URL the target posts to, when a proxy or tunnel forwards to `listen`
    heartbeat: float = 5.0  # seconds: the heartbeatPeriod asked for
    wait: float = 10.0  # seconds to wait for a handshake, heartbeat or notification
    events: int = 20  # events per exchange scenario
    rate: float = 5.0  # events per second written in A
    patients: int = 2  # patients the events are spread over (order is judged per patient)
    settle: float = 10.0  # seconds after the last write for notifications still in flight
    p95_ms: float = 5000.0  # threshold: 95th percentile latency
    max_lost: int = 0
    max_duplicates: int = 0
    max_order_violations: int = 0
    load_rates: list[float] = field(default_factory=list)  # events per second, one load level each
    load_seconds: float = 10.0  # how long each load level writes

    def endpoint_a(self, endpoints: dict[str, str]) -> str:
        return (self.a or endpoints.get("fhir", "")).rstrip("/")

    def endpoint_b(self, endpoints: dict[str, str]) -> str:
        return (self.b or self.endpoint_a(endpoints)).rstrip("/")


def listen_address(spec: str) -> tuple[str, int]:
    """``host:port`` on loopback -> (host, port); ValueError says what is wrong."""
    host, sep, port = spec.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{spec!r} is not host:port (e.g. 127.0.0.1:8099)")
    if host not in LOOPBACK_NAMES:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError(f"{host!r} is not a loopback address: the receiver listens on loopback only "
                             "(set realtime.notify_url for a proxy or tunnel that forwards to it)")
    return host, int(port)


def parse_realtime(table: dict[str, Any], err: Callable[[str, str], Exception]) -> RealtimeSettings:
    settings = RealtimeSettings()
    for key, value in table.items():
        default = getattr(settings, key)
        where = f"realtime.{key}"
        if isinstance(default, list):
            if not isinstance(value, list) or not value or not all(_positive(v) for v in value):
                raise err(where, "must be a list of numbers greater than 0")
            value = [float(v) for v in value]
        elif isinstance(default, bool) or isinstance(default, str):
            if not isinstance(value, str):
                raise err(where, "must be a string")
            value = value.strip()
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise err(where, "must be a whole number, 0 or more")
            if key in ("events", "patients") and value < 1:
                raise err(where, "must be at least 1")
        else:
            if not _positive(value):
                raise err(where, "must be a number greater than 0")
            value = float(value)
        setattr(settings, key, value)
    for key in ("a", "b", "topic", "notify_url"):
        url = getattr(settings, key)
        parts = urlsplit(url)
        if url and (parts.scheme not in ("http", "https") or not parts.netloc) and key != "topic":
            raise err(f"realtime.{key}", f"{url!r} is not an http(s) URL")
    if "{tag}" not in settings.filter:
        raise err("realtime.filter", "must contain {tag} (the run's tag), so that only this run's writes notify")
    try:
        listen_address(settings.listen)
    except ValueError as exc:
        raise err("realtime.listen", str(exc)) from None
    return settings


def _positive(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and value > 0
