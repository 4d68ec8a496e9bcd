"""The ``hl7v2-sender`` suite: the harness listens, the target sends, and each message is judged
against the standard and the profile the target claims for it.

Check ids and what each verifies: docs/hl7v2-checks.md.
"""

# ruff: noqa: I001
from suites.hl7v2_sender import context
from suites.hl7v2_sender import delivery
from suites.hl7v2_sender import message

__all__ = ["context", "delivery", "message"]
