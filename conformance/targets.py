"""The system under test: who runs it, what it is, where it listens, and whether we may write to it.

Read from a TOML file or made from a bare FHIR base URL. Unknown keys are errors, not ignored, so a
typo cannot silently turn a sandbox into a production target or drop a claimed profile. Secrets are
never in the file: it names environment variables, read only when a request is made.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance.openapi.settings import (
    API_KEYS,
    OAUTH_KEYS,
    ApiSettings,
    OAuthSettings,
    missing_secrets,
    parse_api,
    parse_oauth,
)
from conformance.realtime.settings import RealtimeSettings, parse_realtime

ORG_KINDS = ("commissioner", "provider", "local-authority", "supplier")
AUTH_TYPES = ("none", "bearer", "basic")


MIN_SECRET = 4  # the Scrubber's shortest secret: see transports/http.py


class TargetError(Exception):
    """A target that cannot be used: one line naming the file and the key (exit 2)."""


@dataclass
class Organisation:
    ods_code: str = ""
    name: str = ""
    kind: str = ""


@dataclass
class SystemInfo:
    vendor: str = ""
    product: str = ""
    version: str = ""


@dataclass
class Auth:
    type: str = "none"
    token_env: str = ""
    username_env: str = ""
    password_env: str = ""

    def secrets(self) -> list[str]:
        """Values to scrub from anything written: the resolved credentials, when set."""
        names = [self.token_env, self.username_env, self.password_env]
        return [v for v in (os.environ.get(n, "") for n in names if n) if v]


@dataclass
class HttpSettings:
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    # Whole exchange, first byte sent to last byte read. A 5 MB body (max_body_bytes) over a slow
    # 1 Mbit/s link takes ~40 s; past 60 s the check's own timeout would cut it anyway, in vaguer words.
    exchange_timeout: float = 45.0
    max_body_bytes: int = 5_000_000
    evidence_body_bytes: int = 64_000
    verify_tls: bool = True
    max_redirects: int = 5


@dataclass
class Hl7v2Settings:
    """How the HL7 v2 suites talk to the target (``[hl7v2]`` in a target file)."""

    application: str = "SUT"  # the target's application and facility names (our MSH-5/6)
    facility: str = "SUT"
    receives: list[str] = field(default_factory=lambda: ["ADT^A01"])  # message types it accepts
    sends: list[str] = field(default_factory=list)  # message types it sends (hl7v2-sender)
    profiles: list[str] = field(default_factory=list)  # message profile ids or paths it claims
    listen: str = "127.0.0.1:0"  # where the harness listens for what the target sends
    trigger: str = ""  # URL POSTed {"host", "port"} to ask the target to send now (optional)
    ack_within: float = 5.0  # seconds an ACK may take
    wait: float = 15.0  # seconds the sender suite waits for messages
    version: str = "2.5.1"  # the HL7 version of the messages we send
    # A target not marked sandbox may still take test messages: then the receiver suite sends only
    # messages with MSH-11 = T (processing id Test), and the MLLP transport refuses any other.
    allow_test_messages: bool = False


@dataclass
class Target:
    name: str
    source: str
    organisation: Organisation = field(default_factory=Organisation)
    footprint: str = ""
    system: SystemInfo = field(default_factory=SystemInfo)
    endpoints: dict[str, str] = field(default_factory=dict)
    auth: Auth = field(default_factory=Auth)
    sandbox: bool = False
    profiles: list[str] = field(default_factory=list)
    packages: list[str] = field(default_factory=list)  # FHIR packages/folders defining claimed profiles
    http: HttpSettings = field(default_factory=HttpSettings)
    hl7v2: Hl7v2Settings = field(default_factory=Hl7v2Settings)
    realtime: RealtimeSettings = field(default_factory=RealtimeSettings)  # [realtime]: the realtime suite
    api: ApiSettings = field(default_factory=ApiSettings)  # [api]: the openapi suite
    oauth: OAuthSettings = field(default_factory=OAuthSettings)  # [oauth]: the security suite
    deadline: float | None = None  # [run] deadline: seconds the whole run may take (--deadline overrides)

    def to_dict(self) -> dict[str, Any]:
        """What reports say about the target: never credential values, only where they come from."""
        return {
            "name": self.name,
            "source": self.source,
            "organisation": vars(self.organisation).copy(),
            "footprint": self.footprint,
            "system": vars(self.system).copy(),
            "endpoints": dict(self.endpoints),
            "auth": {"type": self.auth.type},
            "sandbox": self.sandbox,
            "profiles": list(self.profiles),
            "packages": list(self.packages),
        }


_SECTIONS: dict[str, tuple[str, ...]] = {
    "organisation": ("ods_code", "name", "kind"),
    "system": ("vendor", "product", "version"),
    "endpoints": ("fhir", "mllp", "openapi", "api", "notifications"),
    "auth": ("type", "token_env", "username_env", "password_env"),
    "claims": ("profiles", "packages"),
    "http": tuple(HttpSettings.__dataclass_fields__),
    "hl7v2": tuple(Hl7v2Settings.__dataclass_fields__),
    "realtime": tuple(RealtimeSettings.__dataclass_fields__),
    "api": API_KEYS,
    "oauth": OAUTH_KEYS,
    "run": ("deadline",),
}
_TOP = ("name", "footprint", "sandbox", *_SECTIONS)


def from_url(url: str, sandbox: bool = False) -> Target:
    _check_url(url, "the target URL")
    return Target(name=url, source=url, endpoints={"fhir": url.rstrip("/")}, sandbox=sandbox)


def load(path: str | Path) -> Target:
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TargetError(f"{p}: no such file") from None
    except UnicodeDecodeError:
        raise TargetError(f"{p}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise TargetError(f"{p}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise TargetError(f"{p}: cannot be read: {exc.strerror}") from None
    return parse(data, str(p))


def parse(data: dict[str, Any], source: str) -> Target:
    def err(key: str, why: str) -> TargetError:
        return TargetError(f"{source}: {key}: {why}")

    for key in data:
        if key not in _TOP:
            raise err(key, f"unknown key (expected one of {', '.join(_TOP)})")
    for section, keys in _SECTIONS.items():
        value = data.get(section, {})
        if not isinstance(value, dict):
            raise err(section, "must be a table ([" + section + "])")
        for key in value:
            if key not in keys:
                raise err(f"{section}.{key}", f"unknown key (expected one of {', '.join(keys)})")

    def text(section: str, key: str) -> str:
        value = data.get(section, {}).get(key, "")
        if not isinstance(value, str):
            raise err(f"{section}.{key}", "must be a string")
        return value.strip()

    org = Organisation(*(text("organisation", k) for k in _SECTIONS["organisation"]))
    if org.kind and org.kind not in ORG_KINDS:
        raise err("organisation.kind", f"{org.kind!r} is not one of {', '.join(ORG_KINDS)}")
    endpoints = {k: text("endpoints", k) for k in _SECTIONS["endpoints"] if text("endpoints", k)}
    for key in ("fhir", "openapi", "api", "notifications"):
        if key in endpoints and not endpoints[key].startswith(("/", ".")):
            _check_url(endpoints[key], f"{source}: endpoints.{key}")
    if "fhir" in endpoints:
        endpoints["fhir"] = endpoints["fhir"].rstrip("/")
    if not endpoints:
        raise err("endpoints", "names no endpoint (set endpoints.fhir or endpoints.mllp)")
    auth = Auth(*(text("auth", k) or d for k, d in zip(_SECTIONS["auth"], ("none", "", "", ""), strict=True)))
    if auth.type not in AUTH_TYPES:
        raise err("auth.type", f"{auth.type!r} is not one of {', '.join(AUTH_TYPES)}")
    if auth.type == "bearer" and not auth.token_env:
        raise err("auth.token_env", "bearer auth needs the name of the environment variable holding the token")
    if auth.type == "basic" and not (auth.username_env and auth.password_env):
        raise err("auth.username_env", "basic auth needs username_env and password_env")
    sandbox = data.get("sandbox", False)
    if not isinstance(sandbox, bool):
        raise err("sandbox", "must be true or false")
    profiles = data.get("claims", {}).get("profiles", [])
    if not isinstance(profiles, list) or not all(isinstance(p, str) for p in profiles):
        raise err("claims.profiles", "must be a list of profile canonical URLs")
    packages = data.get("claims", {}).get("packages", [])
    if not isinstance(packages, list) or not all(isinstance(p, str) for p in packages):
        raise err("claims.packages", "must be a list of paths to FHIR packages (.tgz or folders)")
    base_dir = Path(source).parent if source and not source.startswith(("http://", "https://")) else Path()
    packages = [str(base_dir / p) if not Path(p).is_absolute() else p for p in packages]
    missing = [p for p in packages if not Path(p).exists()]
    if missing:
        raise err("claims.packages", f"no such file or folder: {missing[0]}")
    http = HttpSettings()
    for key, value in data.get("http", {}).items():
        expected = type(getattr(http, key))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
            raise err(f"http.{key}", f"must be {expected.__name__}")
        if expected is not bool and value <= 0:
            raise err(f"http.{key}", "must be greater than 0")
        setattr(http, key, value)
    if "mllp" in endpoints:
        try:
            mllp_address(endpoints["mllp"])
        except ValueError as exc:
            raise err("endpoints.mllp", str(exc)) from None
    hl7v2 = _hl7v2(data.get("hl7v2", {}), err)
    deadline = data.get("run", {}).get("deadline")
    if deadline is not None and (isinstance(deadline, bool) or not isinstance(deadline, int | float)
                                 or not 0 < deadline < float("inf")):
        raise err("run.deadline", "must be a number of seconds greater than 0")
    name = data.get("name", org.name or endpoints.get("fhir", source))
    footprint = data.get("footprint", "")
    if not isinstance(name, str) or not isinstance(footprint, str):
        raise err("name" if not isinstance(name, str) else "footprint", "must be a string")
    return Target(
        name=name,
        source=source,
        organisation=org,
        footprint=footprint,
        system=SystemInfo(*(text("system", k) for k in _SECTIONS["system"])),
        endpoints=endpoints,
        auth=auth,
        sandbox=sandbox,
        profiles=profiles,
        packages=packages,
        http=http,
        hl7v2=hl7v2,
        realtime=parse_realtime(data.get("realtime", {}), err),
        api=parse_api(data.get("api", {}), err),
        oauth=parse_oauth(data.get("oauth", {}), err),
        deadline=float(deadline) if deadline is not None else None,
    )


def resolve(spec: str, sandbox: bool = False) -> Target:
    """``--target`` is a file path or an http(s) URL."""
    if spec.startswith(("http://", "https://")):
        return from_url(spec, sandbox=sandbox)
    if "://" in spec:
        raise TargetError(f"{spec}: not an http(s) URL, nor a target file")
    if not Path(spec).exists() and not spec.endswith(".toml") and ("/" in spec or "." in spec):
        raise TargetError(f"{spec}: no such target file; if it is a URL it has no scheme: "
                          f"write https://{spec} (or http://)")
    target = load(spec)
    if sandbox:
        target.sandbox = True
    return target


def env_state(var: str) -> str:
    """Why an environment variable gives no value: ``is not set`` or ``is empty`` (a different mistake)."""
    return "is empty" if var in os.environ else "is not set"


def check_credentials(target: Target) -> None:
    """Every environment variable the auth section names is set and not empty (else exit 2).

    Checked before any request, so a forgotten ``export`` is a configuration error, not a run of
    confusing connection failures.
    """
    names = {"bearer": ("token_env",), "basic": ("username_env", "password_env")}.get(target.auth.type, ())
    for key in names:
        var = getattr(target.auth, key)
        if not os.environ.get(var):
            raise TargetError(f"{target.source}: auth.{key}: environment variable {var} {env_state(var)}")
        if len(os.environ[var]) < MIN_SECRET:
            # Shorter values cannot be scrubbed from evidence without erasing innocent text with them.
            raise TargetError(f"{target.source}: auth.{key}: the value of {var} is shorter than {MIN_SECRET} "
                              "characters, too short to be kept out of the evidence; use a longer credential")
    for missing in missing_secrets(target.oauth):
        raise TargetError(f"{target.source}: {missing}")


def _check_url(url: str, what: str) -> None:
    parts = urlsplit(url)
    if not parts.scheme and not url.startswith("//"):
        raise TargetError(f"{what}: {url!r} has no scheme: write https://{url} (or http://)")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TargetError(f"{what}: {url!r} is not an http(s) URL")
    if "@" in parts.netloc:
        # A password in a URL would be stored with every exchange, report and pack; refuse it, and never
        # echo the URL (it holds the secret) in the message.
        shown = f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[1]}{parts.path}"
        raise TargetError(f"{what}: {shown} carries a user name or password in the URL; remove it and give "
                          "credentials through [auth] with an environment variable (username_env/password_env)")


def mllp_address(spec: str) -> tuple[str, int]:
    """``"host:port"`` (or ``mllp://host:port``) as (host, port); ValueError says what is wrong."""
    rest = spec.removeprefix("mllp://").rstrip("/")
    host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{spec!r} is not host:port (e.g. 127.0.0.1:2575)")
    return host.strip("[]"), int(port)


def _hl7v2(table: dict[str, Any], err: Any) -> Hl7v2Settings:
    settings = Hl7v2Settings()
    for key, value in table.items():
        default = getattr(settings, key)
        where = f"hl7v2.{key}"
        if isinstance(default, list):
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise err(where, "must be a list of strings")
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise err(where, "must be true or false")
        elif isinstance(default, float):
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise err(where, "must be a number of seconds greater than 0")
            value = float(value)
        elif not isinstance(value, str):
            raise err(where, "must be a string")
        setattr(settings, key, value)
    for key in ("receives", "sends"):
        for kind in getattr(settings, key):
            if not re.fullmatch(r"[A-Z0-9]{3}\^[A-Z0-9]{3}", kind):
                raise err(f"hl7v2.{key}", f"{kind!r} is not a message type such as ADT^A01")
    try:
        mllp_address(settings.listen)
    except ValueError as exc:
        raise err("hl7v2.listen", str(exc)) from None
    parts = urlsplit(settings.trigger)
    if settings.trigger and (parts.scheme not in ("http", "https") or not parts.netloc):
        raise err("hl7v2.trigger", f"{settings.trigger!r} is not an http(s) URL")
    return settings
