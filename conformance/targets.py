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

from conformance.errors import ConfigError
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


class TargetError(ConfigError):
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
    # The target's receiver keeps MLLP connections open for further messages (MLLP also allows one
    # message per connection): claiming it makes hl7v2-receiver.connection.several-messages required.
    persistent_connections: bool = False
    # The largest MLLP frame the harness reads (its memory bound); a larger one is not judged, and the
    # verdict names this setting.
    max_message_bytes: int = 1_000_000


OVERRIDE_POLICIES = ("refuse", "record-with-reason")
SCANNED_PACK_FORMS = ("", "contained")


@dataclass
class BedsideSettings:
    """What the target does at the bedside (``[bedside]``; the gs1-bedside suite's positive-match checks).

    Declared, never inferred: a generic FHIR server stores whatever administration it is sent, so the
    checks that expect a mismatch to be refused run only where the target says it is an eMAR.
    """

    emar: bool = False  # the target checks administrations against the prescription and the scans
    # refuse: a mismatch is refused with an OperationOutcome; record-with-reason: refused unless the
    # administration carries an override reason, then stored with that reason.
    override_policy: str = "refuse"
    # How the eMAR recognises an override reason: a MedicationAdministration.note whose text starts with
    # this. FHIR R4 defines no override element, so record-with-reason needs it declared (no default).
    override_note_prefix: str = ""
    # The Location.identifier system under which the target keeps a GLN's extension component (AI 254).
    # No HL7 or GS1 FHIR mapping defines one, so "GLN + extension" is asked only where this is declared.
    gln_extension_system: str = ""
    # How the eMAR takes the scanned pack in a MedicationAdministration: "contained" (a contained
    # Medication with GTIN, batch, expiry: the one form gs1-bedside sends). Undeclared, a refusal of the
    # correct administration is not judged: it may be the form, not the patient or product, refused.
    scanned_pack: str = ""


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
    bedside: BedsideSettings = field(default_factory=BedsideSettings)  # [bedside]: the gs1-bedside suite
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
    "bedside": tuple(BedsideSettings.__dataclass_fields__),
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

    _refuse_userinfo(data, source)

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
    # A system that only sends HL7 v2 has no endpoint of its own: [hl7v2] sends or trigger is enough.
    hl7_table = data.get("hl7v2")
    sender_only = isinstance(hl7_table, dict) and bool(hl7_table.get("sends") or hl7_table.get("trigger"))
    if not endpoints and not sender_only:
        raise err("endpoints", "names no endpoint (set endpoints.fhir or endpoints.mllp, or hl7v2.sends for a "
                  "system that only sends HL7 v2)")
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
    packages = [p if _cache_spec(p) else str(base_dir / p) if not Path(p).is_absolute() else p for p in packages]
    missing = [p for p in packages if not _package_found(p)]
    if missing:
        raise err("claims.packages", f"no such file or folder, nor id#version in the FHIR package cache: {missing[0]}")
    slip = _claimed_typo(profiles, packages)
    if slip:
        raise err("claims.profiles", f"{slip[0]!r} is defined nowhere the harness looks, and is one slip away "
                                     f"from {slip[1]!r}: correct the URL (a typo is not a claim)")
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
        bedside=_bedside(data.get("bedside", {}), err),
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
        value = os.environ[var]
        if key == "token_env" and (value != value.strip() or not all(" " <= c <= "~" for c in value)):
            # An HTTP header carries printable ASCII only, with no edge whitespace: say so before any request.
            raise TargetError(f"{target.source}: auth.{key}: the value of {var} has characters an HTTP "
                              "header cannot carry (control characters, non-ASCII, or leading or trailing "
                              "spaces); a bearer token is printable ASCII")
    for missing in missing_secrets(target.oauth):
        raise TargetError(f"{target.source}: {missing}")


_USERINFO = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\s]*@")


def _refuse_userinfo(data: Any, source: str, path: str = "") -> None:
    """No value anywhere in the file (any section: endpoints, [oauth], [realtime], [hl7v2]...) may be a URL
    with a user name or password in it: it would be kept in every report, store row and pack. The message
    names the key and never the value."""
    if isinstance(data, dict):
        for key, value in data.items():
            _refuse_userinfo(value, source, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            _refuse_userinfo(value, source, f"{path}[{index}]")
    elif isinstance(data, str) and _USERINFO.match(data):
        raise TargetError(f"{source}: {path}: the URL carries a user name or password; remove it and give "
                          "credentials through [auth] with an environment variable (username_env/password_env)")


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


def _cache_spec(spec: str) -> bool:
    """``hl7.fhir.uv.subscriptions-backport#1.1.0``: a package the FHIR package cache holds, by id#version."""
    return re.fullmatch(r"[A-Za-z0-9._\-]+#[A-Za-z0-9._\-]+", spec) is not None


def _package_found(spec: str) -> bool:
    if Path(spec).exists():
        return True
    if not _cache_spec(spec):
        return False
    from conformance.fhirval.packages import PackageCache

    name, _, version = spec.partition("#")
    return PackageCache().find(name, version) is not None


def add_packages(target: Target, specs: list[str]) -> None:
    """``--package`` on the command line: more definitions for the claimed profiles, checked like
    ``claims.packages`` (a path, or id#version in the FHIR package cache)."""
    missing = [p for p in specs if not _package_found(p)]
    if missing:
        raise TargetError(f"--package: no such file or folder, nor id#version in the FHIR package cache: {missing[0]}")
    target.packages = [*target.packages, *(p if _cache_spec(p) and not Path(p).exists() else str(Path(p).resolve())
                                           for p in specs)]
    slip = _claimed_typo(target.profiles, target.packages)
    if slip:
        raise TargetError(f"claims.profiles: {slip[0]!r} is defined nowhere the harness looks, and is one slip away "
                          f"from {slip[1]!r}: correct the URL (a typo is not a claim)")


def _claimed_typo(profiles: list[str], packages: list[str]) -> tuple[str, str] | None:
    """(claimed URL, the known canonical it is a typo of), or None. Definitions that cannot be loaded
    are left for the run to report (the fhir-profiles suite says which and why)."""
    if not profiles:
        return None
    from conformance.fhirval.claims import OWN_PROFILES, cached_packages_defining, typo_of
    from conformance.fhirval.layered import load_definitions
    from conformance.fhirval.loaders import DefinitionLoadError

    try:
        source = load_definitions([OWN_PROFILES, *packages])
    except DefinitionLoadError:
        return None
    known = set(source.urls())
    unknown = [p for p in profiles if p.split("|")[0] not in known]
    cached = cached_packages_defining(unknown)
    for url in unknown:
        match = None if url.split("|")[0] in cached else typo_of(url.split("|")[0], known)
        if match:
            return url, match
    return None


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
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int) or not 1_000 <= value <= 1_000_000_000:
                raise err(where, "must be a whole number of bytes from 1000 to 1000000000")
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


def _bedside(table: dict[str, Any], err: Any) -> BedsideSettings:
    settings = BedsideSettings()
    emar = table.get("emar", False)
    if not isinstance(emar, bool):
        raise err("bedside.emar", "must be true or false")
    policy = table.get("override_policy", settings.override_policy)
    if not isinstance(policy, str) or policy.strip() not in OVERRIDE_POLICIES:
        raise err("bedside.override_policy", f"{policy!r} is not one of {', '.join(OVERRIDE_POLICIES)}")
    settings.emar, settings.override_policy = emar, policy.strip()
    for name in ("override_note_prefix", "gln_extension_system", "scanned_pack"):
        value = table.get(name, "")
        if not isinstance(value, str):
            raise err(f"bedside.{name}", "must be a string")
        setattr(settings, name, value.strip())
    if settings.override_policy == "record-with-reason" and not settings.override_note_prefix:
        raise err("bedside.override_note_prefix", "override_policy = record-with-reason needs the text an "
                  "override reason's note starts with, as the eMAR expects it (e.g. \"Override:\")")
    if settings.scanned_pack not in SCANNED_PACK_FORMS:
        forms = ", ".join(SCANNED_PACK_FORMS[1:])
        raise err("bedside.scanned_pack", f"{settings.scanned_pack!r} is not one of {forms}")
    ext = urlsplit(settings.gln_extension_system)
    if settings.gln_extension_system and (not ext.scheme or not (ext.netloc or ext.path)):
        raise err("bedside.gln_extension_system", f"{settings.gln_extension_system!r} is not a URI")
    return settings
