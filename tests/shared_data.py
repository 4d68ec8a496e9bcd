"""Where the tests find the reference data (FHIR definitions, GS1 dictionary): ../shared/data by default.

Set CONFORMANCE_SHARED_DATA to read it from elsewhere. It is never copied into the repo.
"""

from __future__ import annotations

import os
from pathlib import Path

SHARED_DATA = Path(
    os.environ.get("CONFORMANCE_SHARED_DATA") or Path(__file__).resolve().parents[1].parent / "shared" / "data"
)
