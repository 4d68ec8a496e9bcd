"""The store-wide append-only log of seals (RFC 9162 Merkle tree), its checkpoints and inclusion proofs.

Leaf ``i`` is the seal with log index ``i`` (a unique, gap-free number the store gives each seal as it
writes it), as the canonical JSON of its run id and digest, or the attestation with that index (its id
and digest: attestations.py), so a checkpoint commits to assessors' words as well as to runs. A
checkpoint signs (tree size, root hash); a store whose log is not an extension of a published
checkpoint lost or changed a run (or an attestation), and a pack whose inclusion proof reaches a
checkpoint's root is proven to be in the log the checkpoint commits to.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from conformance import safejson
from conformance.evidence import attestations, merkle
from conformance.evidence.keys import Signer, Trusted, b64decode
from conformance.evidence.schema import AttestationRow, SealRow, canonical_json
from conformance.evidence.signing import check_signed, signature_block

CHECKPOINT_FORMAT = "conformance-seal-checkpoint/1"


def leaf(run_id: str, digest: str) -> bytes:
    return canonical_json({"run": run_id, "digest": digest})


def _entries(session: Session) -> list[tuple[int, str, str, bytes]]:
    """(log index, run id or "", what, leaf) of every seal and every sealed attestation, in log order."""
    seals = session.execute(select(SealRow.log_index, SealRow.run_id, SealRow.digest)).all()
    said = session.execute(select(AttestationRow.log_index, AttestationRow.id, AttestationRow.run_id,
                                  AttestationRow.digest).where(AttestationRow.log_index.is_not(None))).all()
    entries = [(index, run_id, "", leaf(run_id, digest)) for index, run_id, digest in seals]
    entries += [(int(index or 0), run_id or "", f"attestation #{ident}", attestations.leaf(ident, str(digest)))
                for index, ident, run_id, digest in said]  # (only rows with an index are read)
    return sorted(entries, key=lambda e: e[0])


def log_leaves(session: Session) -> list[tuple[str, bytes]]:
    """(run id, leaf) of every seal (and "attestation #N", leaf of every attestation), in log order."""
    return [(what or run_id, item) for _, run_id, what, item in _entries(session)]


def index_problems(session: Session) -> list[tuple[str, str]]:
    """[(run id, problem)]: log indices must run 0, 1, 2... with no gap (a gap is a removed seal or
    attestation)."""
    problems = []
    expected = 0
    for index, run_id, what, _ in _entries(session):
        if index != expected:
            problems.append((run_id, f"{what + ': ' if what else ''}its log index is {index}, the log's next is "
                                     f"{expected}: seals or attestations before it were removed"))
        expected = index + 1
    return problems


def make_checkpoint(session: Session, signer: Signer, timestamp: str) -> bytes:
    leaves = [item for _, item in log_leaves(session)]
    body = {"format": CHECKPOINT_FORMAT, "tree_size": len(leaves), "root_hash": merkle.root(leaves).hex(),
            "timestamp": timestamp}
    return canonical_json({**body, "signature": signature_block(signer, canonical_json(body))}) + b"\n"


@dataclass(frozen=True)
class Checkpoint:
    size: int
    root: bytes
    body: dict[str, Any]


class CheckpointError(ValueError):
    """Not a readable checkpoint: one line."""


def read_checkpoint(data: bytes) -> Checkpoint:
    try:
        body = safejson.loads(data)  # bounded: a hostile checkpoint is "not readable", not a crash
        if not isinstance(body, dict) or body.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"not a {CHECKPOINT_FORMAT} file")
        size, root = int(body["tree_size"]), bytes.fromhex(str(body["root_hash"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(str(exc) if isinstance(exc, CheckpointError) else "not a readable checkpoint") from None
    if size < 0 or len(root) != 32:
        raise CheckpointError("not a readable checkpoint (bad size or root)")
    return Checkpoint(size, root, body)


def check_checkpoint(session: Session, data: bytes, trusted: Trusted) -> tuple[list[str], str]:
    """Is the store's current seal log an extension of the checkpoint (RFC 9162 consistency)? (problems, note)"""
    try:
        cp = read_checkpoint(data)
    except CheckpointError as exc:
        return [str(exc)], ""
    problems, note = check_signed(cp.body, trusted)
    leaves = [item for _, item in log_leaves(session)]
    if cp.size > len(leaves):
        problems.append(f"the checkpoint has {cp.size} sealed runs, the store only {len(leaves)}: runs were removed")
    elif cp.size and not merkle.verify_consistency(cp.size, len(leaves), cp.root, merkle.root(leaves),
                                                  merkle.consistency_proof(cp.size, leaves)):
        problems.append(f"the store's first {cp.size} seals are not the ones checkpointed: a run was removed or "
                        "rewritten")
    elif cp.size == 0 and cp.root != merkle.root([]):
        problems.append("the checkpoint of an empty log states a root that is not the empty tree's")
    return problems, f"checkpoint of {cp.size} run(s), {note}"


def inclusion(session: Session, run_id: str, checkpoint: Checkpoint | None = None) -> dict[str, Any]:
    """The run's place in the log with its RFC 9162 inclusion proof, for a pack: in the current log, or
    in the log a ``checkpoint`` commits to (which the store must still hold). ValueError: not possible."""
    pairs = log_leaves(session)
    ids = [r for r, _ in pairs]
    leaves = [item for _, item in pairs]
    index = ids.index(run_id)
    if checkpoint is not None:
        if checkpoint.size > len(leaves) or merkle.root(leaves[:checkpoint.size]) != checkpoint.root:
            raise ValueError("the store's seal log does not extend the checkpoint: a run was removed or rewritten")
        if index >= checkpoint.size:
            raise ValueError(f"run {run_id} was sealed after the checkpoint (log index {index}, the checkpoint "
                             f"covers {checkpoint.size}): use a later checkpoint")
        leaves = leaves[:checkpoint.size]
    return {"leaf_index": index, "tree_size": len(leaves), "root_hash": merkle.root(leaves).hex(),
            "proof": [base64.b64encode(p).decode("ascii") for p in merkle.inclusion_proof(index, leaves)]}


def _pack_proof(body: dict[str, Any]) -> tuple[int, int, bytes, bool]:
    """(leaf index, tree size, root, proof verifies) of a pack's log entry; KeyError etc. when malformed."""
    log = body["log"]
    item = leaf(str(body["run"]["id"]), str(body["seal"]["digest"]))
    proof = [b64decode(str(p)) for p in log["proof"]]
    index, size, root = int(log["leaf_index"]), int(log["tree_size"]), bytes.fromhex(str(log["root_hash"]))
    return index, size, root, merkle.verify_inclusion(index, size, item, proof, root)


def check_pack_log(body: dict[str, Any]) -> list[str]:
    """A pack's inclusion proof, when it has one, must place its seal in the log root it states."""
    if body.get("log") is None:
        return []
    try:
        index, _, _, ok = _pack_proof(body)
        stated = body["seal"].get("log_index", index)
    except (KeyError, TypeError, ValueError, AttributeError):
        return ["its log entry is malformed"]
    problems = [] if ok else ["its inclusion proof does not place this seal in the log root it states"]
    if stated != index:
        problems.append(f"its seal says log index {stated}, its inclusion proof {index}")
    return problems


def check_pack_in_checkpoint(body: dict[str, Any], data: bytes, trusted: Trusted) -> tuple[list[str], str]:
    """Does the pack's inclusion proof place its seal in the log the (signed) checkpoint commits to?"""
    try:
        cp = read_checkpoint(data)
    except CheckpointError as exc:
        return [f"checkpoint: {exc}"], ""
    problems, note = check_signed(cp.body, trusted)
    problems = [f"checkpoint: {p}" for p in problems]
    if body.get("log") is None:
        return [*problems, "the pack has no inclusion proof (format 1): verify the store against the checkpoint "
                           "instead"], note
    try:
        index, size, root, ok = _pack_proof(body)
    except (KeyError, TypeError, ValueError, AttributeError):
        return [*problems, "its log entry is malformed"], note
    if index >= cp.size:
        problems.append(f"the run was sealed after the checkpoint (log index {index}; the checkpoint covers "
                        f"{cp.size}): use a later checkpoint")
    elif size != cp.size:
        problems.append(f"its inclusion proof is for a log of {size} seals, the checkpoint's has {cp.size}: export "
                        "the pack again with `--checkpoint` naming this checkpoint")
    elif root != cp.root or not ok:
        problems.append("its seal is not in the log the checkpoint commits to: the run was rewritten, or the pack "
                        "is from another log")
    return problems, f"in the log of checkpoint of {cp.size} run(s), {note}"
