"""The HL7 v2 sandbox: its receiver acknowledges correctly, its sender sends valid messages, and each
fault switch changes exactly what it claims (a probe says no on the clean sandbox, yes with the fault).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from conformance.hl7v2 import load_profile, validate
from conformance.hl7v2.ack import Ack, read_ack
from conformance.hl7v2.outbound import fixture_messages, readdress, without_segment
from conformance.sandbox.faults import FAULTS, Faults, parse_faults
from conformance.sandbox.hl7v2 import SandboxReceiver, sandbox_hl7v2_settings, send_messages
from conformance.sandbox.hl7v2.receiver import SLOW_SECONDS
from conformance.sandbox.hl7v2.sender import outbound
from conformance.sandbox.hl7v2.server import MllpSandbox
from conformance.sandbox.hl7v2_faults import TYPES
from conformance.transports.mllp import MllpClient, MllpError, MllpListener, MllpSettings

US, THEM = ("TESTER", "XTE01"), ("SANDBOX", "XSB01")


def message(kind: str = "ADT^A01", control: str = "T0001", enhanced: bool = False) -> str:
    return readdress(fixture_messages()[kind], sending=US, receiving=THEM, control_id=control, enhanced=enhanced)


async def exchange(faults: Faults, *texts: str, timeout: float = 30.0) -> list[Ack | str]:
    """Send ``texts`` on one in-memory connection; each reply read as an ACK, or the error in words."""
    client = await MllpClient.linked(SandboxReceiver(faults).handle, MllpSettings(read_timeout=timeout))
    out: list[Ack | str] = []
    try:
        for text in texts:
            try:
                out.append(read_ack(await client.send(text)))
            except MllpError as exc:
                out.append(str(exc))
    finally:
        await client.aclose()
    return out


async def first(faults: Faults, text: str) -> Ack:
    (reply,) = await exchange(faults, text)
    assert isinstance(reply, Ack), reply
    return reply


async def test_clean_receiver_acknowledges_by_the_rules() -> None:
    ack = await first(Faults(), message(control="C42"))
    assert (ack.code, ack.acknowledged, ack.message_code) == ("AA", "C42", "ACK")
    assert ack.sending == THEM and ack.receiving == US and ack.errors == []
    enhanced = await first(Faults(), message(control="C43", enhanced=True))
    assert enhanced.code == "CA"
    broken = await first(Faults(), without_segment(message(), "PID"))
    assert broken.code == "AE" and broken.errors and broken.errors[0].code == "100"


async def test_sender_sends_every_type_valid_against_its_profile() -> None:
    sent = outbound(Faults())
    assert [k for k, _ in sent] == list(TYPES)
    for kind, text in sent:
        assert validate(text, load_profile("nhs-" + kind.lower().replace("^", "-"))).valid, kind


async def test_sender_over_loopback_delivers_everything_to_a_listener() -> None:
    got: list[bytes] = []

    async def handler(data: bytes) -> bytes:
        got.append(data)
        return message().encode()  # any framed reply will do as its ACK

    listener = await MllpListener(handler).start()
    try:
        acked = await send_messages(Faults(), lambda: _tcp(listener.port))
    finally:
        await listener.aclose()
    assert acked == len(TYPES) == len(got)


async def _tcp(port: int) -> MllpClient:
    return MllpClient("127.0.0.1", port)


def test_mllp_sandbox_serves_on_loopback_and_stops() -> None:
    async def one(port: int) -> Ack:
        client = MllpClient("127.0.0.1", port)
        try:
            return read_ack(await client.send(message(control="TCP1")))
        finally:
            await client.aclose()

    with MllpSandbox(Faults()) as mllp:
        ack = asyncio.run(one(mllp.port))
    assert ack.code == "AA" and ack.acknowledged == "TCP1"
    with pytest.raises(ValueError, match="loopback"):
        MllpSandbox(Faults(), host="0.0.0.0")


Probe = Callable[[Faults], Awaitable[bool]]


# Long enough for a starved CPU to answer (the first exchange also loads the validator); a probe that
# expects silence waits this long, a sandbox that answers returns at once.
PATIENCE = 5.0


async def _reply(faults: Faults, text: str) -> Ack | str:
    return (await exchange(faults, text, timeout=PATIENCE))[0]


async def _code(faults: Faults, text: str, codes: tuple[str, ...]) -> bool:
    reply = await _reply(faults, text)
    return isinstance(reply, Ack) and reply.code in codes


def _kinds(faults: Faults) -> list[str]:
    return [k for k, _ in outbound(faults)]


def _invalid(faults: Faults, kind: str, profiled: bool) -> bool:
    text = dict(outbound(faults))[kind]
    return not validate(text, load_profile("nhs-" + kind.lower().replace("^", "-")) if profiled else None).valid


async def _several(faults: Faults) -> bool:
    replies = await exchange(faults, message(control="S1"), message(control="S2"), timeout=PATIENCE)
    return not isinstance(replies[1], Ack)


async def _pushed(faults: Faults) -> tuple[int, list[str]]:
    broken: list[str] = []

    async def handler(data: bytes) -> bytes:
        return message().encode()

    acked = await send_messages(faults, lambda: MllpClient.linked(handler, on_broken=broken.append))
    return acked, broken


async def _slow(faults: Faults) -> bool:
    # No ACK within the sandbox's agreed 5 s: the fault sleeps 6.5 s first, so load cannot make it early.
    assert PATIENCE <= sandbox_hl7v2_settings().ack_within < SLOW_SECONDS
    return isinstance(await _reply(faults, message()), str)


async def _extra(faults: Faults, text: str) -> bool:
    """Whether anything more than the one ACK arrives after ``text`` (read for 0.3 s of quiet)."""
    client = await MllpClient.linked(SandboxReceiver(faults).handle, MllpSettings(read_timeout=0.5))
    try:
        await client.send(text)
        extra, _ = await client.settle(0.3)
    finally:
        await client.aclose()
    return bool(extra)


async def _pipelined_lost(faults: Faults) -> bool:
    client = await MllpClient.linked(SandboxReceiver(faults).handle, MllpSettings(read_timeout=0.5))
    replies = await client.send_together([message(control="P1"), message(control="P2")])
    return replies[1] is None


async def _repeated(faults: Faults) -> bool:
    controls: list[str] = []

    async def handler(data: bytes) -> bytes:
        controls.append(data.split(b"\r")[0].decode().split("|")[9])
        return message().encode()

    await send_messages(faults, lambda: MllpClient.linked(handler))
    return len(set(controls)) < len(controls)


PROBES: dict[str, Probe] = {
    "hl7v2-ack-control-id-constant": lambda f: _field(f, lambda a: a.control_id == "ACK"),
    "hl7v2-ack-twice": lambda f: _extra(f, message()),
    "hl7v2-enhanced-app-ack": lambda f: _extra(f, message(enhanced=True)),
    "hl7v2-pipelined-drops-second": _pipelined_lost,
    "hl7v2-sender-repeats-later": _repeated,
    "hl7v2-ack-never": lambda f: _is_str(_reply(f, message())),
    "hl7v2-ack-bad-framing": lambda f: _is_str(_reply(f, message())),
    "hl7v2-ack-wrong-control-id": lambda f: _field(f, lambda a: a.acknowledged != "T0001"),
    "hl7v2-ack-accepts-broken": lambda f: _code(f, without_segment(message(), "PID"), ("AA",)),
    "hl7v2-ack-accepts-unsupported": lambda f: _code(f, message().replace("ADT^A01^ADT_A01", "ZCF^Z01^ZCF_Z01"),
                                                     ("AA",)),
    "hl7v2-ack-no-err": lambda f: _errless(f),
    "hl7v2-ack-no-swap": lambda f: _field(f, lambda a: a.sending == US),
    "hl7v2-ack-echoes-type": lambda f: _field(f, lambda a: a.message_code != "ACK"),
    "hl7v2-ack-original-mode-only": lambda f: _code(f, message(enhanced=True), ("AA",)),
    "hl7v2-ack-rejects-valid": lambda f: _code(f, message(), ("AR",)),
    "hl7v2-ack-slow": _slow,
    "hl7v2-duplicate-unanswered": lambda f: _dup(f),
    "hl7v2-one-message-per-connection": _several,
    "hl7v2-sender-silent": lambda f: _ret(_pushed(f), lambda r: r[0] == 0),
    "hl7v2-sender-bad-framing": lambda f: _ret(_pushed(f), lambda r: bool(r[1])),
    "hl7v2-sender-skips-type": lambda f: _now("ADT^A03" not in _kinds(f)),
    "hl7v2-sender-breaks-standard": lambda f: _now(_invalid(f, "ADT^A03", profiled=False)),
    "hl7v2-sender-line-feeds": lambda f: _now(_invalid(f, "ORU^R01", profiled=False)),
    "hl7v2-sender-out-of-profile": lambda f: _now(_invalid(f, "ADT^A01", profiled=True)
                                                  and not _invalid(f, "ADT^A01", profiled=False)),
    "hl7v2-sender-reuses-control-id": lambda f: _now(len({t.split("|")[9] for _, t in outbound(f)}) == 1),
}


async def _now(value: bool) -> bool:
    return value


async def _ret(awaitable: Awaitable[tuple[int, list[str]]], judge: Callable[[tuple[int, list[str]]], bool]) -> bool:
    return judge(await awaitable)


async def _is_str(awaitable: Awaitable[Ack | str]) -> bool:
    return isinstance(await awaitable, str)


async def _field(faults: Faults, judge: Callable[[Ack], bool]) -> bool:
    reply = await _reply(faults, message())
    return isinstance(reply, Ack) and judge(reply)


async def _errless(faults: Faults) -> bool:
    reply = await _reply(faults, without_segment(message(), "PID"))
    return isinstance(reply, Ack) and reply.code == "AE" and not reply.errors


async def _dup(faults: Faults) -> bool:
    replies = await exchange(faults, message(control="D1"), message(control="D1"), timeout=PATIENCE)
    return not isinstance(replies[1], Ack)


def test_every_hl7v2_fault_has_a_probe() -> None:
    assert sorted(PROBES) == sorted(n for n in FAULTS if n.startswith("hl7v2-"))


@pytest.mark.parametrize("name", sorted(PROBES))
async def test_hl7v2_fault_changes_what_it_claims(name: str) -> None:
    assert await PROBES[name](Faults()) is False, f"{name}: visible on the clean sandbox"
    assert await PROBES[name](parse_faults([name])) is True, f"{name}: not visible with the fault on"
