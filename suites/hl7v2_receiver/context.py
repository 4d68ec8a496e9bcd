"""The hl7v2-receiver suite's context: an MLLP connection per exchange and the messages we send.

A reply that never comes, comes badly framed, or is not an ACK is the *target's* failure (a receiver
must acknowledge), so it fails the check; only a refused connection is a harness error. The in-memory
twin (``links.mllp_handler``) joins a handler through a socket pair instead of a port.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from conformance.checks import BaseContext, HarnessLacks, SuiteRuntime, fail, skip, suite
from conformance.evidence.capture import record
from conformance.hl7v2 import ProfileError, load_profile
from conformance.hl7v2.ack import Ack, AckError, read_ack
from conformance.hl7v2.outbound import fixture_messages, readdress, set_fields, without_segment
from conformance.model import Evidence
from conformance.targets import Target, mllp_address
from conformance.transports.mllp import (
    Handler,
    MllpClient,
    MllpConnectError,
    MllpError,
    MllpSettings,
    MllpTooLarge,
)
from conformance.writeguard import ADVICE, hl7_test_message, hl7_type, hl7_writes, is_sandbox

SUITE_ID = "hl7v2-receiver"
# Who we are in MSH-3/4: a synthetic application and an ODS-format facility code.
HARNESS = ("CONFORMANCE", "XCF01")
# A locally defined (Z) message type no receiver can know: it must be rejected, not accepted.
UNSUPPORTED_TYPE = "ZCF^Z01^ZCF_Z01"


@dataclass
class Exchange:
    sent: str
    control_id: str
    ack: Ack
    elapsed: float  # seconds from sending to the complete reply


class ReceiverContext(BaseContext):
    def __init__(self, target: Target, handler: Handler | None) -> None:
        super().__init__(target)
        self.hl7 = target.hl7v2
        self.handler = handler
        endpoint = target.endpoints.get("mllp")
        self.address = mllp_address(endpoint) if endpoint else None
        # Wait a little past the ACK time limit, so "late" and "never" are told apart.
        self.settings = MllpSettings(read_timeout=self.hl7.ack_within + max(1.0, self.hl7.ack_within),
                                     max_message_bytes=self.hl7.max_message_bytes)
        # How long to keep reading after a reply for anything more (a second, unasked ACK). A receiver
        # that sends two ACKs sends them from the same handling of one message, so the second follows
        # the first within the time it agreed for one ACK (hl7v2.ack_within): the whole of it (a 2 s cap
        # let an application ACK 3 s after a commit ACK pass, review of issue 16); at least 0.5 s so
        # loopback scheduling cannot hide it; at most 10 s, so a peer that never falls quiet (heard for 4
        # settle times) stays inside the default check timeout. The verdict is on what arrived, not on time.
        self.settle = min(max(self.hl7.ack_within, 0.5), 10.0)
        # Not a sandbox: nothing that changes data is sent, unless the target takes test messages
        # (hl7v2.allow_test_messages), and then only messages marked MSH-11 = T.
        self.read_only = not is_sandbox(target)
        self.test_only = self.read_only and self.hl7.allow_test_messages

    def ready(self) -> None:
        if self.handler is None and self.address is None:
            skip("the target names no MLLP endpoint (endpoints.mllp)")

    async def client(self) -> MllpClient:
        self.ready()
        if self.handler is not None:
            return await MllpClient.linked(self.handler, self.settings, read_only=self.read_only,
                                           test_messages=self.test_only)
        assert self.address is not None
        return MllpClient(*self.address, settings=self.settings, read_only=self.read_only,
                          test_messages=self.test_only)

    def control_id(self) -> str:
        return "CF" + secrets.token_hex(6).upper()

    def message(self, kind: str, enhanced: bool = False) -> tuple[str, str]:
        """A valid synthetic ``kind`` message addressed to the target, and its fresh control id."""
        self.ready()
        text = fixture_messages().get(kind)
        if text is None:
            skip(f"the harness has no sample {kind} message (fixtures/hl7v2/valid)")
        control = self.control_id()
        text = readdress(text, sending=HARNESS, receiving=(self.hl7.application, self.hl7.facility),
                         control_id=control, enhanced=enhanced)
        return (set_fields(text, {11: "T"}) if self.test_only else text), control

    def policy(self, check_id: str, rule: str, kind: str | None = None) -> None:
        """A policy check is optional unless a profile the target claims (for ``kind``, or any when
        None) states the rule: then it is required, with the profile's words quoted in its requirements."""
        try:
            claimed = [load_profile(ref) for ref in self.hl7.profiles]
        except ProfileError as exc:
            raise ValueError(f"hl7v2.profiles: {exc}") from None
        for profile in claimed:
            if rule in profile.receiver and (kind is None or profile.message == kind):
                self.required_by[check_id] = f'{profile.id} [receiver] {rule}: "{profile.receiver[rule]}"'
                return

    def primary(self) -> str:
        """The message type the plain checks send: the first the target claims to receive."""
        claimed: list[str] = [k for k in self.hl7.receives if k in fixture_messages()]
        if not claimed:
            skip("the target claims to receive no message type the harness can send (hl7v2.receives)")
        return claimed[0]

    def unsupported(self) -> tuple[str, str]:
        text, control = self.message(self.primary())
        return set_fields(text, {9: UNSUPPORTED_TYPE}), control

    def allowed(self, text: str) -> None:
        """Skip, saying why, when ``text`` may not be sent to this target (it changes data)."""
        if self.read_only and hl7_writes(text):
            kind = hl7_type(text) or "this"
            if not self.test_only:
                skip(f"{ADVICE} sending {kind} messages, which change data (or set hl7v2.allow_test_messages "
                     "= true to allow test messages, MSH-11 = T)")
            if not hl7_test_message(text):
                skip(f"the target takes test messages only (hl7v2.allow_test_messages) and this {kind} message "
                     "is not marked MSH-11 = T")

    async def send(self, text: str, control_id: str, client: MllpClient | None = None) -> Exchange:
        self.allowed(text)
        own = client is None
        conn = client or await self.client()
        try:
            started = time.perf_counter()
            try:
                reply = await conn.send(text)
            except MllpConnectError:
                raise
            except MllpTooLarge as exc:  # the harness's own bound, not a rule of HL7 v2: not judged
                raise HarnessLacks(f"the reply to {control_id} was not judged: {exc} the harness reads; raise "
                                   "[hl7v2] max_message_bytes in the target file to read it") from None
            except MllpError as exc:
                fail(f"no acknowledgement to {control_id}: {exc}")
            elapsed = time.perf_counter() - started
            try:
                ack = read_ack(reply)
            except AckError as exc:
                fail(f"the reply to {control_id} is not an acknowledgement: {exc}")
            if hl7_writes(text) and ack.code in ("AA", "CA"):
                # Nothing in HL7 v2 over MLLP lets the harness take an accepted message back: say so.
                record(Evidence(kind="warning", summary=f"{hl7_type(text) or 'message'} {control_id} was accepted; "
                                "whatever the receiver recorded from it (synthetic data) cannot be deleted by the "
                                "harness over MLLP and is left on the target", data={"control_id": control_id}))
            return Exchange(text, control_id, ack, elapsed)
        finally:
            if own:
                await conn.aclose()

    async def send_and_settle(self, text: str, control_id: str,
                              client: MllpClient | None = None) -> tuple[Exchange, list[bytes], bool]:
        """Send, read the reply, then everything else the peer sends until ``settle`` seconds of quiet:
        (the exchange, the extra frames, whether the peer closed the connection after its reply)."""
        own = client is None
        conn = client or await self.client()
        try:
            exchange = await self.send(text, control_id, conn)
            extra, closed = await conn.settle(self.settle)
            return exchange, extra, closed
        finally:
            if own:
                await conn.aclose()

    @staticmethod
    def describe_frames(frames: list[bytes]) -> str:
        out = []
        for data in frames:
            try:
                out.append(describe_ack(read_ack(data)) + f" MSA-2 {read_ack(data).acknowledged!r}")
            except AckError:
                out.append(repr(data[:40]))
        return "; ".join(out)


async def make_context(runtime: SuiteRuntime) -> ReceiverContext:
    return ReceiverContext(runtime.target, runtime.links.mllp_handler)


SUITE = suite(
    id=SUITE_ID,
    title="HL7 v2 receiver: acknowledgements over MLLP",
    context=make_context,
    description="Valid and deliberately broken HL7 v2 messages sent to the target's MLLP endpoint; each "
    "acknowledgement judged on code, control id, routing, error segments, mode and time.",
)


def describe_ack(ack: Ack) -> str:
    errors = "; ".join(f"{e.code} {e.text} at {e.location}".strip() for e in ack.errors)
    return f"MSA-1 {ack.code or '(empty)'}" + (f" ({ack.text})" if ack.text else "") + (
        f", ERR: {errors}" if errors else "")


def without_pid(text: str) -> str:
    """The message with its PID segment removed: structurally broken for every ADT event."""
    return without_segment(text, "PID")
