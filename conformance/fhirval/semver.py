"""HL7's version matching: VersionUtilities and SemverParser (org.hl7.fhir.utilities), and how the validator's
context finds a CodeSystem at a version (CanonicalResourceManager.getByPackage, org.hl7.fhir.r5.context).

Only what the terminology rules ask: which held version a ``system|version`` resolves to, and
ValueSetValidator.versionIsMoreDetailed. ``1.0`` resolves a CodeSystem held at ``1.0.2`` (it is indexed by its
major.minor too), ``1`` does not (not semver, and only exact versions are indexed), and ``1.0.2`` is not "more
detailed" than ``1.0`` (versionMatches wants the patch absent on both sides unless the criteria has a wildcard).
"""

from __future__ import annotations

from collections.abc import Iterable

_WILDCARD = frozenset("xX*")
_LETTER = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-")
_DIGIT = frozenset("0123456789")
Parts = tuple[str | None, str | None, str | None, str | None, str | None]  # major, minor, patch, release, build


class _Bad(Exception):
    pass


class _Parser:
    """SemverParser(input, allowWildcards, requirePatch=false).parse(): the parts, or _Bad."""

    def __init__(self, text: str, wildcards: bool) -> None:
        self.s, self.pos, self.wild = text, 0, wildcards

    def peek(self) -> str | None:
        return self.s[self.pos] if self.pos < len(self.s) else None

    def numeric(self) -> str:  # parseNumericIdentifier: 0, or a positive digit and digits
        start = self.pos
        if self.peek() == "0":
            self.pos += 1
            return "0"
        if self.peek() not in _DIGIT:
            raise _Bad
        while self.peek() is not None and self.peek() in _DIGIT:
            self.pos += 1
        return self.s[start:self.pos]

    def wildcard(self) -> str:  # parseWildcard: a run of x, X, *
        start = self.pos
        while self.peek() is not None and self.peek() in _WILDCARD:
            self.pos += 1
        return self.s[start:self.pos]

    def part(self) -> str:
        return self.wildcard() if self.wild and self.peek() is not None and self.peek() in _WILDCARD else self.numeric()

    def ident(self, release: bool) -> str:
        """parseAlphanumericIdentifier, or a digits-only one: parseNumericIdentifier in a release label (no leading
        zero), parseDigits in a build label."""
        start = self.pos
        while self.peek() is not None and (self.peek() in _DIGIT or self.peek() in _LETTER):
            self.pos += 1
        found = self.s[start:self.pos]
        if not found or (release and found.isdigit() and found != "0" and found.startswith("0")):
            raise _Bad
        return found

    def label(self, release: bool) -> str:  # parseDotSeparatedPreReleaseIdentifiers / ...BuildIdentifiers
        found = [self.part() if self.wild and self.peek() in _WILDCARD else self.ident(release)]
        while self.peek() == ".":
            self.pos += 1
            found.append(self.ident(release))
        return ".".join(found)

    def parse(self) -> Parts:
        major = self.numeric()
        if self.peek() != ".":
            raise _Bad  # "Expected '.' after major version"
        self.pos += 1
        wild_minor = self.wild and self.peek() is not None and self.peek() in _WILDCARD
        minor = self.part()
        patch = release = build = None
        if wild_minor:
            if self.peek() == ".":
                self.pos += 1
                if self.peek() is None or self.peek() not in _WILDCARD:
                    raise _Bad  # "After wildcard in version, only wildcards are allowed"
                patch = self.wildcard()
        elif self.peek() == ".":
            self.pos += 1
            patch = self.part()
        if self.peek() == "-":
            self.pos += 1
            release = self.label(True)
        if self.peek() == "+":
            self.pos += 1
            build = self.label(False)
        if self.pos != len(self.s):
            raise _Bad  # "Unexpected characters at position"
        return major, minor, patch, release, build


def parse(version: str, wildcards: bool) -> Parts | None:
    """SemverParser.parseSemver(version, wildcards, false): None when it does not parse."""
    try:
        return _Parser(version, wildcards).parse()
    except _Bad:
        return None


def _integer(part: str | None) -> bool:
    """Utilities.isInteger on a part of digits: more than 10 digits is false before any number is made (a hostile
    version of 5,000 digits would pass Python's int() limit), 10 compared as text with 2147483647."""
    return part is not None and part.isdigit() and part.isascii() and (
        len(part) < 10 or (len(part) == 10 and part <= "2147483647"))


def is_semver(version: str | None, patch_optional: bool = True) -> bool:
    """VersionUtilities.isSemVer."""
    found = parse(version, False) if version else None
    return found is not None and _integer(found[0]) and _integer(found[1]) \
        and ((patch_optional and found[2] is None) or _integer(found[2]))


def _integer_or_x(part: str | None) -> bool:
    return part in ("x", "*", "X") or _integer(part)


def is_semver_with_wildcards(version: str | None) -> bool:
    """VersionUtilities.isSemVerWithWildcards."""
    found = parse(version, True) if version else None
    return found is not None and _integer(found[0]) and _integer_or_x(found[1]) \
        and (found[2] is None or _integer_or_x(found[2]))


def _part_matches(criteria: str | None, candidate: str | None, allow_x: bool) -> bool:
    if criteria is None:
        return candidate is None
    if criteria == "*" or (allow_x and criteria in ("x", "X")):
        return candidate is not None
    return criteria == candidate


def version_matches(criteria: str, candidate: str) -> bool:
    """VersionUtilities.versionMatches (its callers here have checked both parse, where it would throw): part by
    part, a part absent from the criteria absent from the candidate, ``*`` / ``x`` any part, a trailing ``?``
    anything after the parts given."""
    criteria, candidate = fix_special(criteria), fix_special(candidate)
    ends_q = criteria.endswith("?")
    crit = parse(criteria[:-1] if ends_q else criteria, True)
    cand = parse(candidate, False)
    if crit is None or cand is None:
        return False
    for i, allow_x in enumerate((True, True, True, False, False)):
        if ends_q and ((i in (1, 2) and crit[i] is None) or (i == 3 and crit[3] is None and crit[4] is None)):
            return True
        if not _part_matches(crit[i], cand[i], allow_x):
            return False
    return True


_SPECIAL = {"R2": "1.0.2", "DSTU2": "1.0.2", "R2B": "1.4.0", "R3": "3.0.2", "STU3": "3.0.2", "R4": "4.0.1",
            "R4B": "4.3.0", "R5": "5.0.0", "R6": "6.0.0-cibuild"}


def fix_special(version: str) -> str:
    """VersionUtilities.fixForSpecialValue: a FHIR release's name (r4, R4B...) or spec URL read as its version."""
    if version.startswith("http://hl7.org/fhir/"):
        version = version[20:].split("/", 1)[0]
    return _SPECIAL.get(version.upper(), version)


def _remove_labels(version: str) -> str:
    return version.split("+", 1)[0].split("-", 1)[0]


def maj_min(version: str | None) -> str | None:
    """VersionUtilities.getMajMin."""
    if not version:
        return None
    bare = _remove_labels(fix_special(version))
    if not is_semver_with_wildcards(bare):
        return None
    major, minor = bare.split(".")[:2]
    return f"{major}.{minor}"


def maj_min_patch(version: str | None) -> str | None:
    """VersionUtilities.getMajMinPatch: major.minor.patch, the patch 0 when absent."""
    if not version:
        return None
    bare = _remove_labels(fix_special(version))
    if not is_semver(bare, True):
        return None
    parts = bare.split(".")
    return f"{parts[0]}.{parts[1]}.{parts[2] if len(parts) >= 3 else '0'}"


def resolve(held: Iterable[str], version: str) -> str | None:
    """The held version a ``system|version`` finds, as BaseWorkerContext.fetchResource ->
    CanonicalResourceManager.getByPackage: the resource is indexed by its version, its getMajMinPatch and its
    getMajMin (the highest version holding each key); the version asked is looked up as given, then by its
    getMajMin, then matched (versionMatches) against every semver copy when it is semver with wildcards."""
    ordered = sorted(set(held), key=_order)
    index: dict[str, str] = {}
    for v in ordered:  # ascending: a later (higher) version takes a shared key, as addToMap overwrites
        index[v] = v
        for key in (maj_min_patch(v), maj_min(v)):
            if key is not None:
                index[key] = v
    if version in index:
        return index[version]
    mm = maj_min(version)
    if mm is not None and mm in index:
        return index[mm]
    if is_semver_with_wildcards(version):
        matches = [v for v in ordered if is_semver(v, True) and version_matches(version, v)]
        return matches[-1] if matches else None
    return None


def _order(version: str) -> tuple[int, tuple[int, ...], str]:
    """MetadataResourceVersionComparator, near enough: semver versions by their numbers, others by their text."""
    found = parse(version, False)
    if found is not None and all(_integer(p) for p in found[:3] if p is not None):
        return 1, tuple(int(p) for p in found[:3] if p is not None), version
    return 0, (), version


def more_detailed(criteria: str | None, candidate: str | None) -> bool:
    """ValueSetValidator.versionIsMoreDetailed with VersionAlgorithm Unknown (an R4 CodeSystem has no
    versionAlgorithm), so guessFormat(candidate): a semver-with-wildcards candidate is matched by versionMatches
    (the criteria semver with wildcards, the candidate semver), anything else by ``candidate.startsWith(criteria)``."""
    if candidate is None or criteria is None:
        return False
    if is_semver_with_wildcards(candidate):
        return is_semver_with_wildcards(criteria) and is_semver(candidate, True) \
            and version_matches(criteria, candidate)
    return candidate.startswith(criteria)
