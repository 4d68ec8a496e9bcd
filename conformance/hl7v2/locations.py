"""Comparing HL7 v2 locations written by different hands (a test set's manifest, our validator).

Notations differ in harmless ways: ``OBX[1]-5`` and ``OBX-5`` name the same field when there is one
OBX (we write ``[n]`` only for a repeated segment); a defect in ``PID-3.4`` is reported by a
field-level rule as ``PID-3``, and one in ``OBX-5`` by the escape rule as ``OBX-5.1``; a segment that
is missing, extra or misplaced is named ``PV1`` by one and ``PV1[2]`` by the other. Anything else,
a different segment or field, does not match.
"""

from __future__ import annotations

import re

_FIRST = re.compile(r"^([A-Z][A-Z0-9]{2})\[1\]")


def normal(location: str) -> str:
    return _FIRST.sub(r"\1", location.strip())


def same_place(expected: str, reported: str) -> bool:
    a, b = normal(expected), normal(reported)
    if a == b:
        return True
    seg_a, seg_b = a.split("-")[0], b.split("-")[0]
    if "-" not in a or "-" not in b:  # a segment-level location: the segment name decides
        return seg_a.split("[")[0] == seg_b.split("[")[0] and ("-" not in a) == ("-" not in b)
    return a.startswith(b + ".") or b.startswith(a + ".")
