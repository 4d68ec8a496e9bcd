"""How a transport reaches the system under test: its ``[auth]`` and ``[http]`` tables.

Kept with the transports (which must not import targets) so that a transport is configured by what it
uses and nothing else. Secrets are never values here: ``[auth]`` names environment variables, read
only when a request is made.
"""

from __future__ import annotations

import os
from typing import Annotated

from pydantic import BeforeValidator, PrivateAttr, ValidationInfo, model_validator

from conformance.sections import KeyProblem, Section, Text, from_file

AUTH_TYPES = ("none", "bearer", "basic")


def _auth_type(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    kind = value.strip() or "none"
    if kind not in AUTH_TYPES:
        raise ValueError(f"{kind!r} is not one of {', '.join(AUTH_TYPES)}")
    return kind


class Auth(Section):
    """``[auth]``: how requests are authorised; each credential is named by its environment variable."""

    type: Annotated[str, BeforeValidator(_auth_type)] = "none"
    token_env: Text = ""
    username_env: Text = ""
    password_env: Text = ""
    # Values given in memory (the service's registered targets, decrypted for one run), by the name an
    # ``*_env`` field holds: never read from a file, never in repr or a dump. Absent names: the environment.
    _given: dict[str, str] = PrivateAttr(default_factory=dict)

    def give(self, values: dict[str, str]) -> Auth:
        """This section with ``values`` held in memory in place of environment variables."""
        self._given = dict(values)
        return self

    def value(self, name: str) -> str:
        """The credential ``name`` stands for: given in memory, else the environment variable's value."""
        return self._given.get(name) or os.environ.get(name, "")

    @model_validator(mode="after")
    def _names_what_it_needs(self, info: ValidationInfo) -> Auth:
        if not from_file(info):
            return self
        if self.type == "bearer" and not self.token_env:
            raise KeyProblem("token_env", "bearer auth needs the name of the environment variable holding the token")
        if self.type == "basic" and not (self.username_env and self.password_env):
            raise KeyProblem("username_env", "basic auth needs username_env and password_env")
        return self

    def secrets(self) -> list[str]:
        """Values to scrub from anything written: the resolved credentials, when set."""
        names = [self.token_env, self.username_env, self.password_env]
        return [v for v in (self.value(n) for n in names if n) if v]


def _typed(kind: type) -> BeforeValidator:
    """``[http]``'s rule: the default's type (an int is a float), and any number greater than 0."""

    def check(value: object) -> object:
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise ValueError(f"must be {kind.__name__}")
        if kind is not bool and value <= 0:  # type: ignore[operator]
            raise ValueError("must be greater than 0")
        return value

    return BeforeValidator(check)


Seconds = Annotated[float, _typed(float)]
Count = Annotated[int, _typed(int)]


class HttpSettings(Section):
    """``[http]``: timeouts and bounds of every HTTP exchange."""

    connect_timeout: Seconds = 5.0
    read_timeout: Seconds = 15.0
    # Whole exchange, first byte sent to last byte read. A 5 MB body (max_body_bytes) over a slow
    # 1 Mbit/s link takes ~40 s; past 60 s the check's own timeout would cut it anyway, in vaguer words.
    exchange_timeout: Seconds = 45.0
    max_body_bytes: Count = 5_000_000
    evidence_body_bytes: Count = 64_000
    verify_tls: Annotated[bool, _typed(bool)] = True
    max_redirects: Count = 5


def mllp_address(spec: str) -> tuple[str, int]:
    """``"host:port"`` (or ``mllp://host:port``) as (host, port); ValueError says what is wrong."""
    rest = spec.removeprefix("mllp://").rstrip("/")
    host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{spec!r} is not host:port (e.g. 127.0.0.1:2575)")
    return host.strip("[]"), int(port)
