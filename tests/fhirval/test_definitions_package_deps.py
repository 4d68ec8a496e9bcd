"""Packages given together: dependencies resolved from the packages given (several versions of one side by
side), from packages offered only for dependencies, and from a folder of downloaded archives; never the
network. Also macOS's ``._`` AppleDouble members, which HL7's own test packages carry."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from conformance.cli import main
from conformance.fhirval.layered import load_definitions
from conformance.fhirval.packages import PackageCache, load_packages
from tests.fhirval.test_definitions_packages import make_folder_package, make_tgz, value_set

VS = "http://x/VS/shared"


def versioned(version: str, deps: dict[str, str] | None = None, name: str = "p.a") -> dict[str, object]:
    """A package archive's files: package.json and one versioned ValueSet."""
    vs = {**value_set(VS), "version": version, "title": f"{name} {version}"}
    return {"package/package.json": {"name": name, "version": version, "dependencies": deps or {}},
            "package/ValueSet-shared.json": vs}


def test_dependency_taken_from_the_packages_given_in_its_version(tmp_path: Path) -> None:
    a1 = make_tgz(tmp_path / "a1.tgz", versioned("1.0.0"))
    a2 = make_tgz(tmp_path / "a2.tgz", versioned("2.0.0"))
    b = make_tgz(tmp_path / "b.tgz", {"package/package.json": {"name": "p.b", "version": "1.0.0",
                                                               "dependencies": {"p.a": "1.0.0"}}})
    loaded = load_packages([a1, a2, b], PackageCache(tmp_path / "no-cache"))
    assert [(p.name, p.version) for p in loaded.packages] == [("p.a", "1.0.0"), ("p.a", "2.0.0"), ("p.b", "1.0.0")]
    assert loaded.warnings == []  # found among the packages given, not looked for in the (empty) cache
    source = load_definitions([a1, a2, b], cache=PackageCache(tmp_path / "no-cache"))
    assert (source.value_set(f"{VS}|1.0.0") or {})["title"] == "p.a 1.0.0"
    assert (source.value_set(f"{VS}|2.0.0") or {})["title"] == "p.a 2.0.0"


def test_dependency_given_after_its_dependant_still_loads_first(tmp_path: Path) -> None:
    b = make_tgz(tmp_path / "b.tgz", {"package/package.json": {"name": "p.b", "version": "1.0.0",
                                                               "dependencies": {"p.a": "1.0.x"}},
                                      "package/ValueSet-shared.json": {**value_set(VS), "title": "b"}})
    a = make_tgz(tmp_path / "a.tgz", versioned("1.0.3"))
    source = load_definitions([b, a], cache=PackageCache(tmp_path / "no-cache"))
    assert [p.name for p in source.loaded.packages] == ["p.a", "p.b"]
    assert (source.value_set(VS) or {})["title"] == "b"  # the dependant's own definition wins


def test_available_packages_are_loaded_only_when_depended_on(tmp_path: Path) -> None:
    wrapper = make_tgz(tmp_path / "w.tgz", {"package/package.json": {"name": "p.w", "version": "0.1.0",
                                                                     "dependencies": {"p.a": "0.1.0"}}})
    mapped = make_tgz(tmp_path / "a.tgz", versioned("0.1.0"))
    unused = make_tgz(tmp_path / "u.tgz", versioned("9.0.0", name="p.u"))
    loaded = load_packages([wrapper], PackageCache(tmp_path / "no-cache"), available=[mapped, unused])
    assert [p.name for p in loaded.packages] == ["p.a", "p.w"] and loaded.warnings == []


def test_a_folder_of_downloaded_archives_is_a_cache(tmp_path: Path) -> None:
    cache = PackageCache(tmp_path / "cache")
    cache.root.mkdir()
    make_tgz(cache.root / "p.a-1.0.0.tgz", versioned("1.0.0"))  # as `npm pack` names it
    make_tgz(cache.root / "p.a#2.0.0.tgz", versioned("2.0.0"))
    make_tgz(cache.root / "p.a.ext-3.0.0.tgz", versioned("3.0.0", name="p.a.ext"))  # another package
    make_folder_package(cache.root / "p.a#1.0.0", {"name": "p.a", "version": "1.0.0"}, {})
    assert cache.find("p.a", "1.0.0") == cache.root / "p.a#1.0.0"  # the unpacked folder wins
    assert cache.find("p.a") == cache.root / "p.a#2.0.0.tgz"
    assert cache.find("p.a", "2.0.x") == cache.root / "p.a#2.0.0.tgz"
    assert cache.find("p.a", "3.0.0") is None
    main_pkg = make_tgz(tmp_path / "m.tgz", {"package/package.json": {"name": "m", "version": "1.0.0",
                                                                      "dependencies": {"p.a": "2.0.0"}}})
    source = load_definitions([main_pkg], cache=cache)
    assert (source.value_set(VS) or {})["title"] == "p.a 2.0.0" and source.warnings == []


def test_appledouble_members_are_not_definitions(tmp_path: Path) -> None:
    files = {**versioned("1.0.0"), "package/._ValueSet-shared.json": b"\x00\x05\x16\x07Mac OS X\x00\x00",
             "package/._package.json": b"\x00\x05\x16\x07"}
    loaded = load_packages([make_tgz(tmp_path / "a.tgz", files)], PackageCache(tmp_path / "no-cache"))
    assert [r["url"] for r in loaded.resources()] == [VS]
    manifest = {"name": "p.f", "version": "1.0.0"}
    folder = make_folder_package(tmp_path / "f", manifest, {"ValueSet-x.json": value_set(VS)})
    (folder / "package" / "._ValueSet-x.json").write_bytes(b"\x00\x05\x16\x07")
    assert len(load_packages([folder], PackageCache(tmp_path / "no-cache")).resources()) == 1


def test_cli_package_by_id_from_a_given_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    make_tgz(cache / "p.a-1.0.0.tgz", versioned("1.0.0"))
    patient = tmp_path / "p.json"
    patient.write_text(json.dumps({"resourceType": "Patient", "id": "x"}))
    runner = CliRunner()
    result = runner.invoke(main, ["validate", "fhir", "--package-cache", str(cache), "--package", "p.a#1.0.0",
                                 str(patient)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["validate", "fhir", "--package-cache", str(cache), "--package", "p.a#9.9.9",
                                  str(patient)])
    assert result.exit_code == 2 and "p.a#9.9.9" in result.output


def test_a_cached_folder_is_read_through_its_index(tmp_path: Path) -> None:
    folder = make_folder_package(tmp_path / "p.i#1.0.0", {"name": "p.i", "version": "1.0.0"},
                                 {"ValueSet-a.json": value_set(VS), "ValueSet-unlisted.json": value_set(VS + "2")})
    (folder / "package" / "Patient-example.json").write_text("{ not even JSON")  # an example: never parsed
    index = {"index-version": 1, "files": [
        {"filename": "ValueSet-a.json", "resourceType": "ValueSet", "url": VS},
        {"filename": "Patient-example.json", "resourceType": "Patient", "id": "example"},
        {"filename": "ValueSet-gone.json", "resourceType": "ValueSet", "url": VS + "3"}]}  # stale: skipped
    (folder / "package" / ".index.json").write_text(json.dumps(index))
    loaded = load_packages([folder], PackageCache(tmp_path / "no-cache"))
    assert [r["url"] for r in loaded.resources()] == [VS]
