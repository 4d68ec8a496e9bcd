"""The sandbox's HL7 v2 side: an MLLP receiver that acknowledges, and a sender, each with fault switches."""

from conformance.sandbox.hl7v2.receiver import SandboxReceiver
from conformance.sandbox.hl7v2.sender import SENDER_ID, send_messages
from conformance.sandbox.hl7v2.settings import sandbox_hl7v2_settings

__all__ = ["SENDER_ID", "SandboxReceiver", "sandbox_hl7v2_settings", "send_messages"]
