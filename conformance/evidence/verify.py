"""Verify sealed runs (in a store, or in an exported pack) and export a run as a self-checking pack.

Verification recomputes everything from the bytes: each evidence item's SHA-256 from its content,
each outcome's digest, each run's digest, and each organisation's chain, and says where any of it
differs (run, outcome, evidence item). A pack is one canonical-JSON file holding a run, its outcomes,
its evidence contents and its seal; it must re-serialise to exactly its own bytes, so no byte of it
can change unnoticed, and it is checked with no store at all.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from conformance import safejson
from conformance.evidence import attestation_pack
from conformance.evidence.keys import Signer, Trusted
from conformance.evidence.schema import BlobRow, RunRow, SealRow, SystemRow, canonical_json
from conformance.evidence.seal import (
    EVIDENCE_FIELDS,
    OUTCOME_FIELDS,
    RUN_FIELDS,
    outcome_dict,
    outcome_digest,
    row_fields,
    run_digest,
)
from conformance.evidence.seallog import check_pack_in_checkpoint, check_pack_log
from conformance.evidence.signing import PACK_V1, PACK_V2, PACK_V3, check_pack_signatures, sign_pack

PACK_FORMAT = PACK_V3
# 1: unsigned; 2: signed, with an inclusion proof; 3: the seal's log index, always an inclusion proof, the
# operator's seal signature when the run was sealed with a key, and the exporter's signature when there is one.
PACK_FORMATS = (PACK_V1, PACK_V2, PACK_V3)
SEAL_KEYS = {"ods_code", "sequence", "previous_digest", "digest", "items", "sealed_at"}
_BODY = {"format", "run", "outcomes", "evidence", "seal"}
PACK_KEYS = {1: (_BODY, set()), 2: (_BODY | {"format_version", "signature"}, {"log"}),
             3: (_BODY | {"format_version", "log"}, {"signature", "seal_signature", "attestations"})}


@dataclass(frozen=True)
class Problem:
    run_id: str
    where: str  # "run", "outcome fhir-rest.x", "outcome fhir-rest.x evidence #2", "chain", "pack"
    what: str

    def line(self) -> str:
        return f"run {self.run_id}: {self.where}: {self.what}" if self.run_id else f"{self.where}: {self.what}"


def check_content(sha: str, content: bytes, size: int | None, run_id: str, where: str) -> Iterator[Problem]:
    try:
        raw = zlib.decompress(content) if size is not None else content
    except zlib.error:
        yield Problem(run_id, where, "stored content is corrupt (cannot be decompressed)")
        return
    if hashlib.sha256(raw).hexdigest() != sha:
        yield Problem(run_id, where, f"content does not match its SHA-256 {sha[:12]}…: it was changed")
    elif size is not None and len(raw) != size:
        yield Problem(run_id, where, "content size differs from the size recorded with it")


def compare_items(run_id: str, sealed: list[list[str]], actual: list[list[str]]) -> Iterator[Problem]:
    """Say which outcome changed, disappeared, appeared or moved, from the per-outcome digests."""
    sealed_ids = [i[0] for i in sealed]
    actual_ids = [i[0] for i in actual]
    for check_id in sorted(set(sealed_ids) - set(actual_ids)):
        yield Problem(run_id, f"outcome {check_id}", "was removed")
    for check_id in sorted(set(actual_ids) - set(sealed_ids)):
        yield Problem(run_id, f"outcome {check_id}", "was added after sealing")
    common = [c for c in sealed_ids if c in set(actual_ids)]
    if common != [c for c in actual_ids if c in set(sealed_ids)]:
        yield Problem(run_id, "outcomes", "are in a different order from when they were sealed")
    sealed_digest = dict((i[0], i[1]) for i in sealed)
    for check_id, digest in actual:
        if check_id in sealed_digest and sealed_digest[check_id] != digest:
            yield Problem(run_id, f"outcome {check_id}", "its fields or evidence references were changed, removed "
                          "or re-ordered")


def verify_run_row(run: RunRow, seal: SealRow) -> Iterator[Problem]:
    actual = [[o.check_id, outcome_digest(outcome_dict(o))] for o in run.outcomes]
    yield from compare_items(run.id, [list(i) for i in seal.items], actual)
    header = row_fields(run, RUN_FIELDS)
    if seal.ods_code != run.ods_code:
        yield Problem(run.id, "seal", f"sealed for organisation {seal.ods_code!r}, the run says {run.ods_code!r}")
    if run_digest(header, seal.sequence, [list(i) for i in seal.items], seal.previous_digest,
                  seal.sealed_at) != seal.digest:
        yield Problem(run.id, "seal", "the seal does not match its own record: the run's header, its outcome "
                      "digests or its place in the chain were changed")


def verify_filing(session: Session, run: RunRow) -> Iterator[Problem]:
    """The columns the store files a run under (its target's name, its vendor system) are copies of the
    sealed target, not sealed themselves; compare and maturity read them, so they must still agree with it
    (else renaming a system or re-pointing a run would move a vendor's evidence to another, unseen)."""
    target = run.target if isinstance(run.target, dict) else {}
    name = target.get("name")
    if run.target_name != (name if isinstance(name, str) else ""):
        yield Problem(run.id, "run", f"filed under target name {run.target_name!r}, but its sealed target "
                      f"is named {name!r}")
    if run.system_id is None:
        return  # a run with no system (or stored before systems were kept) is filed under none
    section = target.get("system")
    system = section if isinstance(section, dict) else {}
    sealed = tuple(str(system.get(k, "")) for k in ("vendor", "product", "version"))
    row = session.get(SystemRow, run.system_id)
    filed = (row.vendor, row.product, row.version) if row is not None else None
    if filed != sealed:
        shown = " / ".join(filed) if filed is not None else f"a missing system #{run.system_id}"
        yield Problem(run.id, "run", f"filed under system {shown}, but its sealed target names "
                      f"{' / '.join(sealed)}")


def verify_session(session: Session) -> tuple[int, list[Problem]]:
    """Every sealed run, every chain, every evidence content referenced: (runs checked, problems)."""
    problems: list[Problem] = []
    seals = session.scalars(select(SealRow).order_by(SealRow.ods_code, SealRow.sequence)).all()
    sealed_ids = {s.run_id for s in seals}
    finished = session.execute(select(RunRow.id, RunRow.status).where(RunRow.status.in_(("complete", "aborted"))))
    for run_id, status in finished.all():
        if run_id not in sealed_ids:
            problems.append(Problem(run_id, "seal", f"the run is {status} but has no seal (removed?)"))
    previous: dict[str, SealRow] = {}
    for seal in seals:
        before = previous.get(seal.ods_code)
        expected = (before.sequence + 1, before.digest) if before else (1, "")
        if (seal.sequence, seal.previous_digest) != expected:
            org = seal.ods_code or "(no organisation)"
            problems.append(Problem(seal.run_id, "chain", f"{org}'s chain is broken before this run (sealed as "
                                    f"number {seal.sequence}; a run before it was removed or its seal changed)"))
        previous[seal.ods_code] = seal
        run = session.get(RunRow, seal.run_id)
        if run is None:
            problems.append(Problem(seal.run_id, "run", "the sealed run is missing"))
            continue
        problems.extend(verify_run_row(run, seal))
        problems.extend(verify_filing(session, run))
        for outcome in run.outcomes:
            for item in outcome.evidence:
                blob = session.get(BlobRow, item.sha256)
                where = f"outcome {outcome.check_id} evidence #{item.position + 1}"
                if blob is None:
                    problems.append(Problem(run.id, where, "its content is missing"))
                else:
                    problems.extend(check_content(blob.sha256, blob.content, blob.size, run.id, where))
    return len(seals), problems


# -- packs -------------------------------------------------------------------------------------------

def pack_of(run: RunRow, seal: SealRow, blobs: dict[str, bytes], signer: Signer | None = None,
            log: dict[str, Any] | None = None, seal_signature: dict[str, str] | None = None,
            attestations: list[dict[str, Any]] | None = None) -> bytes:
    """The pack's bytes (format 3): canonical JSON of the run, outcomes, evidence contents (their
    canonical JSON text), seal, log entry and signatures, then a newline."""
    body: dict[str, Any] = {
        "format": PACK_FORMAT,
        "format_version": 3,
        "run": row_fields(run, RUN_FIELDS),
        "outcomes": [outcome_dict(o) for o in run.outcomes],
        "evidence": {sha: zlib.decompress(content).decode("ascii") for sha, content in sorted(blobs.items())},
        "seal": {"ods_code": seal.ods_code, "sequence": seal.sequence, "previous_digest": seal.previous_digest,
                 "digest": seal.digest, "items": seal.items, "sealed_at": seal.sealed_at, "log_index": seal.log_index},
    }
    if log is not None:
        body["log"] = log
    if seal_signature is not None:
        body["seal_signature"] = seal_signature
    if attestations:  # (attestation_pack.py; absent when nobody attested the run)
        body["attestations"] = attestations
    if signer is not None:
        body = sign_pack(body, signer)
    return canonical_json(body) + b"\n"


def verify_pack(path: Path) -> tuple[str, list[Problem]]:
    """(run id, problems) of an exported pack, checked with no store (integrity only)."""
    run_id, problems, _ = verify_pack_signed(path, None)
    return run_id, problems


def verify_pack_signed(path: Path, trusted: Trusted,
                       checkpoint: bytes | None = None) -> tuple[str, list[Problem], str]:
    """(run id, problems, who signed it) of a pack; ``trusted``: the key it must be signed by;
    ``checkpoint``: a checkpoint whose log the pack's seal must be proven to be in."""
    run_id, problems, body = _verify_pack(path)
    if body is None:
        return run_id, problems, ""
    sig_problems, note = check_pack_signatures(body, trusted)
    problems.extend(Problem(run_id, "signature", p) for p in sig_problems)
    problems.extend(Problem(run_id, "log", p) for p in check_pack_log(body))
    problems.extend(Problem(run_id, where, p) for where, p in attestation_pack.check(body, trusted))
    if checkpoint is not None:
        found, cp_note = check_pack_in_checkpoint(body, checkpoint, trusted)
        problems.extend(Problem(run_id, "log", p) for p in found)
        note = f"{note}; {cp_note}"
    return run_id, problems, note


def _verify_pack(path: Path) -> tuple[str, list[Problem], dict[str, Any] | None]:
    data = path.read_bytes()
    try:
        body = safejson.loads(data)  # a hostile pack nested past the recursion limit: a problem, not a crash
        if not isinstance(body, dict) or body.get("format") not in PACK_FORMATS:
            return "", [Problem("", "pack", f"not a {' or '.join(PACK_FORMATS)} file")], None
        run_id = str(body["run"]["id"])
    except safejson.JsonLimitError as exc:
        return "", [Problem("", "pack", f"not a readable evidence pack: {exc}")], None
    except (ValueError, KeyError, TypeError) as exc:
        return "", [Problem("", "pack", f"not a readable evidence pack ({type(exc).__name__}: it was changed "
                            "or is not a pack)")], None
    problems: list[Problem] = []
    version = PACK_FORMATS.index(body["format"]) + 1
    required, optional = PACK_KEYS[version]
    seal_keys = SEAL_KEYS | ({"log_index"} if version >= 3 else set())
    if (not required <= set(body) <= required | optional or body.get("format_version", 1) != version
            or not isinstance(body["seal"], dict) or set(body["seal"]) != seal_keys):
        problems.append(Problem(run_id, "pack", f"its fields are not those of format {version}: changed"))
    if canonical_json(body) + b"\n" != data:
        problems.append(Problem(run_id, "pack", "its bytes are not the canonical form it was written in: changed"))
    try:
        problems.extend(_verify_pack_body(run_id, body))
    except (KeyError, TypeError, AttributeError) as exc:
        problems.append(Problem(run_id, "pack", f"malformed ({type(exc).__name__}: {exc}): it was changed"))
        return run_id, problems, None
    return run_id, problems, body


def _verify_pack_body(run_id: str, body: dict[str, Any]) -> Iterator[Problem]:
    seal, run, outcomes, evidence = body["seal"], body["run"], body["outcomes"], body["evidence"]
    for o in outcomes:
        for e in o["evidence"]:
            where = f"outcome {o['check_id']} evidence #{e['position'] + 1}"
            text = evidence.get(e["sha256"])
            if not isinstance(text, str):
                yield Problem(run_id, where, "its content is missing from the pack")
            else:
                yield from check_content(e["sha256"], text.encode("utf-8"), None, run_id, where)
        if set(o) != {*OUTCOME_FIELDS, "evidence"} or any(set(e) != set(EVIDENCE_FIELDS) for e in o["evidence"]):
            yield Problem(run_id, f"outcome {o.get('check_id')}", "has fields it was not sealed with")
    actual = [[o["check_id"], outcome_digest(o)] for o in outcomes]
    items = [list(i) for i in seal["items"]]
    yield from compare_items(run_id, items, actual)
    if seal["ods_code"] != run["ods_code"]:
        yield Problem(run_id, "seal", f"sealed for organisation {seal['ods_code']!r}, the run says {run['ods_code']!r}")
    if run_digest(run, seal["sequence"], items, seal["previous_digest"], seal["sealed_at"]) != seal["digest"]:
        yield Problem(run_id, "seal", "the seal does not match the run's header, outcome digests or chain position")
