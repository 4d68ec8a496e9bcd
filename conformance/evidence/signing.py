"""Signed packs and signed checkpoints of the seal log: authentication on top of the seals' integrity.

A version-2 pack carries ``signature``: the signer's raw public key, its fingerprint and an Ed25519
signature over the canonical JSON of the pack without that field, so re-computing every digest
without the key no longer verifies against a trusted key. Version-1 (unsigned) packs still verify,
as "integrity only". A checkpoint signs (tree size, root hash) of the RFC 9162 log of every seal
digest in store order; a store whose log is not an extension of a checkpoint lost or changed a run.
"""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from conformance import safejson
from conformance.evidence import merkle
from conformance.evidence.keys import (
    Signer,
    SigningKeyError,
    fingerprint,
    public_from_b64,
    signature_ok,
    trusted_matches,
)
from conformance.evidence.schema import SealRow, canonical_json

PACK_V1 = "conformance-evidence-pack/1"
PACK_V2 = "conformance-evidence-pack/2"
CHECKPOINT_FORMAT = "conformance-seal-checkpoint/1"
UNSIGNED_NOTE = ("unsigned, integrity only: the digests are consistent, but anyone could have recomputed "
                 "them; this is not authenticated")


def sign_pack(body: dict[str, Any], signer: Signer) -> dict[str, Any]:
    unsigned = {**body, "format": PACK_V2, "format_version": 2}
    return {**unsigned, "signature": {"public_key": signer.public_b64, "fingerprint": signer.fingerprint,
                                      "signature": signer.sign(canonical_json(unsigned))}}


def check_signed(body: dict[str, Any], trusted: str | None) -> tuple[list[str], str]:
    """(problems, note) about who signed a parsed pack or checkpoint."""
    if "signature" not in body:
        if trusted is not None:
            return ["it is unsigned, and --trusted-key asks for a signature"], UNSIGNED_NOTE
        return [], UNSIGNED_NOTE
    sig = body["signature"]
    unsigned = {k: v for k, v in body.items() if k != "signature"}
    try:
        public = public_from_b64(str(sig["public_key"]))
    except (SigningKeyError, KeyError, TypeError):
        return ["its signer's public key is unreadable"], "signed (unreadable key)"
    fp = fingerprint(public)
    problems = []
    if sig.get("fingerprint") != fp:
        problems.append("the fingerprint it states is not its public key's")
    if not signature_ok(public, str(sig.get("signature", "")), canonical_json(unsigned)):
        problems.append(f"the signature by {fp[:16]}… does not verify: it was changed after signing")
    if trusted is not None and not trusted_matches(trusted, public):
        problems.append(f"it is signed by {fp[:16]}…, which is not the trusted key")
    trust = "a trusted key" if trusted is not None and not problems else "an untrusted key (give --trusted-key)"
    return problems, f"signed by {fp} ({trust})"


# -- the seal log ------------------------------------------------------------------------------------

def log_leaves(session: Session) -> list[tuple[str, bytes]]:
    """(run id, leaf) of every seal, in store order (sealing time, then run id)."""
    seals = session.scalars(select(SealRow).order_by(SealRow.sealed_at, SealRow.run_id)).all()
    return [(s.run_id, canonical_json({"run": s.run_id, "digest": s.digest})) for s in seals]


def make_checkpoint(session: Session, signer: Signer, timestamp: str) -> bytes:
    leaves = [leaf for _, leaf in log_leaves(session)]
    body = {"format": CHECKPOINT_FORMAT, "tree_size": len(leaves), "root_hash": merkle.root(leaves).hex(),
            "timestamp": timestamp}
    signed = {**body, "signature": {"public_key": signer.public_b64, "fingerprint": signer.fingerprint,
                                    "signature": signer.sign(canonical_json(body))}}
    return canonical_json(signed) + b"\n"


def check_checkpoint(session: Session, data: bytes, trusted: str | None) -> tuple[list[str], str]:
    """Is the store's current seal log an extension of the checkpoint? (problems, note)"""
    try:
        body = safejson.loads(data)
        if not isinstance(body, dict) or body.get("format") != CHECKPOINT_FORMAT:
            return [f"not a {CHECKPOINT_FORMAT} file"], ""
        size, old_root = int(body["tree_size"]), bytes.fromhex(str(body["root_hash"]))
    except (ValueError, KeyError, TypeError):
        return ["not a readable checkpoint"], ""
    problems, note = check_signed(body, trusted)
    leaves = [leaf for _, leaf in log_leaves(session)]
    if size > len(leaves):
        problems.append(f"the checkpoint has {size} sealed runs, the store only {len(leaves)}: runs were removed")
    elif size and not merkle.verify_consistency(size, len(leaves), old_root, merkle.root(leaves),
                                               merkle.consistency_proof(size, leaves)):
        problems.append(f"the store's first {size} seals are not the ones checkpointed: a run was removed or "
                        "rewritten")
    return problems, f"checkpoint of {size} run(s), {note}"


def inclusion(session: Session, run_id: str) -> dict[str, Any] | None:
    """The run's place in the current log with its RFC 9162 inclusion proof, for a pack."""
    pairs = log_leaves(session)
    ids = [r for r, _ in pairs]
    if run_id not in ids:
        return None
    leaves = [leaf for _, leaf in pairs]
    index = ids.index(run_id)
    return {"leaf_index": index, "tree_size": len(leaves), "root_hash": merkle.root(leaves).hex(),
            "proof": [base64.b64encode(p).decode("ascii") for p in merkle.inclusion_proof(index, leaves)]}


def check_pack_log(body: dict[str, Any]) -> list[str]:
    """A pack's inclusion proof, when it has one, must place its seal in the log root it states."""
    log = body.get("log")
    if log is None:
        return []
    try:
        leaf = canonical_json({"run": body["run"]["id"], "digest": body["seal"]["digest"]})
        proof = [base64.b64decode(p, validate=True) for p in log["proof"]]
        ok = merkle.verify_inclusion(int(log["leaf_index"]), int(log["tree_size"]), leaf, proof,
                                     bytes.fromhex(str(log["root_hash"])))
    except (KeyError, TypeError, ValueError):
        return ["its log entry is malformed"]
    return [] if ok else ["its inclusion proof does not place this seal in the log root it states"]
