"""Attestations in the signed record: each assessor's word is sealed and signed as a run's seal is.

An attestation (attest, dispute or resolve; of a sealed verdict or of a self-assessment claim) gets,
as it is written, a digest over every field that says what was said about what, by whom and when; a
place in the store-wide append-only log (seallog.py: the same log index and Merkle log as the seals,
so a checkpoint commits to attestations as well and a removed one leaves a gap); and the operator's
Ed25519 signature over (attestation id, digest, log index) when the store has a key. A verdict's
subject names the sealed outcome's digest, so an attestation cannot be moved onto another verdict or
kept over a rewritten one; a claim's subject is a copy of the claim as it stood (claims are not
sealed, and a later save the same day may replace it).

``conformance evidence verify`` recomputes all of this (verify_attestations).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from conformance.evidence.keys import Signer, Trusted
from conformance.evidence.schema import AssessmentRow, AttestationRow, SealRow, canonical_json
from conformance.evidence.signing import UNSIGNED_NOTE, check_block, signature_block

SIGNATURE_FORMAT = "conformance-attestation-signature/1"
LOG_LOCK = 7_340_123  # the seal log's PostgreSQL advisory lock (store.LOG_LOCK): one writer of the log at a time
FIELDS = ("id", "run_id", "check_id", "assessment_id", "action", "reason", "by", "at", "subject")


class NoSubject(LookupError):
    """The verdict or claim to attest is not in the store (or the run is not sealed)."""


def digest(row: AttestationRow) -> str:
    return hashlib.sha256(canonical_json({k: getattr(row, k) for k in FIELDS})).hexdigest()


def message(attestation_id: int, row_digest: str, log_index: int) -> bytes:
    return canonical_json({"format": SIGNATURE_FORMAT, "attestation": attestation_id, "digest": row_digest,
                           "log_index": log_index})


def leaf(attestation_id: int, row_digest: str) -> bytes:
    """Its leaf in the seal log (a seal's leaf names a run instead: the two never read alike)."""
    return canonical_json({"attestation": attestation_id, "digest": row_digest})


def next_log_index(session: Session) -> int:
    """The log's next place, over seals and attestations alike (the caller holds the log's lock)."""
    seals = session.scalar(select(func.max(SealRow.log_index)))
    said = session.scalar(select(func.max(AttestationRow.log_index)))
    found = [i for i in (seals, said) if i is not None]
    return max(found) + 1 if found else 0


def outcome_digest(session: Session, run_id: str, check_id: str) -> str:
    seal = session.get(SealRow, run_id)
    for item in seal.items if seal is not None else []:
        if item[0] == check_id:
            return str(item[1])
    raise NoSubject(f"no sealed verdict {check_id!r} in run {run_id!r}")


def claim_subject(row: AssessmentRow) -> dict[str, Any]:
    return {"ods_code": row.ods_code, "capability": row.capability, "claim": row.claim,
            "assessed_on": row.assessed_on, "note": row.note}


def record(session: Session, signer: Signer | None, *, action: str, reason: str, by: str, at: str,
           run_id: str | None = None, check_id: str = "", assessment_id: int | None = None,
           postgresql: bool = False) -> AttestationRow:
    """Write one attestation, sealed into the log and signed (with ``signer``), in the caller's transaction."""
    if postgresql:  # SQLite: BEGIN IMMEDIATE already made this the only writer
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOG_LOCK})
    if run_id is not None:
        subject: dict[str, Any] = {"run": run_id, "check": check_id,
                                   "outcome_digest": outcome_digest(session, run_id, check_id)}
    else:
        claim = session.get(AssessmentRow, assessment_id) if assessment_id is not None else None
        if claim is None:
            raise NoSubject(f"no self-assessment claim #{assessment_id}")
        subject = claim_subject(claim)
    row = AttestationRow(run_id=run_id, check_id=check_id, assessment_id=assessment_id, action=action,
                         reason=reason, by=by, at=at, subject=subject)
    session.add(row)
    session.flush()  # its id is part of what is sealed
    row.log_index = next_log_index(session)
    row.digest = digest(row)
    if signer is not None:
        block = signature_block(signer, message(row.id, row.digest, row.log_index))
        row.public_key, row.fingerprint, row.signature = block["public_key"], block["fingerprint"], block["signature"]
    session.flush()
    return row


def where(row: AttestationRow) -> str:
    about = f"check {row.check_id}" if row.run_id is not None else f"claim #{row.assessment_id}"
    return f"attestation #{row.id} ({about})"


def _row_problems(session: Session, row: AttestationRow) -> list[str]:
    if row.digest is None or row.log_index is None:
        return ["it is not sealed: it was added to the store behind the service's back"]
    problems = []
    if digest(row) != row.digest:
        problems.append("its action, reason, author, time or subject were changed after it was sealed")
    subject = row.subject if isinstance(row.subject, dict) else {}
    if row.run_id is not None:
        if (subject.get("run"), subject.get("check")) != (row.run_id, row.check_id):
            problems.append("it is filed under another verdict than the one it was sealed about")
        else:
            try:
                if outcome_digest(session, row.run_id, row.check_id) != subject.get("outcome_digest"):
                    problems.append("the verdict it speaks of is not the one sealed when it was said")
            except NoSubject:
                problems.append("the sealed verdict it speaks of is missing")
    return problems


def verify_attestations(session: Session, trusted: Trusted) -> tuple[list[tuple[str, str, str]], str]:
    """([(run id, where, problem)], note ("" when there are none)): every attestation's digest, subject
    and signature (with a ``trusted`` key, each must be signed by it)."""
    problems: list[tuple[str, str, str]] = []
    signed: dict[str, int] = {}
    unsigned = 0
    rows = session.scalars(select(AttestationRow).order_by(AttestationRow.id)).all()
    for row in rows:
        found = _row_problems(session, row)
        if row.signature is None:
            unsigned += 1
            if trusted is not None:
                found.append("it is unsigned, and --trusted-key asks for a signature")
        elif row.digest is not None and row.log_index is not None:
            block = {"public_key": row.public_key, "fingerprint": row.fingerprint, "signature": row.signature}
            sig_problems, _ = check_block(block, message(row.id, row.digest, row.log_index), trusted)
            found.extend(sig_problems)
            signed[str(row.fingerprint)] = signed.get(str(row.fingerprint), 0) + 1
        problems.extend((row.run_id or "", where(row), p) for p in found)
    if not rows:
        return problems, ""
    parts = [f"{n} attestation{'s' * (n != 1)} signed by {fp}" for fp, n in sorted(signed.items())]
    if unsigned:
        parts.append(f"{unsigned} attestation{'s' * (unsigned != 1)} {UNSIGNED_NOTE}")
    return problems, "; ".join(parts)
