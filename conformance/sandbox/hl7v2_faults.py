"""The HL7 v2 sandbox's fault switches (receiver and sender), each naming the checks it must fail.

Kept apart from faults.py only for length; faults.py merges them into the one registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conformance.sandbox.faults import Fault

# Fault names, for the parts that honour them (faults.on(NAME)).
HL7V2_ACK_NEVER = "hl7v2-ack-never"
HL7V2_ACK_BAD_FRAMING = "hl7v2-ack-bad-framing"
HL7V2_ACK_WRONG_CONTROL_ID = "hl7v2-ack-wrong-control-id"
HL7V2_ACK_ACCEPTS_BROKEN = "hl7v2-ack-accepts-broken"
HL7V2_ACK_ACCEPTS_UNSUPPORTED = "hl7v2-ack-accepts-unsupported"
HL7V2_ACK_NO_ERR = "hl7v2-ack-no-err"
HL7V2_ACK_NO_SWAP = "hl7v2-ack-no-swap"
HL7V2_ACK_ECHOES_TYPE = "hl7v2-ack-echoes-type"
HL7V2_ACK_ORIGINAL_MODE_ONLY = "hl7v2-ack-original-mode-only"
HL7V2_ACK_REJECTS_VALID = "hl7v2-ack-rejects-valid"
HL7V2_ACK_SLOW = "hl7v2-ack-slow"
HL7V2_DUPLICATE_UNANSWERED = "hl7v2-duplicate-unanswered"
HL7V2_ONE_MESSAGE_PER_CONNECTION = "hl7v2-one-message-per-connection"
HL7V2_ACK_CONTROL_ID_CONSTANT = "hl7v2-ack-control-id-constant"
HL7V2_ACK_TWICE = "hl7v2-ack-twice"
HL7V2_ENHANCED_APP_ACK = "hl7v2-enhanced-app-ack"
HL7V2_PIPELINED_DROPS_SECOND = "hl7v2-pipelined-drops-second"
HL7V2_SENDER_SILENT = "hl7v2-sender-silent"
HL7V2_SENDER_BAD_FRAMING = "hl7v2-sender-bad-framing"
HL7V2_SENDER_REPEATS_LATER = "hl7v2-sender-repeats-later"
HL7V2_SENDER_SKIPS_TYPE = "hl7v2-sender-skips-type"
HL7V2_SENDER_BREAKS_STANDARD = "hl7v2-sender-breaks-standard"
HL7V2_SENDER_LINE_FEEDS = "hl7v2-sender-line-feeds"
HL7V2_SENDER_OUT_OF_PROFILE = "hl7v2-sender-out-of-profile"
HL7V2_SENDER_REUSES_CONTROL_ID = "hl7v2-sender-reuses-control-id"

# The message types the sandbox receives and sends: the harness's samples (fixtures/hl7v2/valid).
TYPES = ("ADT^A01", "ADT^A02", "ADT^A03", "ADT^A04", "ADT^A08", "ADT^A28", "ADT^A31", "ADT^A40",
         "MDM^T02", "ORM^O01", "ORU^R01")
R = "hl7v2-receiver."
S = "hl7v2-sender."
ACCEPT = tuple(R + "accept." + t.lower().replace("^", "-") for t in TYPES)
# Every receiver check that waits for an ACK to a message of its own (reject.err-segment builds on
# reject.broken, so it skips when that fails).
SENDING = (*ACCEPT, R + "ack.control-id", R + "ack.routing", R + "ack.header", R + "reject.broken",
           R + "reject.unsupported-type", R + "mode.enhanced", R + "duplicate.retransmission",
           R + "timing.ack-within", R + "connection.several-messages", R + "ack.own-control-id",
           R + "ack.single-reply", R + "connection.pipelined")


def hl7v2_faults(fault: type[Fault]) -> tuple[Fault, ...]:
    return (
        fault(HL7V2_ACK_NEVER, "the MLLP receiver reads every message and never acknowledges it", SENDING),
        fault(HL7V2_ACK_BAD_FRAMING, "ACKs end 0x1C 0x0A (line feed) instead of 0x1C 0x0D", SENDING),
        fault(HL7V2_ACK_WRONG_CONTROL_ID, "MSA-2 carries the ACK's own control id, not the message's MSH-10",
              (R + "ack.control-id", R + "duplicate.retransmission", R + "connection.several-messages")),
        fault(HL7V2_ACK_ACCEPTS_BROKEN, "every message is answered AA, even one missing a required segment",
              (R + "reject.broken",)),
        fault(HL7V2_ACK_ACCEPTS_UNSUPPORTED, "message types the receiver does not know are answered AA",
              (R + "reject.unsupported-type",)),
        fault(HL7V2_ACK_NO_ERR, "error and reject ACKs carry no ERR segment", (R + "reject.err-segment",)),
        fault(HL7V2_ACK_NO_SWAP, "the ACK's MSH-3..6 echo the message's instead of being swapped",
              (R + "ack.routing",)),
        fault(HL7V2_ACK_ECHOES_TYPE, "the ACK's MSH-9 repeats the message's type (ADT^A01) instead of ACK",
              (R + "ack.header",)),
        fault(HL7V2_ACK_ORIGINAL_MODE_ONLY, "MSH-15/16 are ignored: enhanced mode is answered AA, not CA",
              (R + "mode.enhanced",)),
        fault(HL7V2_ACK_REJECTS_VALID, "valid messages are rejected AR with 203 (unsupported version): the "
              "receiver only takes v2.3", ACCEPT),
        fault(HL7V2_ACK_SLOW, "every ACK is sent 6.5 s after the message (the sandbox agrees 5 s)",
              (R + "timing.ack-within",)),
        fault(HL7V2_DUPLICATE_UNANSWERED, "a message whose MSH-10 was seen before gets no reply at all",
              (R + "duplicate.retransmission",)),
        # Allowed by MLLP: only the optional persistent-connection check fails, and a pipelined second
        # message is lost (the retransmission is resent on a new connection and passes).
        fault(HL7V2_ONE_MESSAGE_PER_CONNECTION, "the receiver hangs up after each ACK",
              (R + "connection.several-messages", R + "connection.pipelined")),
        fault(HL7V2_ACK_CONTROL_ID_CONSTANT, "every ACK carries MSH-10 'ACK' instead of a control id of its own",
              (R + "ack.own-control-id",)),
        fault(HL7V2_ACK_TWICE, "in original mode every ACK is sent twice", (R + "ack.single-reply",)),
        fault(HL7V2_ENHANCED_APP_ACK, "in enhanced mode the commit ACK CA is followed by an application ACK AA "
              "that MSH-16 NE did not ask for", (R + "mode.enhanced",)),
        fault(HL7V2_PIPELINED_DROPS_SECOND, "a second message that arrived in the same TCP read as the first is "
              "discarded unanswered", (R + "connection.pipelined",)),
        fault(HL7V2_SENDER_SILENT, "the MLLP sender sends nothing", (S + "delivery.arrives",)),
        # The harness reads the frame leniently (the message is kept and answered) and fails framing.
        fault(HL7V2_SENDER_BAD_FRAMING, "the sender ends its ADT^A08 frame 0x1C 0x0A instead of 0x1C 0x0D",
              (S + "delivery.framing",)),
        fault(HL7V2_SENDER_REPEATS_LATER, "1.5 s after its last message the sender sends its ADT^A01 again, "
              "with the same MSH-10", (S + "message.control-ids",)),
        fault(HL7V2_SENDER_SKIPS_TYPE, "the sender never sends the ADT^A03 (discharge) it claims",
              (S + "delivery.claimed-types",)),
        fault(HL7V2_SENDER_BREAKS_STANDARD, "the sender's ADT^A03 has EVN after PID (segment order)",
              (S + "message.standard", S + "message.profile")),
        fault(HL7V2_SENDER_LINE_FEEDS, "the sender separates the segments of its ORU^R01 with line feeds, "
              "not CR", (S + "message.standard", S + "message.profile")),
        fault(HL7V2_SENDER_OUT_OF_PROFILE, "the sender's ADT^A01 carries no NHS number in PID-3",
              (S + "message.profile",)),
        fault(HL7V2_SENDER_REUSES_CONTROL_ID, "every message the sender sends has MSH-10 00001",
              (S + "message.control-ids",)),
    )
