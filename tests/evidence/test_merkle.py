"""RFC 9162 tree: roots derived from the definition by hand, proofs checked over random sizes."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.evidence import merkle


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def test_small_trees_match_the_definition() -> None:
    a, b, c = b"a", b"b", b"c"
    la, lb, lc = (_h(b"\x00" + x) for x in (a, b, c))
    assert merkle.root([]) == _h(b"")
    assert merkle.root([a]) == la
    assert merkle.root([a, b]) == _h(b"\x01" + la + lb)
    assert merkle.root([a, b, c]) == _h(b"\x01" + _h(b"\x01" + la + lb) + lc)


def _leaves(n: int) -> list[bytes]:
    return [f"leaf {i}".encode() for i in range(n)]


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 70), st.data())
def test_inclusion_proofs_verify_and_reject_a_changed_leaf(n: int, data: st.DataObject) -> None:
    leaves = _leaves(n)
    i = data.draw(st.integers(0, n - 1))
    top, proof = merkle.root(leaves), merkle.inclusion_proof(i, leaves)
    assert merkle.verify_inclusion(i, n, leaves[i], proof, top)
    assert not merkle.verify_inclusion(i, n, b"forged", proof, top)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 70), st.data())
def test_consistency_proofs_verify_and_detect_a_rewritten_prefix(n: int, data: st.DataObject) -> None:
    leaves = _leaves(n)
    m = data.draw(st.integers(1, n))
    old, new = merkle.root(leaves[:m]), merkle.root(leaves)
    proof = merkle.consistency_proof(m, leaves)
    assert merkle.verify_consistency(m, n, old, new, proof)
    j = data.draw(st.integers(0, m - 1))
    rewritten = [*leaves[:j], b"rewritten", *leaves[j + 1:]]
    assert not merkle.verify_consistency(m, n, old, merkle.root(rewritten),
                                         merkle.consistency_proof(m, rewritten))
