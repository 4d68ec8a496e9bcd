"""What a target file would say about the sandbox's real-time side (``conformance demo`` and tests).

Small counts and short bounds so that a whole run of the realtime suite takes a few seconds.
"""

from __future__ import annotations

from conformance.realtime.settings import RealtimeSettings
from conformance.sandbox.realtime.subscriptions import TOPIC


def sandbox_realtime_settings(fhir_base: str) -> RealtimeSettings:
    """``fhir_base`` is endpoint A (``.../fhir``); B is the sandbox's ``.../fhir-b``."""
    base = fhir_base.rstrip("/")
    return RealtimeSettings(a=base, b=base + "-b", topic=TOPIC, heartbeat=1.0, wait=3.0, events=20, rate=40.0,
                            patients=2, settle=1.5, p95_ms=200.0, load_rates=[20.0, 200.0], load_seconds=0.5)
