"""Signatures: of packs, of checkpoints, and of each seal as the store writes it.

A signed pack (format 2 and 3) carries ``signature``: the signer's raw public key, its fingerprint and
an Ed25519 signature over the canonical JSON of the pack without that field, so re-computing every
digest without the key no longer verifies against a trusted key. Unsigned packs still verify, as
"integrity only". Each seal the store writes with the operator's key gets a signature over (run id,
seal digest, log index): a store forged with every digest recomputed, or re-signed by another key,
fails against the trusted key, with or without a checkpoint. Checkpoints: seallog.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from conformance.evidence.keys import (
    Signer,
    SigningKeyError,
    Trusted,
    fingerprint,
    public_from_b64,
    signature_ok,
    trusted_matches,
)
from conformance.evidence.schema import SealRow, SignatureRow, canonical_json

PACK_V1 = "conformance-evidence-pack/1"
PACK_V2 = "conformance-evidence-pack/2"
PACK_V3 = "conformance-evidence-pack/3"
SEAL_SIGNATURE_FORMAT = "conformance-seal-signature/1"
UNSIGNED_NOTE = ("unsigned, integrity only: the digests are consistent, but anyone could have recomputed "
                 "them; this is not authenticated")


def signature_block(signer: Signer, message: bytes) -> dict[str, str]:
    return {"public_key": signer.public_b64, "fingerprint": signer.fingerprint, "signature": signer.sign(message)}


def sign_pack(body: dict[str, Any], signer: Signer) -> dict[str, Any]:
    return {**body, "signature": signature_block(signer, canonical_json(body))}


def check_signed(body: dict[str, Any], trusted: Trusted) -> tuple[list[str], str]:
    """(problems, note) about who signed a parsed pack or checkpoint."""
    if "signature" not in body:
        if trusted is not None:
            return ["it is unsigned, and --trusted-key asks for a signature"], UNSIGNED_NOTE
        return [], UNSIGNED_NOTE
    unsigned = {k: v for k, v in body.items() if k != "signature"}
    return check_block(body["signature"], canonical_json(unsigned), trusted)


def check_block(sig: Any, message: bytes, trusted: Trusted) -> tuple[list[str], str]:
    """(problems, note) of one signature block (public key, fingerprint, signature) over ``message``."""
    problems, fp = block_problems(sig, message)
    if fp is None:
        return problems, "signed (unreadable key)"
    if trusted is not None and not is_trusted(sig, trusted):
        problems.append(f"it is signed by {fp[:16]}…, which is not the trusted key")
    trust = "a trusted key" if trusted is not None and not problems else "an untrusted key (give --trusted-key)"
    return problems, f"signed by {fp} ({trust})"


def block_problems(sig: Any, message: bytes) -> tuple[list[str], str | None]:
    """(problems, signer's fingerprint) of a signature block, trusted or not."""
    try:
        public = public_from_b64(str(sig["public_key"]))
    except (SigningKeyError, KeyError, TypeError):
        return ["its signer's public key is unreadable"], None
    fp = fingerprint(public)
    problems = []
    if sig.get("fingerprint") != fp:
        problems.append("the fingerprint it states is not its public key's")
    if not signature_ok(public, str(sig.get("signature", "")), message):
        problems.append(f"the signature by {fp[:16]}… does not verify: it was changed after signing")
    return problems, fp


def is_trusted(sig: Any, trusted: str | tuple[str, ...]) -> bool:
    try:
        public = public_from_b64(str(sig["public_key"]))
    except (SigningKeyError, KeyError, TypeError):
        return False
    return trusted_matches(trusted, public)  # a ``trusted`` that names no key raises: it is a usage error


def check_pack_signatures(body: dict[str, Any], trusted: Trusted) -> tuple[list[str], str]:
    """(problems, note) of a pack's signatures: the exporter's over the whole pack, and (format 3) the
    operator's over its seal, made when the run was stored. Each must verify; with a ``trusted`` key, one
    of them must be by it (the seal's digest covers every outcome and evidence digest, so either one
    authenticates the run)."""
    blocks: list[tuple[str, Any, bytes]] = []
    if "signature" in body:
        blocks.append(("pack", body["signature"], canonical_json({k: v for k, v in body.items() if k != "signature"})))
    if "seal_signature" in body:
        try:
            message = seal_message(str(body["run"]["id"]), str(body["seal"]["digest"]), int(body["seal"]["log_index"]))
        except (KeyError, TypeError, ValueError):
            return ["its seal signature names no readable seal"], ""
        blocks.append(("seal", body["seal_signature"], message))
    if not blocks:
        return check_signed(body, trusted)
    problems: list[str] = []
    notes = []
    for what, block, message in blocks:
        found, fp = block_problems(block, message)
        problems.extend(f"{what} signature: {p}" for p in found)
        notes.append(f"{what} signed by {fp or '(unreadable key)'}")
    if trusted is not None and not any(is_trusted(block, trusted) for _, block, _ in blocks):
        problems.append(f"its {notes[0]}, not by the trusted key" if len(blocks) == 1 else
                        "neither its pack signature nor its seal signature is by the trusted key")
    trust = "trusted key" if trusted is not None and not problems else "untrusted: give --trusted-key"
    return problems, f"{'; '.join(notes)} ({trust})"


# -- seal signatures in the store --------------------------------------------------------------------

def seal_message(run_id: str, digest: str, log_index: int) -> bytes:
    """What a seal's signature covers: the digest covers the run, its chain and sealing time; the log
    index fixes its place in the log, so a removed seal leaves a gap no re-numbering can hide."""
    return canonical_json({"format": SEAL_SIGNATURE_FORMAT, "run": run_id, "digest": digest,
                           "log_index": log_index})


def sign_seal(seal: SealRow, signer: Signer) -> SignatureRow:
    block = signature_block(signer, seal_message(seal.run_id, seal.digest, seal.log_index))
    return SignatureRow(run_id=seal.run_id, **block)


def seal_signature(session: Session, seal: SealRow) -> dict[str, str] | None:
    row = session.get(SignatureRow, seal.run_id)
    if row is None:
        return None
    return {"public_key": row.public_key, "fingerprint": row.fingerprint, "signature": row.signature}


def check_store_signatures(session: Session, trusted: Trusted) -> tuple[list[tuple[str, str]], str]:
    """([(run id, problem)], note): every stored signature must verify over its seal, and with a
    ``trusted`` key every seal must be signed by it."""
    problems: list[tuple[str, str]] = []
    signers: dict[str, int] = {}
    unsigned = 0
    rows = {r.run_id: r for r in session.scalars(select(SignatureRow))}
    for seal in session.scalars(select(SealRow).order_by(SealRow.log_index)):
        row = rows.get(seal.run_id)
        if row is None:
            unsigned += 1
            if trusted is not None:
                problems.append((seal.run_id, "the seal is unsigned, and --trusted-key asks for a signature"))
            continue
        block = {"public_key": row.public_key, "fingerprint": row.fingerprint, "signature": row.signature}
        found, _ = check_block(block, seal_message(seal.run_id, seal.digest, seal.log_index), trusted)
        problems.extend((seal.run_id, p) for p in found)
        signers[block["fingerprint"]] = signers.get(block["fingerprint"], 0) + 1
    trust = "trusted key" if trusted is not None and not problems else "untrusted: give --trusted-key"
    parts = [f"{n} seal{'s' * (n != 1)} signed by {fp} ({trust})" for fp, n in sorted(signers.items())]
    if unsigned:
        parts.append(f"{unsigned} seal{'s' * (unsigned != 1)} {UNSIGNED_NOTE}")
    return problems, "; ".join(parts) if parts else "no sealed runs"


