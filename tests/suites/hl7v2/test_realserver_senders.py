"""The hl7v2-sender suite against two real MLLP senders nobody here wrote: Medplum's Hl7Client (npm) and
python-hl7's ``mllp_send`` (PyPI).

Each sender is run twice, 1.5 s apart: an ADT^A01 and an ORU^R01, then the ADT^A01 again with the same
MSH-10 (a retransmission a receiver must be able to tell from a new admission). The expected verdicts are
derived from the raw bytes the same senders put on a plain stdlib socket (frames split by hand), so the
test checks that the suite hears everything in its wait window and judges it as the bytes deserve.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import sys
import threading
from pathlib import Path

import pytest

from conformance.hl7v2.outbound import fixture_messages, readdress
from conformance.model import RunInfo, Status
from conformance.runner import Runner, build_plan, load_suites
from conformance.targets import Hl7v2Settings, Target
from tests.integration.realserver import node_script
from tests.servers import free_port

pytestmark = pytest.mark.realserver
THEM, US = ("SUT", "SUT"), ("CONFORMANCE", "XCF01")
GAP = 1.5  # seconds between the two runs of the sender: the repeat comes well after every claimed type
S = "hl7v2-sender."


def msg(control: str, kind: str) -> str:
    return readdress(fixture_messages()[kind], sending=THEM, receiving=US, control_id=control, enhanced=False)


BATCHES = [[msg("RS1", "ADT^A01"), msg("RS2", "ORU^R01")], [msg("RS1", "ADT^A01")]]


def command(sender: str, port: int, batch: list[str], folder: Path) -> list[str]:
    if sender == "medplum":
        path = folder / "messages.json"
        path.write_text(json.dumps(batch))
        return [*node_script("mllp_client.js"), "--port", str(port), "--file", str(path)]
    path = folder / "messages.mllp"
    path.write_bytes(b"".join(b"\x0b" + t.encode() + b"\x1c\x0d" for t in batch))
    tool = shutil.which("mllp_send", path=str(Path(sys.executable).parent))
    assert tool, "python-hl7's mllp_send is not installed (pip install -e '.[test]')"
    return [tool, "-p", str(port), "-f", str(path), "127.0.0.1"]


async def run_sender(sender: str, port: int, folder: Path) -> None:
    for n, batch in enumerate(BATCHES):
        if n:
            await asyncio.sleep(GAP)
        proc = await asyncio.create_subprocess_exec(*command(sender, port, batch, folder),
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        try:
            await asyncio.wait_for(proc.communicate(), 30)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


class RawListener:
    """A stdlib socket listener: keeps every byte each connection sends, answers each frame with a minimal
    AA ACK built by string operations, and splits nothing until the test asks."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.streams: list[bytes] = []
        self.sock.settimeout(0.2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                data, answered = b"", 0
                for _ in range(10_000):  # bounded
                    try:
                        chunk = conn.recv(65536)
                    except TimeoutError:
                        break
                    if not chunk:
                        break
                    data += chunk
                    while data.count(b"\x1c") > answered:  # a frame ended: answer it
                        header = data.split(b"\x1c")[answered].lstrip(b"\r\n\x0b").split(b"\r")[0]
                        control = header.split(b"|")[9]
                        conn.sendall(b"\x0bMSH|^~\\&|CONFORMANCE|XCF01|SUT|SUT|20260101||ACK|A" + control
                                     + b"|P|2.5.1\rMSA|AA|" + control + b"\r\x1c\x0d")
                        answered += 1
                self.streams.append(data)

    def frames(self) -> list[bytes]:
        return [f for stream in self.streams for f in stream.split(b"\x0b") if f]


async def expected_verdicts(sender: str, folder: Path) -> dict[str, Status]:
    raw = RawListener()
    raw.thread.start()
    try:
        await run_sender(sender, raw.port, folder)
    finally:
        raw.stop.set()
        raw.thread.join(10)
        raw.sock.close()
    frames = raw.frames()
    headers = [f.split(b"\r")[0].decode().split("|") for f in frames]
    kinds = {"^".join(h[8].split("^")[:2]) for h in headers}
    controls = [h[9] for h in headers]

    def verdict(ok: bool) -> Status:
        return Status.PASS if ok else Status.FAIL

    return {
        S + "delivery.arrives": verdict(bool(frames)),
        S + "delivery.framing": verdict(all(f.endswith(b"\x1c\x0d") and f.count(b"\x1c") == 1 for f in frames)),
        S + "delivery.claimed-types": verdict({"ADT^A01", "ORU^R01"} <= kinds),
        S + "message.control-ids": verdict(all(controls) and len(set(controls)) == len(controls)),
    }


async def run_suite(sender: str, folder: Path) -> dict[str, tuple[Status, str]]:
    port = free_port()
    target = Target(name="real mllp sender", source="test", endpoints={},
                    hl7v2=Hl7v2Settings(application="SUT", facility="SUT", sends=["ADT^A01", "ORU^R01"],
                                        listen=f"127.0.0.1:{port}", wait=GAP + 8.0))  # room for slow starts
    registry = load_suites()
    info = RunInfo(id="real-sender", started="", target=target.to_dict(), harness_version="test")
    suite = asyncio.create_task(Runner(registry, concurrency=2, check_timeout=60).run(
        build_plan(registry, ["hl7v2-sender"]), target, info))
    for _ in range(200):  # until the suite's listener is up (an empty connection is no frame)
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            break
        except OSError:
            await asyncio.sleep(0.05)
    await run_sender(sender, port, folder)
    result = await asyncio.wait_for(suite, 60)
    return {r.id: (r.status, r.message) for r in result.results}


@pytest.mark.parametrize("sender", ["medplum", "python-hl7"])
async def test_sender_verdicts_follow_observed_bytes(sender: str, tmp_path: Path) -> None:
    expected = await expected_verdicts(sender, tmp_path)
    outcome = await run_suite(sender, tmp_path)
    got = {k: outcome[k][0] for k in expected}
    assert got == expected, {k: outcome[k] for k in expected}
    # The repeat came GAP seconds after both claimed types had arrived: the suite heard it.
    assert expected[S + "message.control-ids"] is Status.FAIL and "'RS1' used 2 times" in outcome[
        S + "message.control-ids"][1]
    assert not any(s is Status.ERROR for s, _ in outcome.values()), outcome


async def test_enhanced_mode_answers_and_how_the_real_senders_take_them(tmp_path: Path) -> None:
    """The suite's listener answers an AL/NE message with CA only and a NE/NE message not at all (HL7
    v2.5.1 2.9.3); what each real sender then does is its own deviation (tests/realserver/NOTES.md)."""
    from conformance.transports.mllp import MllpListener, MllpSettings
    from suites.hl7v2_sender.context import SenderContext

    target = Target(name="x", source="test", hl7v2=Hl7v2Settings(sends=["ADT^A01"]))
    ctx = SenderContext(target, None, None)
    broken: list[str] = []
    # A 1 s read timeout: python-hl7's connection then sits idle longer than that, which must not count
    # as a broken frame.
    listener = await MllpListener(ctx.handle, settings=MllpSettings(read_timeout=1.0), on_broken=broken.append,
                                  keep_idle=True).start()
    al_ne = readdress(fixture_messages()["ADT^A01"], sending=THEM, receiving=US, control_id="EN1", enhanced=True)
    ne_ne = readdress(fixture_messages()["ADT^A01"], sending=THEM, receiving=US, control_id="EN2",
                      enhanced=True).replace("|AL|NE|", "|NE|NE|")
    try:
        path = tmp_path / "m.json"
        path.write_text(json.dumps([al_ne]))
        medplum = await asyncio.create_subprocess_exec(
            *node_script("mllp_client.js"), "--port", str(listener.port), "--file", str(path), "--timeout-ms", "1000",
            stdout=asyncio.subprocess.PIPE)
        out, _ = await asyncio.wait_for(medplum.communicate(), 30)
        # Medplum's sendAndWait waits for an application ACK by default, though MSH-16 NE says none comes.
        assert "Client timeout" in out.decode() and "done 0" in out.decode()
        tool = command("python-hl7", listener.port, [ne_ne], tmp_path)
        hl7 = await asyncio.create_subprocess_exec(*tool, stdout=asyncio.subprocess.PIPE)
        try:
            await asyncio.wait_for(hl7.communicate(), 3)
            hung = False
        except TimeoutError:
            hung = True  # python-hl7's client blocks on recv() for a reply MSH-15 NE said would not come
        finally:
            if hl7.returncode is None:
                hl7.kill()
                await hl7.wait()
        assert hung
    finally:
        await listener.aclose()
    assert [(m.control_id, m.answered) for m in ctx.delivery.messages] == [
        ("EN1", "CA"), ("EN2", "no ACK (MSH-15 NE)")]
    assert broken == []  # an idle connection held open past the read timeout is no broken frame
