"""A target's ``[realtime]`` section: the two endpoints, where we listen, the thresholds and the load.

Kept here rather than in targets.py so the real-time settings live with the code that reads them;
targets.py names the section, pydantic checks it (an unknown key is an error).
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator

from conformance.sections import Section, accepted_by, http_url, positive, text, whole

LOOPBACK_NAMES = ("localhost",)


Str = Annotated[str, text()]
Positive = Annotated[float, positive("must be a number greater than 0")]
Count = Annotated[int, whole("must be a whole number, 0 or more", 0)]


def _rates(value: Any) -> list[float]:
    if not isinstance(value, list) or not value or not all(_positive(v) for v in value):
        raise ValueError("must be a list of numbers greater than 0")
    return [float(v) for v in value]


class RealtimeSettings(Section):
    """How the realtime suite talks to the target (defaults: the issue's: p95 under 5 s, nothing lost)."""

    a: Str = ""  # FHIR base the scenarios write to (default endpoints.fhir)
    b: Str = ""  # FHIR base that notifies: subscriptions are created here (default a)
    topic: Str = ""  # SubscriptionTopic canonical (default: the first one B declares)
    # The Subscription's filter (Backport filter-criteria); ``{tag}`` becomes this run's tag system|code.
    # Set it to one the topic's canFilterBy allows when the server refuses the default.
    filter: Str = "Patient?_tag={tag}"
    listen: Str = "127.0.0.1:0"  # where the notification receiver listens (loopback only)
    notify_url: Str = ""  # the URL the target posts to, when a proxy or tunnel forwards to `listen`
    heartbeat: Positive = 5.0  # seconds: the heartbeatPeriod asked for
    wait: Positive = 10.0  # seconds to wait for a handshake, heartbeat or notification
    events: Count = 20  # events per exchange scenario
    rate: Positive = 5.0  # events per second written in A
    patients: Count = 2  # patients the events are spread over (order is judged per patient)
    settle: Positive = 10.0  # seconds after the last write for notifications still in flight
    p95_ms: Positive = 5000.0  # threshold: 95th percentile latency
    max_lost: Count = 0
    max_duplicates: Count = 0
    max_order_violations: Count = 0
    # events per second, one load level each
    load_rates: Annotated[list[float], BeforeValidator(_rates)] = Field(default_factory=list)
    load_seconds: Positive = 10.0  # how long each load level writes

    @field_validator("events", "patients")
    @classmethod
    def _at_least_one(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    _url = field_validator("a", "b", "notify_url")(http_url)

    @field_validator("filter")
    @classmethod
    def _tagged(cls, value: str) -> str:
        if "{tag}" not in value:
            raise ValueError("must contain {tag} (the run's tag), so that only this run's writes notify")
        return value

    _loopback = field_validator("listen")(accepted_by(lambda spec: listen_address(spec)))

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


def _positive(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and value > 0
