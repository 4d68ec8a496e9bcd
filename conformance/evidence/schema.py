"""The evidence store's tables, and the canonical JSON each evidence row's SHA-256 is taken over.

Kept apart from the store's behaviour so that schema migrations (a later issue) have one place to read.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

COMPLETE = "complete"
INCOMPLETE = "incomplete"


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[str]: JSON}


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

    outcomes: Mapped[list[OutcomeRow]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="OutcomeRow.position"
    )


class OutcomeRow(Base):
    __tablename__ = "outcomes"
    __table_args__ = (UniqueConstraint("run_id", "check_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
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


class EvidenceRow(Base):
    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcomes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sha256: Mapped[str] = mapped_column(String(64))

    outcome: Mapped[OutcomeRow] = relationship(back_populates="evidence")


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
