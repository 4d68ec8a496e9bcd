"""The hl7v2-receiver suite against a real MLLP receiver nobody here wrote: Medplum's Hl7Server.

The expected verdicts are not written down: they are derived from what the receiver is observed to
answer over a plain socket (stdlib only: no harness transport, parser or ACK reader), so the test
checks that the suite judges this receiver exactly as its behaviour deserves.
"""

from __future__ import annotations

import socket

import pytest

from conformance.hl7v2.outbound import fixture_messages, readdress, set_fields, without_segment
from conformance.model import RunInfo, Status
from conformance.runner import Runner, build_plan, load_suites
from conformance.targets import Hl7v2Settings, Target
from tests.integration.realserver import medplum_mllp

pytestmark = pytest.mark.realserver
US, THEM = ("OBSERVER", "XOB01"), ("SUT", "SUT")


def raw_exchange(address: tuple[str, int], texts: list[str]) -> list[dict[str, list[str]]]:
    """Send framed messages on one connection; each reply split into segments and fields by hand."""
    replies = []
    with socket.create_connection(address, timeout=5) as sock:
        for text in texts:
            sock.sendall(b"\x0b" + text.encode() + b"\x1c\x0d")
            data = b""
            while not data.endswith(b"\x1c\x0d"):
                chunk = sock.recv(65536)
                assert chunk, "the receiver closed the connection"
                data += chunk
            assert data.startswith(b"\x0b")
            segments = data[1:-2].decode().split("\r")
            replies.append({seg.split("|")[0]: seg.split("|") for seg in segments if seg})
    return replies


def msg(control: str, enhanced: bool = False, kind: str = "ADT^A01") -> str:
    return readdress(fixture_messages()[kind], sending=US, receiving=THEM, control_id=control, enhanced=enhanced)


async def test_receiver_verdicts_follow_observed_behaviour() -> None:
    with medplum_mllp() as address:
        valid, broken, unknown, enhanced, again, oru = raw_exchange(address, [
            msg("OBS1"), without_segment(msg("OBS2"), "PID"),
            set_fields(msg("OBS3"), {9: "ZCF^Z01^ZCF_Z01"}), msg("OBS4", enhanced=True), msg("OBS1"),
            msg("OBS5", kind="ORU^R01")])
        target = Target(name="medplum hl7", source="test", endpoints={"mllp": f"{address[0]}:{address[1]}"},
                        hl7v2=Hl7v2Settings(application="SUT", facility="SUT", receives=["ADT^A01", "ORU^R01"],
                                            ack_within=5.0),
                        sandbox=True)  # a loopback test receiver: the suite may send admissions to it
        registry = load_suites()
        info = RunInfo(id="real-mllp", started="", target=target.to_dict(), harness_version="test")
        result = await Runner(registry, concurrency=4, check_timeout=30).run(
            build_plan(registry, ["hl7v2-receiver"]), target, info)
    status = {r.id: r.status for r in result.results}
    # What the receiver did, read from raw bytes (MSA-1 is field 1, MSA-2 field 2; MSH-n is index n-1).
    msa1 = {name: reply["MSA"][1] for name, reply in
            (("valid", valid), ("broken", broken), ("unknown", unknown), ("enhanced", enhanced))}
    swapped = valid["MSH"][2:6] == [THEM[0], THEM[1], US[0], US[1]]

    def verdict(ok: bool) -> Status:
        return Status.PASS if ok else Status.FAIL

    expected = {
        "hl7v2-receiver.accept.adt-a01": verdict(msa1["valid"] == "AA"),
        "hl7v2-receiver.ack.control-id": verdict(valid["MSA"][2] == "OBS1"),
        "hl7v2-receiver.ack.routing": verdict(swapped),
        "hl7v2-receiver.ack.header": verdict(valid["MSH"][8].split("^")[0] == "ACK" and valid["MSH"][9] != ""
                                             and valid["MSH"][10] == "P"),
        "hl7v2-receiver.reject.broken": verdict(msa1["broken"] in ("AE", "AR")),
        "hl7v2-receiver.reject.unsupported-type": verdict(msa1["unknown"] in ("AE", "AR")),
        "hl7v2-receiver.mode.enhanced": verdict(msa1["enhanced"] == "CA"),
        "hl7v2-receiver.duplicate.retransmission": verdict(again["MSA"][2] == "OBS1"),
        "hl7v2-receiver.accept.oru-r01": verdict(oru["MSA"][1] == "AA"),
        "hl7v2-receiver.accept.adt-a02": Status.SKIP,  # not claimed in hl7v2.receives
    }
    assert {k: status[k] for k in expected} == expected
    # Medplum's documented handler acknowledges everything AA: the suite must catch that, not pass it.
    assert msa1["broken"] == "AA" and status["hl7v2-receiver.reject.broken"] is Status.FAIL
    assert not any(s is Status.ERROR for s in status.values()), status
    oru = next(r for r in result.results if r.id == "hl7v2-receiver.accept.oru-r01")
    assert any("ORU^R01" in e.data.get("text", "") for e in oru.evidence)
