"""A run's attestations in its exported pack, each with its signature and its inclusion proof in the
same log as the run's seal, so ``conformance evidence verify PACK`` checks the assessors' words with
no store: their digests, that each speaks of a verdict in the pack as sealed, who signed them, and
that each is in the log the seal's proof reaches. A pack of a run nobody attested has no such field
(its bytes are what they were before attestations were sealed).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from conformance.evidence import merkle, seallog
from conformance.evidence.attestations import FIELDS, leaf, message
from conformance.evidence.keys import Trusted, b64decode
from conformance.evidence.schema import AttestationRow, canonical_json
from conformance.evidence.seal import outcome_digest
from conformance.evidence.signing import check_block


def entries(session: Session, run_id: str, log: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's sealed attestations inside the log ``log`` (the seal's proof) describes, with proofs."""
    size = int(log["tree_size"])
    leaves = [item for _, item in seallog.log_leaves(session)][:size]
    out = []
    rows = session.scalars(select(AttestationRow).where(AttestationRow.run_id == run_id)
                           .order_by(AttestationRow.id)).all()
    for row in rows:
        if row.digest is None or row.log_index is None or row.log_index >= size:
            continue  # unsealed (the store's verify says so), or said after the checkpoint asked for
        entry: dict[str, Any] = {**{k: getattr(row, k) for k in FIELDS}, "digest": row.digest,
                                 "log_index": row.log_index,
                                 "proof": [base64.b64encode(p).decode("ascii")
                                           for p in merkle.inclusion_proof(row.log_index, leaves)]}
        if row.signature is not None:
            entry["signature"] = {"public_key": row.public_key, "fingerprint": row.fingerprint,
                                  "signature": row.signature}
        out.append(entry)
    return out


def check(body: dict[str, Any], trusted: Trusted) -> list[tuple[str, str]]:
    """[(where, problem)] of a pack's attestations."""
    problems: list[tuple[str, str]] = []
    outcomes = {o["check_id"]: outcome_digest(o) for o in body["outcomes"]}
    log = body.get("log")
    for a in body.get("attestations", []):
        where = f"attestation #{a.get('id')}"
        try:
            problems.extend((where, p) for p in _one(a, body["run"]["id"], outcomes, log, trusted))
        except (KeyError, TypeError, ValueError, AttributeError):
            problems.append((where, "malformed: it was changed"))
    return problems


def _one(a: dict[str, Any], run_id: str, outcomes: dict[str, str], log: dict[str, Any] | None,
         trusted: Trusted) -> list[str]:
    problems = []
    digest = hashlib.sha256(canonical_json({k: a[k] for k in FIELDS})).hexdigest()
    if digest != a["digest"]:
        problems.append("its action, reason, author, time or subject were changed after it was sealed")
    subject = a["subject"]
    if a["run_id"] != run_id or subject.get("check") != a["check_id"]:
        problems.append("it is about another run or verdict than the one it is packed with")
    elif outcomes.get(a["check_id"]) != subject.get("outcome_digest"):
        problems.append("the verdict it speaks of is not the one sealed in this pack")
    if "signature" in a:
        found, _ = check_block(a["signature"], message(int(a["id"]), str(a["digest"]), int(a["log_index"])),
                               trusted)
        problems.extend(found)
    elif trusted is not None:
        problems.append("it is unsigned, and --trusted-key asks for a signature")
    if log is not None:
        proof = [b64decode(str(p)) for p in a["proof"]]
        if not merkle.verify_inclusion(int(a["log_index"]), int(log["tree_size"]), leaf(int(a["id"]), str(a["digest"])),
                                       proof, bytes.fromhex(str(log["root_hash"]))):
            problems.append("its inclusion proof does not place it in the log the run's seal is in")
    return problems
