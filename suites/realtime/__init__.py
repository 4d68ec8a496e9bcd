"""The ``realtime`` suite: endpoint B's FHIR Subscriptions (Backport IG, rest-hook) and exchange
scenarios timing how soon a write in A is notified by B. Check ids: docs/realtime.md.
"""

# ruff: noqa: I001
from suites.realtime import context
from suites.realtime import subscription
from suites.realtime import states
from suites.realtime import exchange

__all__ = ["context", "exchange", "states", "subscription"]
