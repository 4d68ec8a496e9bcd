"""The hl7v2-sender suite's context: a listener the target sends to, and how to ask it to send.

Where the messages come from: a real target is configured to send to ``hl7v2.listen`` (and may have
a test hook, ``hl7v2.trigger``, that we POST {"host", "port"} to); the in-memory twin
(``links.hl7v2_push``) pushes through a socket pair. The harness acknowledges each message
as a receiving system must (``handle``), and keeps it as evidence.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.checks import BaseContext, ProductKey, SuiteRuntime, skip, suite
from conformance.evidence.capture import record
from conformance.hl7v2 import parse, validate
from conformance.hl7v2.ack import Problem, build_ack, commit_wanted, enhanced, problem_for
from conformance.hl7v2.message import decode
from conformance.model import Evidence
from conformance.targets import Target, mllp_address
from conformance.transports.http import HttpTransport, TransportError
from conformance.transports.mllp import Handler, MllpListener, MllpSettings, OnBroken, Reply
from conformance.writeguard import is_sandbox, require_sandbox

SUITE_ID = "hl7v2-sender"
ARRIVES: ProductKey[Delivery] = ProductKey("hl7v2-sender.delivery.arrives")
Push = Callable[[Handler, OnBroken], Awaitable[Any]]
# What the listener keeps of what a target sends. A sender that floods (a production feed, or a hostile
# peer) must not cost unbounded memory: past either bound the harness hangs up, stops listening and says so.
MAX_KEPT_MESSAGES = 500
MAX_KEPT_BYTES = 20_000_000
EVIDENCE_TEXT = 64_000  # of each kept message, as evidence (the whole is hashed)
SENDER_CONNECTIONS = 8  # a sender uses one or two connections; more at once are hung up on (and said)


@dataclass
class Received:
    text: str
    kind: str  # ADT^A01
    control_id: str
    after_s: float  # seconds after the listener started
    answered: str = ""  # what the harness answered: AA, AE (with ERR), CA, "no ACK (MSH-15 NE)"...


@dataclass
class Delivery:
    messages: list[Received] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)  # how the sender broke MLLP framing, one line each
    kept_bytes: int = 0
    overflow: str = ""  # set when the sender sent more than the harness keeps

    def kinds(self) -> set[str]:
        return {m.kind for m in self.messages}


class SenderContext(BaseContext):
    def __init__(self, target: Target, push: Push | None, http_transport: Any) -> None:
        super().__init__(target)
        self.hl7 = target.hl7v2
        self.push = push
        self.http_transport = http_transport
        self.delivery = Delivery()
        self._started = 0.0
        self._ack_count = 0
        self._lock = asyncio.Lock()
        self._collected: Delivery | None = None
        self._evidence: list[Evidence] | None = None

    async def handle(self, data: bytes) -> bytes | Reply | None:
        """Keep the message and answer it as a receiving system must, so the sender's handling of
        our answer can be judged: AR when it is not HL7 v2, AE with ERR segments when it is invalid,
        AA otherwise; in enhanced mode (MSH-15 valued) CR/CE/CA, sent only when MSH-15 asks for it."""
        kept = self.delivery
        full = len(kept.messages) >= MAX_KEPT_MESSAGES or kept.kept_bytes + len(data) > MAX_KEPT_BYTES
        if kept.overflow or full:
            if not kept.overflow:
                kept.overflow = (f"the target sent more than the harness keeps ({MAX_KEPT_MESSAGES} messages or "
                                 f"{MAX_KEPT_BYTES:,} bytes); it kept the first {len(kept.messages)} and "
                                 "stopped listening")
            return Reply(b"", raw=True, close=True)  # no ACK for what is not kept; hang up
        kept.kept_bytes += len(data)
        message = parse(data)
        msh = message.first("MSH")
        code, trigger, _ = message.type
        received = Received(decode(data), f"{code}^{trigger}", msh.value(10) if msh else "",
                            round(time.perf_counter() - self._started, 3))
        self.delivery.messages.append(received)
        problems: list[Problem] = []
        if msh is None or any(i.severity == "fatal" for i in message.issues):
            status = 2
        else:
            try:
                problems = [problem_for(i.defect, i.diagnostics, i.where) for i in validate(message).errors][:10]
            except Exception as exc:  # noqa: BLE001  the sender still gets an answer, never a hang-up
                problems = [Problem("207", f"the receiving application failed: {type(exc).__name__}")]
            status = 1 if problems else 0
        codes = ("CA", "CE", "CR") if enhanced(message) else ("AA", "AE", "AR")
        if enhanced(message) and not commit_wanted(message, status == 0):
            received.answered = f"no ACK (MSH-15 {msh.value(15) if msh else ''})"
            return None
        self._ack_count += 1
        received.answered = codes[status]
        return build_ack(message, codes[status], f"CFACK{self._ack_count:06d}", problems).encode()

    def on_broken(self, why: str) -> None:
        self.delivery.broken.append(why)

    async def collected(self) -> Delivery:
        """The delivery, listened for once per run whichever check asks first."""
        async with self._lock:
            if self._collected is None:
                self._collected = await self.collect()
            return self._collected

    async def collect(self) -> Delivery:
        """Listen, ask the target to send, and keep listening for the whole wait window, so a message
        sent late (a repeat of an earlier control id, say) is heard and judged too."""
        if not self.hl7.sends and not self.hl7.trigger:
            skip("the target declares no HL7 v2 messages it sends (hl7v2.sends) and no trigger (hl7v2.trigger)")
        if self.hl7.trigger and self.push is None:
            # Asking the target to send makes it act (send, queue, log, perhaps create): a write.
            require_sandbox(self.target, "POSTing to hl7v2.trigger, which makes the target send messages "
                            "(remove hl7v2.trigger to listen for what it sends on its own)")
        self._started = time.perf_counter()
        if self.push is not None:
            await asyncio.wait_for(self.push(self.handle, self.on_broken), self.hl7.wait)
            return self.delivery
        host, port = mllp_address(self.hl7.listen)
        listener = await MllpListener(self.handle, host, port, on_broken=self.on_broken, keep_idle=True,
                                      settings=MllpSettings(max_connections=SENDER_CONNECTIONS)).start()
        try:
            if self.hl7.trigger:
                await self.trigger(host, listener.port)
            deadline = time.monotonic() + self.hl7.wait  # the whole window, unless the sender floods
            while time.monotonic() < deadline and not self.delivery.overflow:
                await asyncio.sleep(0.05)
        finally:
            await listener.aclose()  # lets a frame in flight finish and be answered first
        return self.delivery

    async def trigger(self, host: str, port: int) -> None:
        http = HttpTransport(self.target.http, self.target.auth, transport=self.http_transport,
                             origin=self.hl7.trigger, read_only=not is_sandbox(self.target))
        try:
            body = json.dumps({"host": host, "port": port}).encode()
            response = await http.request("POST", self.hl7.trigger, content=body,
                                          headers={"Content-Type": "application/json"})
        except TransportError as exc:
            raise TransportError(f"the trigger {self.hl7.trigger} could not be reached: {exc}") from None
        finally:
            await http.aclose()
        if response.status_code >= 300:
            raise TransportError(f"the trigger {self.hl7.trigger} answered {response.status_code}")

    def record_delivery(self) -> None:
        """Every kept message (and how the sender broke framing) as evidence of the check at hand; built
        once and shared by the checks, so evidence costs one copy of each message's text, not one per check."""
        if self._evidence is None:
            self._evidence = []
            for m in self.delivery.messages:
                raw = m.text.encode("utf-8")
                data: dict[str, Any] = {"direction": "received", "size": len(raw),
                                        "sha256": hashlib.sha256(raw).hexdigest(),
                                        "text": m.text[:EVIDENCE_TEXT].replace("\r", "\n"), "after_s": m.after_s,
                                        "answered": m.answered}
                if len(m.text) > EVIDENCE_TEXT:
                    data["text_truncated"] = True
                self._evidence.append(Evidence(kind="mllp", summary=f"received {m.kind} {m.control_id}", data=data))
            self._evidence += [Evidence(kind="mllp", summary="broken frame", data={"error": why})
                               for why in self.delivery.broken]
            if self.delivery.overflow:
                self._evidence.append(Evidence(kind="mllp", summary="listener stopped: too much sent",
                                               data={"error": self.delivery.overflow}))
        for item in self._evidence:
            record(item)


async def make_context(runtime: SuiteRuntime) -> SenderContext:
    return SenderContext(runtime.target, runtime.links.hl7v2_push,
                         runtime.links.http_transport)


SUITE = suite(
    id=SUITE_ID,
    title="HL7 v2 sender: messages the target sends over MLLP",
    context=make_context,
    description="The harness listens on MLLP; every message the target sends is checked for framing, "
    "the message types it claims, the standard, its claimed message profile, and unique control ids.",
)
