"""The evidence store's tables, and the canonical JSON each evidence item's SHA-256 is taken over.

Kept apart from the store's behaviour; the schema changes only through the Alembic migrations in
``conformance/evidence/migrations/versions`` (0001 is the first released schema, 0002 added the
record: organisations, footprints, systems, self-assessments, content-addressed evidence, seals; 0003
the global log index of seals and their signatures; 0004 the service's accounts; 0005 campaigns; 0006 the
service's registered targets; 0007 sealed, signed attestations of verdicts and claims; 0008 OIDC
identities; 0009 a comparison's own requirements; 0010 dropped two indexes no query reads).
"""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

COMPLETE = "complete"
INCOMPLETE = "incomplete"  # started and never finished: the process crashed or was killed
# Stopped before every check finished (the target died, the run deadline, Ctrl-C): kept with its
# outcomes, evidence and reason (``summary["aborted"]``), sealed, but never scored.
ABORTED = "aborted"


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[str]: JSON}


class OrganisationRow(Base):
    __tablename__ = "organisations"

    ods_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(32), default="")


class FootprintRow(Base):
    __tablename__ = "footprints"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text, default="")


class FootprintMemberRow(Base):
    __tablename__ = "footprint_members"

    footprint_code: Mapped[str] = mapped_column(ForeignKey("footprints.code", ondelete="CASCADE"), primary_key=True)
    ods_code: Mapped[str] = mapped_column(ForeignKey("organisations.ods_code"), primary_key=True)


class SystemRow(Base):
    __tablename__ = "systems"
    __table_args__ = (UniqueConstraint("vendor", "product", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor: Mapped[str] = mapped_column(String(255), default="")
    product: Mapped[str] = mapped_column(String(255), default="")
    version: Mapped[str] = mapped_column(String(128), default="")


class SystemEndpointRow(Base):
    __tablename__ = "system_endpoints"

    system_id: Mapped[int] = mapped_column(ForeignKey("systems.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)  # fhir, mllp, openapi...
    address: Mapped[str] = mapped_column(Text, primary_key=True)


class AssessmentRow(Base):
    """One self-assessment claim, as imported (a later import of the same day replaces it)."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("ods_code", "capability", "assessed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ods_code: Mapped[str] = mapped_column(ForeignKey("organisations.ods_code"), index=True)
    capability: Mapped[str] = mapped_column(String(128))
    claim: Mapped[str] = mapped_column(String(16))
    assessed_on: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")


class MilestoneRow(Base):
    """A footprint's own target date for a roadmap milestone (overrides the capability model's)."""

    __tablename__ = "roadmap_milestones"

    footprint_code: Mapped[str] = mapped_column(ForeignKey("footprints.code", ondelete="CASCADE"), primary_key=True)
    milestone: Mapped[str] = mapped_column(String(128), primary_key=True)
    target_date: Mapped[str] = mapped_column(String(10))


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    started: Mapped[str] = mapped_column(String(40))
    finished: Mapped[str] = mapped_column(String(40), default="")
    target_name: Mapped[str] = mapped_column(Text, default="")
    target: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ods_code: Mapped[str] = mapped_column(String(32), default="", index=True)
    harness_version: Mapped[str] = mapped_column(String(64), default="")
    suites: Mapped[list[str]] = mapped_column(default=list)
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default=INCOMPLETE)
    system_id: Mapped[int | None] = mapped_column(ForeignKey("systems.id"), nullable=True, default=None)

    outcomes: Mapped[list[OutcomeRow]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="OutcomeRow.position"
    )


class OutcomeRow(Base):
    __tablename__ = "outcomes"
    __table_args__ = (UniqueConstraint("run_id", "check_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique (run_id, check_id) serves every lookup by run (migration 0010).
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    position: Mapped[int]
    check_id: Mapped[str] = mapped_column(String(255))
    suite: Mapped[str] = mapped_column(String(128))
    group_name: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(8))
    required: Mapped[bool]
    message: Mapped[str] = mapped_column(Text, default="")
    duration_ms: Mapped[float] = mapped_column(default=0.0)
    requirements: Mapped[list[str]] = mapped_column(default=list)
    capabilities: Mapped[list[str]] = mapped_column(default=list)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)

    run: Mapped[RunRow] = relationship(back_populates="outcomes")
    evidence: Mapped[list[EvidenceRow]] = relationship(
        back_populates="outcome", cascade="all, delete-orphan", order_by="EvidenceRow.position"
    )


class BlobRow(Base):
    """Evidence content, stored once however many outcomes cite it: zlib of its canonical JSON."""

    __tablename__ = "evidence_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)  # bytes of the canonical JSON
    content: Mapped[bytes] = mapped_column(LargeBinary)


class EvidenceRow(Base):
    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence_blobs.sha256"))  # never looked up by (0010)

    outcome: Mapped[OutcomeRow] = relationship(back_populates="evidence")
    blob: Mapped[BlobRow] = relationship()


class SealRow(Base):
    """A run's digest over its outcomes and evidence, chained to the organisation's previous run."""

    __tablename__ = "seals"
    __table_args__ = (UniqueConstraint("ods_code", "sequence"),)

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    ods_code: Mapped[str] = mapped_column(String(32), index=True)
    sequence: Mapped[int] = mapped_column(Integer)  # 1 for the organisation's first sealed run
    previous_digest: Mapped[str] = mapped_column(String(64), default="")
    digest: Mapped[str] = mapped_column(String(64))
    items: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [check id, outcome digest] in order
    sealed_at: Mapped[str] = mapped_column(String(40), default="")
    # Place in the store-wide append-only log (0, 1, 2...): the Merkle log's order, never reused.
    log_index: Mapped[int] = mapped_column(Integer, unique=True)


class SignatureRow(Base):
    """The operator's Ed25519 signature over a seal (run id, digest, log index), made as it was written.

    Only the public half of the key is stored; a seal sealed with no key has no row here."""

    __tablename__ = "signatures"

    run_id: Mapped[str] = mapped_column(ForeignKey("seals.run_id"), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    public_key: Mapped[str] = mapped_column(String(64))  # base64 of the raw 32-byte key
    signature: Mapped[str] = mapped_column(String(128))  # base64 of the 64-byte signature


class AttestationRow(Base):
    """An assessor's word on one verdict or one self-assessment claim (issue 22): ``attest``, ``dispute``
    or ``resolve``, with a reason.

    A verdict whose latest word is ``dispute`` is shown as disputed and left out of every record's
    scoring (records.run_outcomes) until resolved. Each row is sealed (``digest``, over its fields and
    ``subject``: the sealed outcome's digest, or a copy of the claim), takes its place in the store-wide
    log beside the seals (``log_index``) and is signed with the operator's key when there is one
    (attestations.py); the run's own seal is untouched."""

    __tablename__ = "attestations"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True, nullable=True)
    check_id: Mapped[str] = mapped_column(String(255))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id"), index=True, nullable=True,
                                                      default=None)
    action: Mapped[str] = mapped_column(String(16))  # attest | dispute | resolve
    reason: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[str] = mapped_column(String(128))  # the assessor's user name
    at: Mapped[str] = mapped_column(String(40))
    subject: Mapped[dict[str, Any]] = mapped_column(default=dict)
    digest: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)
    log_index: Mapped[int | None] = mapped_column(Integer, unique=True, nullable=True, default=None)
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)
    public_key: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)
    signature: Mapped[str | None] = mapped_column(String(128), nullable=True, default=None)


def plain(value: Any) -> Any:
    """A JSON-only copy: NaN/infinity become None, anything not JSON becomes its text."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def evidence_sha256(kind: str, summary: str, data: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json({"kind": kind, "summary": summary, "data": data})).hexdigest()


def blob_content(kind: str, summary: str, data: dict[str, Any]) -> tuple[str, bytes, int]:
    """(SHA-256, zlib-compressed canonical JSON, uncompressed size) of one evidence item."""
    raw = canonical_json({"kind": kind, "summary": summary, "data": data})
    return hashlib.sha256(raw).hexdigest(), zlib.compress(raw, 6), len(raw)
