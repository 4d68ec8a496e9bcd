"""Loading definitions: npm packages (.tgz and folders), the package cache, Bundles, arrays, folders
of JSON and XML, layering (later wins), and a clear DefinitionLoadError for every broken input."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from conformance.fhirval.layered import LayeredSource, load_definitions
from conformance.fhirval.loaders import DefinitionLoadError
from conformance.fhirval.packages import PackageCache, load_packages, read_tgz
from tests.shared_data import SHARED_DATA

PATIENT = "http://hl7.org/fhir/StructureDefinition/Patient"


def profile(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "StructureDefinition",
        "url": url,
        "version": "1.0.0",
        "name": url.rsplit("/", 1)[1],
        "type": "Patient",
        "kind": "resource",
        "abstract": False,
        "derivation": "constraint",
        "baseDefinition": PATIENT,
        "differential": {"element": [{"id": "Patient.birthDate", "path": "Patient.birthDate", "min": 1}]},
        **extra,
    }


def value_set(url: str) -> dict[str, Any]:
    return {
        "resourceType": "ValueSet",
        "url": url,
        "status": "active",
        "compose": {"include": [{"system": "http://s"}]},
    }


def make_tgz(path: Path, files: dict[str, Any]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, content in files.items():
            data = content if isinstance(content, bytes) else json.dumps(content).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def make_folder_package(root: Path, manifest: dict[str, Any], resources: dict[str, Any]) -> Path:
    (root / "package").mkdir(parents=True)
    (root / "package" / "package.json").write_text(json.dumps(manifest))
    for name, resource in resources.items():
        (root / "package" / name).write_text(json.dumps(resource))
    return root


def test_tgz_package_with_manifest_and_examples_ignored(tmp_path: Path) -> None:
    tgz = make_tgz(
        tmp_path / "p.tgz",
        {
            "package/package.json": {"name": "example.fhir.p", "version": "0.1.0", "dependencies": {}},
            "package/StructureDefinition-p.json": profile("http://x/SD/p"),
            "package/ValueSet-v.json": value_set("http://x/VS/v"),
            "package/.index.json": {"index-version": 1, "files": []},
            "package/openapi.json": {"openapi": "3.0.0"},
            "package/example/Patient-e.json": {"resourceType": "StructureDefinition", "url": "http://x/SD/example"},
        },
    )
    package = read_tgz(tgz)
    assert (package.name, package.version) == ("example.fhir.p", "0.1.0")
    assert sorted(r["url"] for r in package.resources) == ["http://x/SD/p", "http://x/VS/v"]
    source = load_definitions([tgz])
    sd = source.structure("http://x/SD/p|1.0.0")
    assert sd is not None
    birth = next(e for e in sd["snapshot"]["element"] if e["id"] == "Patient.birthDate")
    assert birth["min"] == 1  # snapshot generated from the differential on first use
    assert source.structure("http://x/SD/example") is None
    assert source.value_set("http://x/VS/v") is not None
    assert source.structure("Patient") is not None  # the base is underneath


def test_dependencies_come_from_the_cache_and_the_package_wins(tmp_path: Path) -> None:
    cache = PackageCache(tmp_path / "cache")
    make_folder_package(
        cache.root / "dep.one#2.0.0",
        {"name": "dep.one", "version": "2.0.0"},
        {"ValueSet-d.json": value_set("http://x/VS/dep"), "SD.json": profile("http://x/SD/shared", title="dep")},
    )
    make_folder_package(cache.root / "dep.one#1.0.0", {"name": "dep.one", "version": "1.0.0"}, {})
    main = make_folder_package(
        tmp_path / "main",
        {
            "name": "main.p",
            "version": "1.0.0",
            "dependencies": {"hl7.fhir.r4.core": "4.0.1", "dep.one": "2.0.x", "missing.dep": "1.0.0"},
        },
        {"SD.json": profile("http://x/SD/shared", title="main")},
    )
    source = load_definitions([main], cache=cache)
    assert [p.name for p in source.loaded.packages] == ["dep.one", "main.p"]
    assert source.value_set("http://x/VS/dep") is not None
    shared = source.structure("http://x/SD/shared")
    assert shared is not None and shared["title"] == "main"
    assert source.warnings == [f"main.p#1.0.0: dependency missing.dep#1.0.0 is not in the package cache {cache.root}"]


def test_cache_lookup_by_id_version_wildcard_latest_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "packages"
    for version in ("1.0.0", "1.2.0", "1.10.1"):
        make_folder_package(root / f"a.b#{version}", {"name": "a.b", "version": version}, {})
    cache = PackageCache(root)
    assert cache.find("a.b", "1.2.0") == root / "a.b#1.2.0"
    assert cache.find("a.b", "1.0.x") == root / "a.b#1.0.0"
    assert cache.find("a.b") == root / "a.b#1.10.1"
    assert cache.find("a.b", "9.9.9") is None and cache.find("c.d") is None
    monkeypatch.setenv("FHIR_PACKAGE_CACHE", str(root))
    loaded = load_packages(["a.b#1.2.0"])
    assert loaded.packages[0].version == "1.2.0"
    with pytest.raises(DefinitionLoadError, match="not in the FHIR package cache"):
        load_packages(["a.b#7.0.0"])


def test_bundle_array_single_file_and_mixed_folder(tmp_path: Path) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": value_set("http://x/VS/b")}]}
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    (tmp_path / "array.json").write_text(json.dumps([value_set("http://x/VS/a"), profile("http://x/SD/a")]))
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "vs.json").write_text(json.dumps(value_set("http://x/VS/f")))
    (folder / "sub" / "cs.xml").write_text(
        '<CodeSystem xmlns="http://hl7.org/fhir"><url value="http://x/CS/f"/><status value="active"/>'
        '<content value="complete"/><concept><code value="a"/><concept><code value="b"/></concept></concept>'
        "</CodeSystem>"
    )
    (folder / "notes.json").write_text('{"note": "not a resource"}')
    source = load_definitions([tmp_path / "bundle.json", tmp_path / "array.json", folder])
    for url in ("http://x/VS/b", "http://x/VS/a", "http://x/VS/f"):
        assert source.value_set(url) is not None, url
    cs = source.code_system("http://x/CS/f")
    assert cs is not None and cs["concept"] == [{"code": "a", "concept": [{"code": "b"}]}]
    assert source.structure("http://x/SD/a") is not None


def test_later_source_wins_even_over_the_base(tmp_path: Path) -> None:
    (tmp_path / "one.json").write_text(json.dumps(value_set("http://hl7.org/fhir/ValueSet/administrative-gender")))
    source = load_definitions([tmp_path / "one.json"])
    vs = source.value_set("http://hl7.org/fhir/ValueSet/administrative-gender")
    assert vs is not None and vs["compose"]["include"] == [{"system": "http://s"}]
    assert load_definitions().value_set("http://hl7.org/fhir/ValueSet/administrative-gender") != vs
    assert isinstance(source, LayeredSource)


@pytest.mark.skipif(not (SHARED_DATA / "ukcore-2.0.2").exists(), reason="shared UK Core data not available")
def test_uk_core_repository_folder() -> None:
    source = load_definitions([SHARED_DATA / "ukcore-2.0.2"])
    package = source.loaded.packages[0]
    assert (package.name, package.version) == ("UKCore.R4.STU.02.00.00", "2.0.0")
    kinds = [r["resourceType"] for r in package.resources]
    assert (kinds.count("StructureDefinition"), kinds.count("ValueSet"), kinds.count("CodeSystem")) == (78, 70, 49)
    assert source.warnings == []
    assert source.code_system("https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland") is not None


# --- bad input: which file, and why -----------------------------------------------------------


def _fails(specs: list[Any], *fragments: str, cache: PackageCache | None = None) -> None:
    with pytest.raises(DefinitionLoadError) as err:
        load_definitions(specs, cache=cache)
    for fragment in fragments:
        assert fragment in str(err.value), str(err.value)


def test_corrupt_tgz(tmp_path: Path) -> None:
    (tmp_path / "junk.tgz").write_bytes(b"this is not gzip at all")
    _fails([tmp_path / "junk.tgz"], "junk.tgz", "not a readable .tgz package")
    good = make_tgz(
        tmp_path / "good.tgz",
        {"package/package.json": {"name": "n", "version": "1"}, "package/a.json": profile("http://x/a")},
    )
    (tmp_path / "cut.tgz").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    _fails([tmp_path / "cut.tgz"], "cut.tgz")


def test_tgz_without_package_json(tmp_path: Path) -> None:
    tgz = make_tgz(tmp_path / "nomanifest.tgz", {"package/a.json": profile("http://x/a")})
    _fails([tgz], "nomanifest.tgz", "no package/package.json")


def test_package_json_missing_or_broken_in_folder(tmp_path: Path) -> None:
    (tmp_path / "p1" / "package").mkdir(parents=True)
    _fails([tmp_path / "p1"], "p1", "no package/package.json")
    make_folder_package(tmp_path / "p2", {}, {})
    (tmp_path / "p2" / "package" / "package.json").write_text("{nope")
    _fails([tmp_path / "p2"], "package.json", "not JSON")


def test_non_json_file_in_package_names_the_member(tmp_path: Path) -> None:
    tgz = make_tgz(
        tmp_path / "p.tgz", {"package/package.json": {"name": "n"}, "package/bad.json": b'{"resourceType": '}
    )
    _fails([tgz], "p.tgz!package/bad.json", "not JSON")


def test_non_json_non_xml_and_garbage(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("hello")
    _fails([tmp_path / "a.json"], "a.json", "neither JSON nor XML")
    (tmp_path / "b.json").write_text('{"resourceType": "ValueSet",')
    _fails([tmp_path / "b.json"], "b.json", "not JSON", "line 1")
    (tmp_path / "c.xml").write_text("<ValueSet xmlns='http://hl7.org/fhir'><url value='x'></ValueSet>")
    _fails([tmp_path / "c.xml"], "c.xml", "not well-formed XML")
    (tmp_path / "d.json").write_text('{"hello": 1}')
    _fails([tmp_path / "d.json"], "d.json", "not a FHIR resource")
    (tmp_path / "e.json").write_bytes(b"\xff\xfe{")
    _fails([tmp_path / "e.json"], "e.json")
    (tmp_path / "f.json").write_text("")
    _fails([tmp_path / "f.json"], "f.json", "empty file")


def test_broken_file_inside_a_folder_is_named(tmp_path: Path) -> None:
    (tmp_path / "ok.json").write_text(json.dumps(value_set("http://x/ok")))
    (tmp_path / "broken.xml").write_text("<CodeSystem xmlns='http://hl7.org/fhir'><url")
    _fails([tmp_path], "broken.xml", "not well-formed XML")


def test_missing_path_and_unknown_package(tmp_path: Path) -> None:
    _fails([tmp_path / "nowhere.json"], "nowhere.json", "no such file or folder")
    _fails(
        ["no.such.package#1.0.0"],
        "no.such.package#1.0.0",
        "not in the FHIR package cache",
        cache=PackageCache(tmp_path),
    )


def test_profile_whose_base_is_missing_fails_on_use_naming_it(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text(json.dumps(profile("http://x/SD/orphan", baseDefinition="http://x/SD/gone")))
    source = load_definitions([tmp_path / "p.json"])
    with pytest.raises(
        DefinitionLoadError, match=r"http://x/SD/orphan: base definition http://x/SD/gone is not loaded"
    ):
        source.structure("http://x/SD/orphan")


def test_circular_base_definition_is_an_error_not_a_recursion(tmp_path: Path) -> None:
    loop = [
        profile("http://x/SD/a", baseDefinition="http://x/SD/b"),
        profile("http://x/SD/b", baseDefinition="http://x/SD/a"),
    ]
    (tmp_path / "loop.json").write_text(json.dumps(loop))
    source = load_definitions([tmp_path / "loop.json"])
    with pytest.raises(DefinitionLoadError, match="circular"):
        source.structure("http://x/SD/a")
