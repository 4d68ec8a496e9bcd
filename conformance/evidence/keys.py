"""Signing keys: an Ed25519 key the person or organisation running the harness holds.

Unkeyed SHA-256 seals prove integrity only: anyone can rewrite a run and recompute every digest with
the public algorithm. A signature by a key only the operator holds makes a forgery detectable by
whoever trusts that key's public half. The private key lives in a PEM file (mode 0600) named by
``--key``, ``$CONFORMANCE_SIGNING_KEY`` or the default below; only its public key and fingerprint
(SHA-256 of the raw 32-byte public key) ever go into a pack, a checkpoint or a report. CI systems hand
secrets over as values, so ``$CONFORMANCE_SIGNING_KEY`` may also hold the PEM itself: then it is used
as the key and never printed (it used to be taken for a path and echoed in "no signing key at ...").
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from conformance.errors import ConfigError

ENV_VAR = "CONFORMANCE_SIGNING_KEY"
# The key(s) a verification trusts: one, or several (a key that was rotated), or None (integrity only).
Trusted = str | tuple[str, ...] | None


class SigningKeyError(ConfigError):
    """A key file is missing, unreadable or not an Ed25519 key: a one-line reason."""


def default_key_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "conformance" / "signing-key.pem"


def key_path(explicit: Path | None = None) -> Path:
    """Where the signing key is: ``--key``, then ``$CONFORMANCE_SIGNING_KEY``, then the default."""
    if explicit is not None:
        return explicit
    env = os.environ.get(ENV_VAR)
    if env and _is_pem(env):
        raise SigningKeyError(f"${ENV_VAR} holds a key itself, not the path of a key file (its value is not shown); "
                              "give --key PATH to name a file")
    return Path(env) if env else default_key_path()


def _is_pem(value: str) -> bool:
    return "-----BEGIN" in value or "\n" in value


def raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public: Ed25519PublicKey) -> str:
    return hashlib.sha256(raw_public(public)).hexdigest()


@dataclass(frozen=True)
class Signer:
    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public)

    @property
    def public_b64(self) -> str:
        return base64.b64encode(raw_public(self.public)).decode("ascii")

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private.sign(message)).decode("ascii")


def init_key(path: Path) -> Signer:
    """Create a new key at ``path`` (0600); refuse to overwrite an existing one."""
    if path.exists():
        raise SigningKeyError(f"{path} already exists; not overwriting a signing key")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
    except OSError as exc:
        raise SigningKeyError(f"cannot write {path}: {exc.strerror or exc}") from None
    return Signer(private)


def load_key(path: Path) -> Signer:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"cannot read signing key {path}: {exc.strerror or exc}") from None
    return _signer_of(data, str(path))


def _signer_of(data: bytes, where: str) -> Signer:
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise SigningKeyError(f"{where} is not an unencrypted PEM private key") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise SigningKeyError(f"{where} is not an Ed25519 key")
    return Signer(private)


def find_signer(explicit: Path | None = None) -> Signer | None:
    """The operator's key, or None when none exists (runs and packs are then unsigned)."""
    env = os.environ.get(ENV_VAR, "")
    if explicit is None and _is_pem(env):
        return _signer_of(env.encode(), f"the key in ${ENV_VAR}")
    path = key_path(explicit)
    if explicit is None and not path.exists():
        return None
    return load_key(path)


def b64decode(text: str) -> bytes:
    """Strict base64: only the one canonical spelling of the bytes (no free padding bits) is accepted,
    so no character of a signed or proven value can change unnoticed. ValueError otherwise."""
    data = base64.b64decode(text, validate=True)
    if base64.b64encode(data).decode("ascii") != text:
        raise ValueError("not canonical base64")
    return data


def public_from_b64(text: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(b64decode(text))
    except ValueError:
        raise SigningKeyError("not a base64 raw Ed25519 public key") from None


def signature_ok(public: Ed25519PublicKey, signature_b64: str, message: bytes) -> bool:
    try:
        public.verify(b64decode(signature_b64), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def trusted_fingerprint(trusted: str) -> str:
    """The fingerprint of the key ``trusted`` names: a fingerprint (64 hex), a base64 raw public key, or a
    path to either or to a PEM public key. SigningKeyError when it is none of these (a typo must not
    read as "signed by another key")."""
    text = trusted.strip()
    candidate = Path(text)
    if len(text) < 4096 and candidate.is_file():
        try:
            data = candidate.read_bytes()
            if data.lstrip().startswith(b"-----BEGIN PUBLIC KEY"):
                loaded = serialization.load_pem_public_key(data)
                if not isinstance(loaded, Ed25519PublicKey):
                    raise SigningKeyError(f"trusted key {text}: not an Ed25519 public key")
                return fingerprint(loaded)
        except (OSError, ValueError):
            raise SigningKeyError(f"trusted key {text}: not a readable public key file") from None
        text = data.decode("ascii", "replace").strip()
    if len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text):
        return text.lower()
    try:
        return fingerprint(public_from_b64(text))
    except SigningKeyError:
        raise SigningKeyError(f"trusted key {trusted.strip()[:80]!r} is not a fingerprint (64 hex), a base64 "
                              "Ed25519 public key, or a file holding one") from None


def trusted_matches(trusted: str | tuple[str, ...], public: Ed25519PublicKey) -> bool:
    """Is ``public`` the key ``trusted`` names, or one of them (see :func:`trusted_fingerprint`)?"""
    names = (trusted,) if isinstance(trusted, str) else trusted
    return fingerprint(public) in {trusted_fingerprint(t) for t in names}
