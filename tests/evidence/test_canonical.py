"""seal.canonical is schema.canonical_json made faster: it must give the same bytes for every value, or
digests computed by the store would no longer be the verifier's."""

from __future__ import annotations

import enum
import math
import random
from collections import OrderedDict
from typing import Any

from conformance.evidence.schema import canonical_json
from conformance.evidence.seal import canonical


class Colour(str, enum.Enum):  # noqa: UP042 (the old-style str enum, whose str() is not its value)
    RED = "red"


class Text(str):
    pass


AWKWARD: list[Any] = [
    {"a": 1, "b": [1, 2.5, None, True]},
    {1: "int key", 10: "sorted as text", 2: "x"},
    {True: "bool key", None: "none key", 1.5: "float key"},
    {"nan": math.nan, "inf": [math.inf, -math.inf], "ok": 0.1},
    (1, (2, 3), {"t": (4,)}),
    {"enum": Colour.RED, Colour.RED: "enum key", "sub": Text("s"), Text("k"): 1},
    {"bytes": b"\x00\xff", "set": {1}, "obj": ValueError("x")},
    OrderedDict([("z", 1), ("a", {"é": "ü\u2028\U0001F600"})]),
    [],
    {},
    "plain text",
    12,
]


def test_canonical_gives_canonical_json_bytes_for_awkward_values() -> None:
    for value in AWKWARD:
        assert canonical(value) == canonical_json(value), value


def test_canonical_gives_canonical_json_bytes_for_random_trees() -> None:
    rng = random.Random(23)
    leaves: list[Any] = [0, -1, 2**70, 1.25, math.nan, True, False, None, "s", "\"\\\n", Colour.RED, b"b"]

    def tree(depth: int) -> Any:
        if depth == 0 or rng.random() < 0.3:
            return rng.choice(leaves)
        if rng.random() < 0.5:
            return [tree(depth - 1) for _ in range(rng.randint(0, 4))]
        keys: list[Any] = ["k", "a", 3, 30, True, "z"]
        return {rng.choice(keys): tree(depth - 1) for _ in range(rng.randint(0, 4))}

    for _ in range(2000):
        value = tree(4)
        assert canonical(value) == canonical_json(value), value
