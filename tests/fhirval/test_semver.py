"""HL7's version matching (conformance/fhirval/semver.py) against HL7's own unit test of it,
org.hl7.fhir.utilities/src/test/java/org/hl7/fhir/utilities/VersionUtilitiesTest.java (test_versionMatches,
test_isSemVer, test_getMajMin, test_getMajMinPatch: every case), and the context's lookup of a CodeSystem at a
version (CanonicalResourceManager.getByPackage)."""

from __future__ import annotations

import pytest

from conformance.fhirval import semver

VERSION_MATCHES = [
    ('2.0', '2.0', True), ('2.0.0', '2.0.0', True), ('1.5.3', '1.5.3', True), ('r4', 'r4', True), ('R5', 'r5', True),
    ('2.0', '2.0.0', False), ('2.0', '2.0.1', False), ('2.0.0', '2.0.1', False), ('2.0.0', '2.0.0-something', False),
    ('2.0.0', '2.0.0+something', False), ('2.*', '2.0', True), ('2.*', '2.1', True), ('2.*', '2.99', True),
    ('2.*', '2.0.0', False), ('2.*', '2.1-something', False), ('2.*', '3.0', False), ('2.0.*', '2.0.0', True),
    ('2.0.*', '2.0.1', True), ('2.0.*', '2.0.99', True), ('2.0.*', '2.0.0-something', False),
    ('2.0.*', '2.0.0+something', False), ('2.0.*', '2.1.0', False), ('2.0.0-*', '2.0.0-prerelease', True),
    ('2.0.0-*', '2.0.0-alpha', True), ('2.0.0-*', '2.0.0-beta.1', True), ('2.0.0-*', '2.0.0+build', False),
    ('2.0.0-*', '2.0.0', False), ('2.0.0+*', '2.0.0+build', True), ('2.0.0+*', '2.0.0+anything', True),
    ('2.0.0+*', '2.0.0+build.123', True), ('2.0.0+*', '2.0.0', False), ('2.0.0+*', '2.0.0-prerelease', False),
    ('2.x', '2.0', True), ('2.x', '2.1', True), ('2.x', '2.0.0', False), ('2.X', '2.0', True), ('2.X', '2.1', True),
    ('2.X', '2.0.0', False), ('2.0.x', '2.0.0', True), ('2.0.X', '2.0.1', True), ('2.0.0-x', '2.0.0-x', True),
    ('2.0.0-x', '2.0.0-y', False), ('2.0.0+X', '2.0.0+X', True), ('2.0.0+X', '2.0.0+Y', False),
    ('2.x.x-x', '2.0.1-prerelease', False), ('2.x.x-x', '2.5.10-prerelease', False), ('2.x.x-x', '2.0.0', False),
    ('2.x.x-x', '2.0.1', False), ('2.x.x-x', '3.0.1-prerelease', False), ('2.x.x-*', '2.0.1-prerelease', True),
    ('2.x.x-*', '2.5.10-prerelease', True), ('2.x.x-*', '2.0.0', False), ('2.x.x-*', '2.0.1', False),
    ('2.x.x-*', '3.0.1-prerelease', False), ('2.5.*', '2.5.0', True), ('2.5.*', '2.5.99', True),
    ('2.5.*', '2.4.0', False), ('2.5.*', '2.6.0', False), ('2.0.x-*', '2.0.1', False), ('2.0?', '2.0', True),
    ('2.0?', '2.0.1', True), ('2.0?', '2.0.0-build', True), ('2.0?', '2.0.1+build', True), ('2.0?', '2.1', False),
    ('2.0.1?', '2.0.1', True), ('2.0.1?', '2.0.1-release', True), ('2.0.1?', '2.0.1+build', True),
    ('2.0.1?', '2.0.2', False), ('2.x?', '2.0', True), ('2.x?', '2.1', True), ('2.x?', '2.0.0-anything', True),
    ('r4', '4.0.1', True), ('4.0.x', 'r4', True), ('r5', '5.0.0', True), ('R4B', '4.3.0', True), ('R4', 'r4', True),
    ('r4b', 'R4B', True), ('r4', 'r5', False), ('r4', '4.1.0', False), ('4.0.*', '4.0.0', True),
    ('4.0.*', '4.0.1', True), ('4.0.*', '4.0.999', True), ('4.0.*', '4.1.0', False),
    ('5.0.0-*', '5.0.0-snapshot', True), ('5.0.0-*', '5.0.0-cibuild', True), ('5.0.0-*', '5.0.0-ballot', True),
    ('5.0.0-*', '5.0.0', False), ('1.0.0+*', '1.0.0+20230101', True), ('1.0.0+*', '1.0.0+build.123', True),
    ('1.0.0+*', '1.0.0+git.abcdef', True), ('1.0.0+*', '1.0.0', False), ('6.0?', '6.0.0-cibuild', True),
    ('6.0?', '6.0.0-snapshot', True), ('6.0?', '6.0.1', True), ('6.0?', '6.1.0', False), ('r4', '4.0', False),
    ('4.*', 'r4', False), ('1.0?', '1.0', True), ('1.0?', '1.0.0', True), ('1.0?', '1.0.0-build', True),
    ('1.0?', '1.0-alpha', True), ('1.0?', '1.0+build', True), ('9.*', '9.99999', True), ('0.*', '0.0', True),
    ('999.*', '999.0', True),
]
IS_SEMVER = [
    ('0.1.1', False, True), ('0.1.1-ballot1', False, True), ('0.0.0-alpha.0.131', False, True),
    ('0.1.a', False, False), ('0.1', False, False), ('0.1', True, True), ('0.1-ballot', False, False),
    ('0.1-ballot', True, True), ('1.0.0', False, True), ('2.1.3', False, True), ('10.20.30', False, True),
    ('0.0.1', False, True), ('1.0.0-alpha', False, True), ('2.1.0-beta.1', False, True), ('3.2.5-rc.2', False, True),
    ('1.0.0-alpha.beta', False, True), ('1.0.0-alpha.1', False, True), ('1.0', True, True), ('2.5', True, True),
    ('10.15', True, True), ('1.0', False, False), ('2.5', False, False), ('10.15', False, False), ('1', True, False),
    ('5', True, False), ('10', True, False), ('1', False, False), ('5', False, False), ('10', False, False),
    ('r2', False, False), ('r3', False, False), ('r4', False, False), ('r4B', False, False), ('r5', False, False),
    ('r6', False, False), ('R2', False, False), ('R3', False, False), ('R4', False, False), ('R4B', False, False),
    ('R5', False, False), ('R6', False, False), ('', False, False), ('1.0.0.0', False, False),
    ('1.0.', False, False), ('1..0', False, False), ('a.b.c', False, False), ('1.0.0-', False, False),
    ('r7', False, False), ('r', False, False), ('1.0', False, False), ('0.0', False, False), ('0.1', False, False),
    ('1.0', True, True), ('0.0', True, True), ('0.1', True, True), ('1', False, False), ('0', False, False),
    ('2.80', False, False), ('1.0-label', False, False), ('0.0-label', False, False), ('0.1-label', False, False),
    ('2.80', True, True), ('1.0-label', True, True), ('0.0-label', True, True), ('0.1-label', True, True),
    ('1-label', False, False), ('0-label', False, False), ('2.80-label', True, True), ('2.80-label', False, False),
    ('1.0.0-alpha+build', False, True), ('1.0.0-alpha-beta+build-123', False, True),
    ('1.0.0-alpha.1+build.2', False, True), ('1.0.0-0.1.2+build.3.4', False, True),
    ('1.0.0+build-only', False, True), ('1.0.0-prerelease-only', False, True),
    ('1.0.0-alpha.beta.gamma', False, True), ('1.0.0-1.2.3', False, True), ('1.0.0-x.7.z.92', False, True),
    ('1.2-label', True, True), ('1.0.0-', True, False), ('1.0.0+', True, False), ('1.0.0-+build', True, False),
    ('1.0.0-alpha+', True, False), ('1.0.0+build-alpha', True, True), ('1.0.0--alpha', True, True),
    ('1.0.0-+alpha', True, False), ('1.0.0+-build', True, True), ('1.0.0++build', True, False),
    ('01.0.0', True, False), ('1.01.0', True, False), ('1.0.01', True, False), ('001.002.003', True, False),
    ('0.0.0', True, True), ('1.0.0', True, True), ('1.0.0-01', True, False), ('1.0.0+01', True, True),
    ('1.0.0-1', True, True), ('1.0.0+1', True, True),
]
MAJ_MIN = [
    ('1.0.0', '1.0'), ('2.1.3', '2.1'), ('10.5.2', '10.5'), ('0.9.1', '0.9'), ('1.0.0-alpha', '1.0'),
    ('2.1.0-beta.1', '2.1'), ('3.2.5-rc.2', '3.2'), ('1.0', '1.0'), ('2.5', '2.5'), ('1', None), ('5', None),
    ('r2', '1.0'), ('r3', '3.0'), ('r4', '4.0'), ('r4B', '4.3'), ('r5', '5.0'), ('r6', '6.0'), ('R2', '1.0'),
    ('R3', '3.0'), ('R4', '4.0'), ('R4B', '4.3'), ('R5', '5.0'), ('R6', '6.0'), ('0.0.0', '0.0'), ('0.1.0', '0.1'),
    ('100.200.300', '100.200'),
]
MAJ_MIN_PATCH = [
    ('1.0.0', '1.0.0'), ('2.1.3', '2.1.3'), ('10.5.2', '10.5.2'), ('1.0.0-alpha', '1.0.0'),
    ('2.1.0-beta.1', '2.1.0'), ('3.2.5-rc.2', '3.2.5'), ('1.0', '1.0.0'), ('2.5', '2.5.0'), ('1', None), ('5', None),
    ('r2', '1.0.2'), ('r3', '3.0.2'), ('r4', '4.0.1'), ('r4B', '4.3.0'), ('r5', '5.0.0'), ('r6', '6.0.0'),
]


@pytest.mark.parametrize(("criteria", "candidate", "expected"), VERSION_MATCHES)
def test_version_matches_as_hl7s_unit_test(criteria: str, candidate: str, expected: bool) -> None:
    assert semver.version_matches(criteria, candidate) is expected


@pytest.mark.parametrize(("version", "patch_optional", "expected"), IS_SEMVER)
def test_is_semver_as_hl7s_unit_test(version: str, patch_optional: bool, expected: bool) -> None:
    assert semver.is_semver(version, patch_optional) is expected


@pytest.mark.parametrize(("version", "expected"), MAJ_MIN)
def test_maj_min_as_hl7s_unit_test(version: str, expected: str | None) -> None:
    assert semver.maj_min(version) == expected


@pytest.mark.parametrize(("version", "expected"), MAJ_MIN_PATCH)
def test_maj_min_patch_as_hl7s_unit_test(version: str, expected: str | None) -> None:
    assert semver.maj_min_patch(version) == expected


@pytest.mark.parametrize(("held", "version", "found"), [
    (["1.0.2"], "1.0.2", "1.0.2"),
    (["1.0.2"], "1.0", "1.0.2"),  # indexed by its getMajMin
    (["1.0.2"], "1", None),  # not semver: only an exact version
    (["1.0.5"], "1.0.0", "1.0.5"),  # asked by its getMajMin
    (["1.0.2", "1.0.5"], "1.0", "1.0.5"),  # the highest holds the shared key
    (["1.0.2"], "1.0.x", "1.0.2"),  # a wildcard, by versionMatches
    (["1.0.2"], "1.x", None),  # 1.x matches 1.0 and 1.1, not 1.0.2
    (["2025"], "2025", "2025"),
    (["2025"], "2025.1", None),
    (["1.0.2-beta"], "1.0.2", "1.0.2-beta"),  # indexed by its getMajMinPatch
])
def test_a_held_version_found_as_the_context_finds_it(held: list[str], version: str, found: str | None) -> None:
    assert semver.resolve(held, version) == found


@pytest.mark.parametrize(("criteria", "candidate", "expected"), [
    ("1.0", "1.0.2", False),  # semver: versionMatches, a patch absent from the criteria absent from the candidate
    ("1.0.x", "1.0.2", True),
    ("1.x", "1.2", True),
    ("1", "1.0.2", False),  # a semver candidate, the criteria not semver
    ("2025", "2025.1", False),
    ("2025", "2025-07", True),  # not semver: startsWith
    ("20", "2025", True),
    (None, "1.0", False),
])
def test_more_detailed_as_version_is_more_detailed(criteria: str | None, candidate: str, expected: bool) -> None:
    assert semver.more_detailed(criteria, candidate) is expected


@pytest.mark.parametrize("version", ["1" * 5000 + ".0", "1." + "2" * 5000, "1.0." + "3" * 5000, "9" * 5000])
def test_a_version_of_thousands_of_digits_is_no_integer_and_no_crash(version: str) -> None:
    """Utilities.isInteger says false for more than 10 digits before any number is made; Python's int() refuses a
    text of more than 4,300 digits (ValueError), which a hostile coding version reached (review15)."""
    assert not semver.is_semver(version)
    assert semver.maj_min(version) is None and semver.maj_min_patch(version) is None
    assert semver.resolve([version, "1.0.2"], "1.0") == "1.0.2"
    assert semver.resolve(["1.0.2"], version) is None
    # not semver (its part is no integer): guessFormat says Alpha, so versionIsMoreDetailed is startsWith
    assert semver.more_detailed("1.0", version) is version.startswith("1.0")


def test_ten_digits_are_compared_with_the_largest_int() -> None:
    assert semver.is_semver("2147483647.0") and not semver.is_semver("2147483648.0")
