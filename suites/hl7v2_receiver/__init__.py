"""The ``hl7v2-receiver`` suite: we send good and deliberately bad HL7 v2 messages to the target's MLLP
endpoint and judge its acknowledgements.

Check ids and what each verifies: docs/hl7v2-checks.md. Importing this package registers the suite
(context.py), then its checks: the import order below is the report order.
"""

# ruff: noqa: I001
from suites.hl7v2_receiver import context
from suites.hl7v2_receiver import accept
from suites.hl7v2_receiver import acks
from suites.hl7v2_receiver import stream

__all__ = ["accept", "acks", "context", "stream"]
