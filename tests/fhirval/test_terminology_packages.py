"""The HL7 Terminology package found where users keep it, read on demand: synthetic THO-shaped packages only."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from conformance.fhirval.base import base_source
from conformance.fhirval.bindings import check_binding, check_coding
from conformance.fhirval.issues import Sink
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.source import MemorySource
from conformance.fhirval.terminology import Terminology
from conformance.fhirval.terminology_packages import (
    ENV,
    ArchivePackage,
    IndexedPackage,
    WholePackage,
    find_terminology_package,
    open_package,
)

SYSTEM = "http://terminology.hl7.org/CodeSystem/conformance-test-tho"
VS = "http://terminology.hl7.org/ValueSet/conformance-test-tho"

CODE_SYSTEM: dict[str, Any] = {"resourceType": "CodeSystem", "id": "tho", "url": SYSTEM, "status": "active",
                               "content": "complete", "concept": [{"code": "alpha"}, {"code": "beta"}]}
VALUE_SET: dict[str, Any] = {"resourceType": "ValueSet", "id": "tho", "url": VS, "status": "active",
                             "compose": {"include": [{"system": SYSTEM, "concept": [{"code": "alpha"}]}]}}


def write_cached(root: Path, name: str = "hl7.terminology.r4", version: str = "9.9.9", *,
                 index: bool = True) -> Path:
    """A package folder as the FHIR package cache holds it, with its .index.json."""
    folder = root / f"{name}#{version}" / "package"
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps({"name": name, "version": version}))
    (folder / "CodeSystem-tho.json").write_text(json.dumps(CODE_SYSTEM))
    (folder / "ValueSet-tho.json").write_text(json.dumps(VALUE_SET))
    (folder / "notes.json").write_text("{ not read unless asked for")
    if index:
        listing = {"index-version": 1, "files": [
            {"filename": "CodeSystem-tho.json", "resourceType": "CodeSystem", "url": SYSTEM},
            {"filename": "ValueSet-tho.json", "resourceType": "ValueSet", "url": VS}]}
        (folder / ".index.json").write_text(json.dumps(listing))
    return folder.parent


def write_tgz(path: Path, *, index: bool = True) -> Path:
    """An archive as published; with the .index.json the package tools write, or without (THO's naming then)."""
    listing = {"index-version": 1, "files": [
        {"filename": "CodeSystem-tho.json", "resourceType": "CodeSystem", "url": SYSTEM},
        {"filename": "ValueSet-tho.json", "resourceType": "ValueSet", "url": VS}]}
    members: list[tuple[str, Any]] = [
        ("package/package.json", {"name": "hl7.terminology.r4", "version": "9.9.9"}),
        ("package/CodeSystem-tho.json", CODE_SYSTEM), ("package/ValueSet-tho.json", VALUE_SET),
        ("package/CodeSystem-conformance-test-tho.json", {**CODE_SYSTEM, "concept": [{"code": "by-name"}]})]
    with tarfile.open(path, "w:gz") as archive:
        for name, body in members + ([("package/.index.json", listing)] if index else []):
            data = json.dumps(body).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture()
def no_user_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv(ENV, raising=False)
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("FHIR_PACKAGE_CACHE", str(cache))
    return cache


def test_the_newest_cached_package_is_found_and_read_file_by_file(no_user_package: Path) -> None:
    write_cached(no_user_package, version="1.0.0")
    newest = write_cached(no_user_package, version="9.9.9")
    write_cached(no_user_package, name="hl7.fhir.us.core", version="99.0.0")
    assert find_terminology_package() == newest
    package = open_package(newest)
    assert isinstance(package, IndexedPackage)
    assert package.code_system(SYSTEM + "|2.0.0") == CODE_SYSTEM
    assert package.value_set("http://terminology.hl7.org/ValueSet/absent") is None


def test_a_package_as_published_without_an_index_is_read_by_tho_naming(no_user_package: Path) -> None:
    folder = write_cached(no_user_package, index=False)
    package = open_package(folder)
    assert isinstance(package, IndexedPackage)
    by_name = "http://terminology.hl7.org/CodeSystem/tho"  # CodeSystem-tho.json, but its url is another
    assert package.code_system(by_name) is None
    cs = {**CODE_SYSTEM, "url": by_name}
    (folder / "package" / "CodeSystem-tho.json").write_text(json.dumps(cs))
    assert open_package(folder).code_system(by_name) == cs
    assert open_package(folder).code_system("http://terminology.hl7.org/CodeSystem/../../etc") is None


def test_codes_of_the_package_are_judged_when_the_source_lacks_them(no_user_package: Path) -> None:
    write_cached(no_user_package)
    term = Terminology(MemorySource())
    assert term.code_in_system(SYSTEM, "beta") is True
    assert term.code_in_system(SYSTEM, "gamma") is False
    sink = Sink()
    check_binding(term, {"strength": "required", "valueSet": VS}, "Coding", {"system": SYSTEM, "code": "beta"},
                  "Observation.code.coding[0]", sink)
    check_coding(term, {"system": SYSTEM, "code": "gamma"}, "Observation.code.coding[1]", sink)
    assert [(i.severity, i.defect) for i in sink.issues] == [("error", "code-invalid"), ("error", "code-unknown")]


def test_the_source_wins_over_the_package(no_user_package: Path) -> None:
    write_cached(no_user_package)
    pinned = {**CODE_SYSTEM, "concept": [{"code": "gamma"}]}
    term = Terminology(MemorySource([pinned]))
    assert term.code_in_system(SYSTEM, "gamma") is True
    assert term.code_in_system(SYSTEM, "alpha") is False


def test_a_user_given_archive_is_read_file_by_file(monkeypatch: pytest.MonkeyPatch, no_user_package: Path,
                                                   tmp_path: Path) -> None:
    write_cached(no_user_package)  # the user's path wins over the cache
    archive = write_tgz(tmp_path / "tho.tgz")
    monkeypatch.setenv(ENV, str(archive))
    assert find_terminology_package() == archive
    package = open_package(archive)
    assert isinstance(package, ArchivePackage)
    assert package.value_set(VS) == VALUE_SET
    assert Terminology(MemorySource()).code_in_system(SYSTEM, "beta") is True
    unindexed = open_package(write_tgz(tmp_path / "as-published.tgz", index=False))  # by THO's naming, as a folder
    assert unindexed.value_set(VS) is None
    assert [c["code"] for c in (unindexed.code_system(SYSTEM) or {})["concept"]] == ["by-name"]


def test_a_plain_folder_is_read_whole(tmp_path: Path) -> None:
    (tmp_path / "defs").mkdir()
    (tmp_path / "defs" / "any-name.json").write_text(json.dumps(VALUE_SET))
    package = open_package(tmp_path / "defs")
    assert isinstance(package, WholePackage)
    assert package.value_set(VS) == VALUE_SET


def test_without_a_package_an_unknown_system_is_information(no_user_package: Path) -> None:
    term = Terminology(LayeredSource([base_source(), MemorySource()]))
    assert term.code_in_system(SYSTEM, "alpha") is None
    sink = Sink()
    check_binding(term, {"strength": "required", "valueSet": VS}, "Coding", {"system": SYSTEM, "code": "alpha"},
                  "Observation.code.coding[0]", sink)
    assert [(i.severity, i.defect) for i in sink.issues] == [("information", "value-set-unknown")]


def test_a_broken_package_is_no_package(monkeypatch: pytest.MonkeyPatch, no_user_package: Path,
                                        tmp_path: Path) -> None:
    broken = tmp_path / "broken.tgz"
    broken.write_bytes(b"not a gzip archive")
    monkeypatch.setenv(ENV, str(broken))
    assert Terminology(MemorySource()).code_in_system(SYSTEM, "alpha") is None


def test_base_r4s_frozen_copy_of_a_tho_code_system_gives_way_to_the_package(no_user_package: Path) -> None:
    url = "http://terminology.hl7.org/CodeSystem/v2-0203"
    base_only = Terminology(LayeredSource([base_source(), MemorySource()]))
    assert base_only.code_in_system(url, "MR") is True
    assert base_only.code_in_system(url, "ZZ-NEW") is False  # not in R4's 2019 copy
    folder = write_cached(no_user_package) / "package"
    newer = {**CODE_SYSTEM, "id": "v2-0203", "url": url, "concept": [{"code": "MR"}, {"code": "ZZ-NEW"}]}
    (folder / "CodeSystem-v2-0203.json").write_text(json.dumps(newer))
    index = json.loads((folder / ".index.json").read_text())
    index["files"].append({"filename": "CodeSystem-v2-0203.json", "resourceType": "CodeSystem", "url": url})
    (folder / ".index.json").write_text(json.dumps(index))
    with_tho = Terminology(LayeredSource([base_source(), MemorySource()]))
    assert with_tho.code_in_system(url, "ZZ-NEW") is True
    pinned = {**newer, "concept": [{"code": "MR"}]}  # a package's own copy still wins over THO
    assert Terminology(LayeredSource([base_source(), MemorySource([pinned])])).code_in_system(url, "ZZ-NEW") is False


def test_an_unheld_value_set_says_how_to_supply_it(monkeypatch: pytest.MonkeyPatch, no_user_package: Path,
                                                    tmp_path: Path) -> None:
    def said(url: str) -> str:
        sink = Sink()
        check_binding(Terminology(MemorySource()), {"strength": "required", "valueSet": url}, "code", "x",
                      "X.code", sink)
        assert [(i.severity, i.defect) for i in sink.issues] == [("information", "value-set-unknown")]
        return sink.issues[0].message

    assert "hl7.terminology.r4" in said(VS)
    assert "--package" in said("https://conformance.example/vs/elsewhere")
    monkeypatch.setenv(ENV, str(tmp_path / "no-such-tho.tgz"))
    assert "no-such-tho.tgz, which does not exist" in said(VS)
