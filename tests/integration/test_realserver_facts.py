"""The facts the real-server verdicts rest on (tests/realserver/NOTES.md), re-observed on a fresh server.

tests/suites/fhir_rest/test_realserver.py asserts the suite's verdicts against this server; this
test proves, independently of the suite, that the server really behaves as those verdicts say.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.realserver

OBSERVE = Path(__file__).resolve().parents[1] / "realserver" / "observe.py"


def test_documented_behaviour_is_what_the_server_does() -> None:
    proc = subprocess.run([sys.executable, str(OBSERVE)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
