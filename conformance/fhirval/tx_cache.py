"""HL7's recorded terminology answers (a ``txCache`` folder) replayed behind the terminology-service seam.

HL7's validator test runner (ValidationTests with TestUtilities.getWorkerContext(..., TestConstants.TX_CACHE))
validates every case against a terminology server whose answers are recorded in the core repository
(``org.hl7.fhir.validation/src/test/resources/txCache/org.hl7.fhir.validation/4.0.1``). Each ``*.cache`` file
is a list of entries, each opened by a line of 85 dashes: the request (JSON, as
``TerminologyCache.generateValidationToken`` writes it), ``####``, then ``v: {...}`` (a ValidationResult) or
``e: {...}`` (the server failed; no answer here). TerminologyCache.loadNamedCache reads them so; HL7 keys an
entry by a hash of the request's text. Here an entry is keyed by what the request means instead: the codings
(system, code, version, display), Coding or CodeableConcept, the value set (``url`` + ``version``, or its
``compose`` compared as canonical JSON) and the options that change the answer (membershipOnly, activeOnly and
the expansion parameters such as ``system-version``, strictly; the language and displayWarningMode as said in
:meth:`TxCache.validate`). One request may be recorded twice, answered by two servers (a case that names its own
server): the answer of the server the folder's ``servers.ini`` names, the runner's own, is taken first. A request
the cache does not hold has no answer (None): the code stays unjudged, never an error. The cache holds a
server's answers, not a validator's outcomes; nothing here knows which test case an entry serves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from conformance.fhirval.tx_service import (
    TxAnswer,
    TxCoding,
    TxRequest,
    TxValueSet,
    answer_from,
    canonical_json,
    text_value,
)

ENTRY_MARKER = "-" * 85  # TerminologyCache.ENTRY_MARKER
BREAK = "####"  # TerminologyCache.BREAK

Key = tuple[bool, tuple[TxCoding, ...], tuple[str | None, ...] | None, bool, bool, tuple[tuple[str, str], ...]]
# expansion parameters every request carries (the profile's id, the display language, matched as ``langs``)
_ROUTINE = frozenset({"profile-url", "defaultDisplayLanguage", "displayLanguage"})


@dataclass(frozen=True)
class _Entry:
    language: str
    display_warning: bool
    version_flexible: bool
    server: str | None
    answer: TxAnswer


def value_set_key(vs: TxValueSet | None) -> tuple[str | None, ...] | None:
    """How a request's value set is compared: by url and version, else by its compose."""
    if vs is None:
        return None
    if vs.url is not None:
        return ("url", vs.url, vs.version)
    return ("compose", vs.compose)


def request_of(request: dict[str, Any]) -> TxRequest | None:
    """The TxRequest a recorded request JSON means; None for what is not a ``$validate-code`` (an expansion)."""
    code = request.get("code")
    if not isinstance(code, dict):
        return None
    concept = "coding" in code
    codings = code.get("coding") if concept else [code]
    vs: TxValueSet | None = None
    if isinstance(request.get("url"), str):
        vs = TxValueSet(url=request["url"], version=text_value(request.get("version")))
    elif isinstance(request.get("valueSet"), dict):
        vs = TxValueSet(compose=compose_key(request["valueSet"]))
    elif isinstance(request.get("valueSet"), str):  # TerminologyCache.extracted: a large value set by its url
        vs = TxValueSet(url=request["valueSet"])
    return TxRequest(tuple(TxCoding.of(c) for c in (codings if isinstance(codings, list) else ())), concept, vs,
                     str(request.get("langs", "")), request.get("displayWarningMode") == "true",
                     request.get("membershipOnly") == "true", request.get("activeOnly") == "true",
                     expansion_parameters(request.get("profile")))


def expansion_parameters(profile: Any) -> tuple[tuple[str, str], ...]:
    """The expansion parameters that change an answer (``system-version``...), sorted, as (name, value) text."""
    found = profile.get("parameter") if isinstance(profile, dict) else None
    return tuple(sorted((str(p.get("name")), canonical_json({k: v for k, v in p.items() if k != "name"}))
                        for p in (found if isinstance(found, list) else ())
                        if isinstance(p, dict) and isinstance(p.get("name"), str) and p["name"] not in _ROUTINE))


def compose_key(value_set: dict[str, Any]) -> str:
    """A value set's definition as HL7 sends it (TerminologyCache.getVSEssense: compose and expansion contains),
    as canonical JSON."""
    expansion = value_set.get("expansion")
    contains = expansion.get("contains") if isinstance(expansion, dict) else None
    return canonical_json({"compose": value_set.get("compose"), "contains": contains or None})


def _text_of(path: Path) -> str:
    """A cache file's text: unreadable bytes replaced (such an entry then fails to parse and is passed over), an
    unreadable file read as empty."""
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return ""


def _key(request: TxRequest) -> Key:
    return (request.concept, request.codings, value_set_key(request.value_set), request.membership_only,
            request.active_only, request.parameters)


class TxCache:
    """HL7's txCache folder, read once; answers looked up by meaning (see the module docstring)."""

    def __init__(self) -> None:
        self._entries: dict[Key, list[_Entry]] = {}
        self.size = 0
        self.servers: frozenset[str] = frozenset()  # servers.ini: the server(s) the recording runner was set up with

    @classmethod
    def load(cls, folder: str | Path) -> TxCache:
        """Every ``*.cache`` file of the folder (the terminology-capabilities ones excepted, as HL7's load())."""
        cache = cls()
        ini = Path(folder) / "servers.ini"
        if ini.is_file():
            cache.servers = frozenset(line.partition("=")[2].strip() for line in _text_of(ini).splitlines()
                                      if "=" in line and not line.lstrip().startswith(("[", ";")))
        for path in sorted(Path(folder).glob("*.cache")):
            if not path.name.startswith(".") and path.name != "validation.cache" and path.is_file():
                cache.read(_text_of(path))
        return cache

    def read(self, text: str) -> None:
        """The entries of one cache file; a malformed one is passed over, as TerminologyCache.loadCacheEntry."""
        for segment in text.replace("\r\n", "\n").split(ENTRY_MARKER + "\n")[1:]:
            request_text, sep, result = segment.partition(BREAK)
            result = result.strip()
            if not sep or not result.startswith("v:"):
                continue  # no break, or ``e:`` (the server failed): no answer
            try:  # anything a damaged entry holds passes it over (TerminologyCache: "Error loading entry")
                request_json = json.loads(request_text)
                result_json = json.loads(result[2:])
                request = request_of(request_json) if isinstance(request_json, dict) else None
                if request is None or not isinstance(result_json, dict):
                    continue
                server = result_json.get("server")
                entry = _Entry(request.language, request.display_warning,
                               request_json.get("versionFlexible") == "true",
                               server if isinstance(server, str) else None, answer_from(result_json))
                key = _key(request)
            except (ValueError, TypeError, KeyError, RecursionError):
                continue
            self._entries.setdefault(key, []).append(entry)
            self.size += 1

    def validate(self, request: TxRequest) -> TxAnswer | None:
        """The recorded answer to this request. The language must be the request's, except when no coding has a
        display (the language then changes nothing the validator reads); a recording made in the other
        displayWarningMode is used with its display issues' severity turned (the only thing that mode changes:
        ValidationOptions.displayWarningMode, InstanceValidator.getTxIssueWithCalculatedSeverity)."""
        found = self._entries.get(_key(request))
        if not found:
            return None
        displays = any(c.display is not None for c in request.codings)
        usable = [e for e in found if e.language == request.language or not displays]
        if not usable:
            return None
        # the exact mode first, then the runner's own server (servers.ini; a case may name another server, whose
        # answers to the same request are recorded beside), then a strict version match (versionFlexible false),
        # the last recorded winning (TerminologyCache.loadCacheEntry: a later duplicate replaces an earlier one)
        usable.sort(key=lambda e: (e.display_warning == request.display_warning,
                                   not self.servers or e.server in self.servers, not e.version_flexible))
        best = usable[-1]
        if best.display_warning == request.display_warning:
            return best.answer
        return turned(best.answer, request.display_warning)


def turned(answer: TxAnswer, display_warning: bool) -> TxAnswer:
    """An answer recorded in one displayWarningMode as the other gives it: a wrong display an error, or a warning."""
    issues = tuple(replace(i, severity=("warning" if display_warning else "error"))
                   if i.kind == "invalid-display" and i.severity in ("error", "warning") else i
                   for i in answer.issues)
    others = [i for i in issues if i.kind != "invalid-display"]
    if answer.severity in ("error", "warning") and any(i.kind == "invalid-display" for i in issues):
        if display_warning and not any(i.severity in ("error", "fatal") for i in others):
            return replace(answer, severity="warning", issues=issues)
        if not display_warning:
            return replace(answer, severity="error", issues=issues)
    return replace(answer, issues=issues)
