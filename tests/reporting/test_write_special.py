"""A report path that names a FIFO (or a device, or /dev/stdout) is written in place, never replaced.

Found by review: as root, ``--json /dev/full`` renamed a temporary file over the device node.
A FIFO in a temporary folder stands in for the device here, so the test cannot harm the machine.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

from conformance.reporting.common import write_atomic


def test_a_fifo_is_written_through_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    write_atomic(fifo, b'{"ok": true}')
    reader.join(timeout=30)
    assert got == [b'{"ok": true}']
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]  # no temporary file left beside it


def test_a_regular_file_is_still_replaced_atomically(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new" and stat.S_ISREG(target.stat().st_mode)
