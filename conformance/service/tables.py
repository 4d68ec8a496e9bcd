"""The service's own tables, on the store's declarative base (created by migration 0004).

Secrets are never stored: passwords as argon2 hashes, session ids and API tokens as SHA-256 digests
(both are 256-bit random values, so a fast digest suffices: there is nothing to guess offline).
Times are seconds since the epoch (floats) where the service compares them, ISO text where people read them.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from conformance.evidence.schema import Base


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    password_hash: Mapped[str] = mapped_column(Text, default="")  # argon2id; "" = cannot sign in
    created: Mapped[str] = mapped_column(String(40), default="")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class GrantRow(Base):
    """One role of a user, scoped: commissioner of footprint F, member of organisation O, supplier V..."""

    __tablename__ = "user_grants"
    __table_args__ = (UniqueConstraint("user_id", "role", "scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(255), default="")  # a footprint, ODS code, vendor, comparison


class SessionRow(Base):
    __tablename__ = "web_sessions"

    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created: Mapped[float] = mapped_column(Float)
    expires: Mapped[float] = mapped_column(Float)


class TokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(Text, default="")
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created: Mapped[str] = mapped_column(String(40), default="")
    revoked: Mapped[str] = mapped_column(String(40), default="")  # when; "" while valid


class LoginFailureRow(Base):
    """A failed sign-in, by account and by client address: the rate limit counts these."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)  # "user:NAME" or "addr:IP"
    at: Mapped[float] = mapped_column(Float)


class ComparisonRow(Base):
    """A named comparison of systems' runs, shared with a procurement panel (the panel role's scope)."""

    __tablename__ = "comparisons"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    title: Mapped[str] = mapped_column(Text, default="")
    run_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # the buyer's own weighted requirements (a requirements file's TOML text); "" = the shipped example set
    requirements: Mapped[str] = mapped_column(Text, default="")


class ValidationRow(Base):
    """One validation done in the pages (EVS-style): its input, its OperationOutcome, at a permanent address."""

    __tablename__ = "validations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random: the permalink's last segment
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # fhir | hl7v2 | gs1
    input: Mapped[str] = mapped_column(Text)
    valid: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[dict[str, object]] = mapped_column(JSON)
    created: Mapped[str] = mapped_column(String(40))


class OidcIdentityRow(Base):
    """An identity at an OpenID provider, registered beforehand for one account (migration 0008): signing
    in through the provider maps to the account by subject (or verified email), and never makes one."""

    __tablename__ = "oidc_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255), default="")  # "" = matched by email
    email: Mapped[str] = mapped_column(String(320), default="")  # "" = matched by subject
