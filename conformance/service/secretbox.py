"""The service key: target credentials are encrypted with it at rest, so a copy of the store (a backup,
a leaked file) opens no system under test.

Fernet (cryptography): AES-128-CBC with HMAC-SHA256, authenticated, so a tampered ciphertext is refused
rather than decrypted to garbage. The key comes from ``$CONFORMANCE_SERVICE_KEY`` (a Fernet key,
urlsafe base64 of 32 bytes), else from a key file (``service.key`` beside a SQLite store, so
``reports/service.key`` by default; ``reports/service.key`` for a PostgreSQL store), created with mode
0600 on first use; where it came from is said once at startup, never the key itself. Keep the key file
out of the store's backups: the two together open the credentials.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from conformance.evidence.store import EvidenceStore

KEY_ENV = "CONFORMANCE_SERVICE_KEY"
DEFAULT_KEY_FILE = Path("reports") / "service.key"


class ServiceKeyError(Exception):
    """The service key is unusable: the message says which and how to supply a good one."""


@dataclass(frozen=True)
class SecretBox:
    fernet: Fernet
    origin: str  # a sentence for the startup line: where the key came from

    def seal(self, values: dict[str, str]) -> str:
        """Credentials as ciphertext ("" when there are none: nothing to hide)."""
        if not values:
            return ""
        return self.fernet.encrypt(json.dumps(values, sort_keys=True).encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> dict[str, str]:
        if not sealed:
            return {}
        try:
            found = json.loads(self.fernet.decrypt(sealed.encode("ascii")))
        except InvalidToken:
            raise ServiceKeyError("a registered target's credentials cannot be decrypted with this service key "
                            f"(was ${KEY_ENV} or the key file changed?); register the target again") from None
        return {str(k): str(v) for k, v in found.items()}


def key_file_for(store: EvidenceStore) -> Path:
    """``service.key`` beside a SQLite store's file, else ``reports/service.key``."""
    database = store.engine.url.database
    if store.backend == "sqlite" and database and database != ":memory:":
        return Path(database).parent / "service.key"
    return DEFAULT_KEY_FILE


def load_box(key_file: Path | None = None) -> SecretBox:
    """The key from the environment, else the key file (created 0600 when absent)."""
    given = os.environ.get(KEY_ENV, "").strip()
    if given:
        try:
            return SecretBox(Fernet(given.encode("ascii")), f"service key from ${KEY_ENV}")
        except (ValueError, UnicodeEncodeError):
            raise ServiceKeyError(f"${KEY_ENV} is not a Fernet key (urlsafe base64 of 32 bytes); make one with "
                            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key()"
                            ".decode())'`") from None
    path = key_file or DEFAULT_KEY_FILE
    if path.exists():
        if path.stat().st_mode & 0o077:
            raise ServiceKeyError(f"service key file {path} is readable by others; `chmod 600 {path}`")
        try:
            return SecretBox(Fernet(path.read_bytes().strip()), f"service key from {path}")
        except ValueError:
            raise ServiceKeyError(f"service key file {path} does not hold a Fernet key; move it away to make a "
                            "new one (credentials encrypted with it must then be registered again)") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(key + b"\n")
    return SecretBox(Fernet(key), f"created service key file {path} (mode 0600); keep it to read the "
                                  "registered targets' credentials")
