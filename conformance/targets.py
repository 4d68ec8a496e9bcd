"""The system under test: who runs it, what it is, where it listens, and whether we may write to it.

Read from a TOML file or made from a bare FHIR base URL. Unknown keys are errors, not ignored, so a
typo cannot silently turn a sandbox into a production target or drop a claimed profile. Secrets are
never in the file: it names environment variables, read only when a request is made.

The file is checked by pydantic models (:class:`TargetFile`, one :class:`~conformance.sections.Section`
per table; each suite's table is declared beside the library code it configures), and any problem is
one line naming the file and the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator

from conformance.errors import ConfigError
from conformance.gs1.settings import OVERRIDE_POLICIES as OVERRIDE_POLICIES
from conformance.gs1.settings import SCANNED_PACK_FORMS as SCANNED_PACK_FORMS
from conformance.gs1.settings import BedsideSettings as BedsideSettings
from conformance.hl7v2.settings import Hl7v2Settings as Hl7v2Settings
from conformance.openapi.settings import ApiSettings, OAuthSettings, missing_secrets
from conformance.realtime.settings import RealtimeSettings
from conformance.sections import Flag, KeyProblem, Section, Text, accepted_by, one_line, positive, strings, text
from conformance.transports.settings import AUTH_TYPES as AUTH_TYPES
from conformance.transports.settings import Auth as Auth
from conformance.transports.settings import HttpSettings as HttpSettings
from conformance.transports.settings import mllp_address as mllp_address

ORG_KINDS = ("commissioner", "provider", "local-authority", "supplier")


MIN_SECRET = 4  # the Scrubber's shortest secret: see transports/http.py


class TargetError(ConfigError):
    """A target that cannot be used: one line naming the file and the key (exit 2)."""


class Organisation(Section):
    ods_code: Text = ""
    name: Text = ""
    kind: Text = ""

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value and value not in ORG_KINDS:
            raise ValueError(f"{value!r} is not one of {', '.join(ORG_KINDS)}")
        return value


class SystemInfo(Section):
    vendor: Text = ""
    product: Text = ""
    version: Text = ""


class Endpoints(Section):
    """``[endpoints]``: where the system listens (URLs, or local paths for the OpenAPI document)."""

    fhir: Text = ""
    mllp: Text = ""
    openapi: Text = ""
    api: Text = ""
    notifications: Text = ""

    @field_validator("fhir", "openapi", "api", "notifications")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not value.startswith(("/", ".")):
            problem = url_problem(value)
            if problem:
                raise ValueError(problem)
        return value

    _address = field_validator("mllp")(accepted_by(mllp_address, optional=True))

    def named(self) -> dict[str, str]:
        """The endpoints given, by key (a FHIR base without its trailing slash)."""
        out = {k: v for k, v in self.model_dump().items() if v}
        if "fhir" in out:
            out["fhir"] = out["fhir"].rstrip("/")
        return out


class Claims(Section):
    profiles: Annotated[list[str], strings("must be a list of profile canonical URLs")] = Field(default_factory=list)
    packages: Annotated[list[str], strings("must be a list of paths to FHIR packages (.tgz or folders)")] = Field(
        default_factory=list)


class RunSection(Section):
    deadline: Annotated[float | None, positive("must be a number of seconds greater than 0")] = None


class TargetFile(Section):
    """A target file as written: every table it may hold, each checked by its own model."""

    name: Annotated[str | None, text(strip=False)] = None
    footprint: Annotated[str, text(strip=False)] = ""
    sandbox: Flag = False
    organisation: Organisation = Field(default_factory=Organisation)
    system: SystemInfo = Field(default_factory=SystemInfo)
    endpoints: Endpoints = Field(default_factory=Endpoints)
    auth: Auth = Field(default_factory=Auth)
    claims: Claims = Field(default_factory=Claims)
    http: HttpSettings = Field(default_factory=HttpSettings)
    hl7v2: Hl7v2Settings = Field(default_factory=Hl7v2Settings)
    realtime: RealtimeSettings = Field(default_factory=RealtimeSettings)  # the realtime suite
    api: ApiSettings = Field(default_factory=ApiSettings)  # the openapi suite
    oauth: OAuthSettings = Field(default_factory=OAuthSettings)  # the security suite
    bedside: BedsideSettings = Field(default_factory=BedsideSettings)  # the gs1-bedside suite
    run: RunSection = Field(default_factory=RunSection)

    @model_validator(mode="after")
    def _names_an_endpoint(self) -> TargetFile:
        # A system that only sends HL7 v2 has no endpoint of its own: [hl7v2] sends or trigger is enough.
        if not self.endpoints.named() and not (self.hl7v2.sends or self.hl7v2.trigger):
            raise KeyProblem("endpoints", "names no endpoint (set endpoints.fhir or endpoints.mllp, or hl7v2.sends "
                             "for a system that only sends HL7 v2)")
        return self


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
            "organisation": self.organisation.model_dump(),
            "footprint": self.footprint,
            "system": self.system.model_dump(),
            "endpoints": dict(self.endpoints),
            "auth": {"type": self.auth.type},
            "sandbox": self.sandbox,
            "profiles": list(self.profiles),
            "packages": list(self.packages),
        }


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
    _refuse_userinfo(data, source)
    try:
        doc = TargetFile.model_validate(data, context={"file": source})
    except ValidationError as exc:
        raise TargetError(one_line(exc, source, TargetFile)) from None
    endpoints = doc.endpoints.named()
    base_dir = Path(source).parent if source and not source.startswith(("http://", "https://")) else Path()
    packages = [p if _cache_spec(p) else str(base_dir / p) if not Path(p).is_absolute() else p
                for p in doc.claims.packages]
    missing = [p for p in packages if not _package_found(p)]
    if missing:
        raise TargetError(f"{source}: claims.packages: no such file or folder, nor id#version in the FHIR package "
                          f"cache: {missing[0]}")
    slip = _claimed_typo(doc.claims.profiles, packages)
    if slip:
        raise TargetError(f"{source}: claims.profiles: {slip[0]!r} is defined nowhere the harness looks, and is one "
                          f"slip away from {slip[1]!r}: correct the URL (a typo is not a claim)")
    return Target(
        name=doc.name if doc.name is not None else doc.organisation.name or endpoints.get("fhir", source),
        source=source,
        organisation=doc.organisation,
        footprint=doc.footprint,
        system=doc.system,
        endpoints=endpoints,
        auth=doc.auth,
        sandbox=doc.sandbox,
        profiles=doc.claims.profiles,
        packages=packages,
        http=doc.http,
        hl7v2=doc.hl7v2,
        realtime=doc.realtime,
        api=doc.api,
        oauth=doc.oauth,
        bedside=doc.bedside,
        deadline=doc.run.deadline,
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
    auth = target.auth
    named = {"bearer": [("token_env", auth.token_env)],
             "basic": [("username_env", auth.username_env), ("password_env", auth.password_env)]}
    for key, var in named.get(auth.type, []):
        value = auth.value(var)
        if not value:
            raise TargetError(f"{target.source}: auth.{key}: environment variable {var} {env_state(var)}")
        if len(value) < MIN_SECRET:
            # Shorter values cannot be scrubbed from evidence without erasing innocent text with them.
            raise TargetError(f"{target.source}: auth.{key}: the value of {var} is shorter than {MIN_SECRET} "
                              "characters, too short to be kept out of the evidence; use a longer credential")
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


def url_problem(url: str) -> str | None:
    """What is wrong with an endpoint URL, in a sentence that never quotes a password; None if nothing."""
    parts = urlsplit(url)
    if not parts.scheme and not url.startswith("//"):
        return f"{url!r} has no scheme: write https://{url} (or http://)"
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"{url!r} is not an http(s) URL"
    if "@" in parts.netloc:
        # A password in a URL would be stored with every exchange, report and pack; refuse it, and never
        # echo the URL (it holds the secret) in the message.
        shown = f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[1]}{parts.path}"
        return (f"{shown} carries a user name or password in the URL; remove it and give credentials through "
                "[auth] with an environment variable (username_env/password_env)")
    return None


def _check_url(url: str, what: str) -> None:
    problem = url_problem(url)
    if problem:
        raise TargetError(f"{what}: {problem}")


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
    from conformance.fhirval.default_packages import with_defaults
    from conformance.fhirval.loaders import DefinitionLoadError

    try:  # the suite's definitions: a profile of the default packages is known, no typo
        source = with_defaults([OWN_PROFILES, *packages])
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
