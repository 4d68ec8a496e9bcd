"""scripts/build_tho_package.py: a THO release rebuilt from UTG's source history is read as the published one."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

from conformance.fhirval.terminology_packages import open_package
from tests.fhirval.scripts import load_script

CODE_SYSTEM = """<?xml version="1.0" encoding="UTF-8"?>
<CodeSystem xmlns="http://hl7.org/fhir">
  <id value="demo-category"/>
  <url value="http://terminology.hl7.org/CodeSystem/demo-category"/>
  <version value="1.0.0"/>
  <status value="active"/>
  <caseSensitive value="true"/>
  <content value="complete"/>
  <concept><code value="a"/><display value="{display}"/>
    <concept><code value="a1"/><display value="Nested"/></concept>
  </concept>
</CodeSystem>
"""
VALUE_SET = """<ValueSet xmlns="http://hl7.org/fhir"><id value="demo-category"/>
  <url value="http://terminology.hl7.org/ValueSet/demo-category"/><status value="active"/>
  <compose><include><system value="http://terminology.hl7.org/CodeSystem/demo-category"/></include></compose>
</ValueSet>
"""
# no id (taken from the file name) and no url (made from the canonical), as UTG has a few
BARE_VALUE_SET = """<ValueSet xmlns="http://hl7.org/fhir"><status value="active"/>
  <compose><include><system value="http://terminology.hl7.org/CodeSystem/demo-category"/></include></compose>
</ValueSet>
"""
# an external system whose url is not THO's own: found only through the index
EXTERNAL = json.dumps({"resourceType": "CodeSystem", "id": "ext", "url": "urn:iso:std:iso:9999", "status": "active",
                       "content": "complete", "concept": [{"code": "x"}]})


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script("scripts/build_tho_package.py")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True, text=True).stdout.strip()


def _utg(tmp_path: Path) -> tuple[Path, str, str]:
    """A two-commit stand-in for HL7/UTG, as a bare git directory (as `fetch` brings one): the display of code ``a``
    changes between the two releases."""
    work = tmp_path / "utg-work"
    truth = work / "input" / "sourceOfTruth"
    (truth / "fhir" / "codeSystems").mkdir(parents=True)
    (truth / "fhir" / "valueSets").mkdir()
    (truth / "external").mkdir()
    (truth / "fhir" / "valueSets" / "vs-demo.xml").write_text(VALUE_SET)
    (truth / "fhir" / "valueSets" / "ValueSet-bare.xml").write_text(BARE_VALUE_SET)
    (truth / "external" / "cs-ext.json").write_text(EXTERNAL)
    (truth / "control-manifest.xml").write_text("<manifest>not FHIR</manifest")
    _git(work, "init", "-q")
    shas = []
    for display in ("Old display", "New display"):
        (truth / "fhir" / "codeSystems" / "cs-demo.xml").write_text(CODE_SYSTEM.format(display=display))
        # the same CodeSystem id from a second folder: the later path wins, and it is said
        (truth / "fhir" / "CodeSystem-demo-category.xml").write_text(CODE_SYSTEM.format(display=display))
        _git(work, "add", "-A")
        _git(work, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", display)
        shas.append(_git(work, "rev-parse", "HEAD"))
    bare = tmp_path / "utg.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    return bare, shas[0], shas[1]


def test_each_release_is_rebuilt_from_its_own_commit(script: ModuleType, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    repo, first, second = _utg(tmp_path)
    for sha, version, display in ((first, "1.0.0", "Old display"), (second, "2.0.0", "New display")):
        out = tmp_path / f"hl7.terminology.r4-{version}.tgz"
        assert script.main(["--utg", str(repo), "--commit", sha, "--version", version, "--out", str(out)]) == 0
        package = open_package(out)
        system = package.code_system("http://terminology.hl7.org/CodeSystem/demo-category")
        assert system is not None and system["content"] == "complete"
        assert system["concept"][0]["display"] == display
        assert system["concept"][0]["concept"][0]["code"] == "a1"
        value_set = package.value_set("http://terminology.hl7.org/ValueSet/demo-category")
        assert value_set is not None
        assert value_set["compose"]["include"][0]["system"] == "http://terminology.hl7.org/CodeSystem/demo-category"
        bare = package.value_set("http://terminology.hl7.org/ValueSet/bare")
        assert bare is not None and bare["id"] == "bare"
        assert package.code_system("urn:iso:std:iso:9999") is not None  # by the index, not by THO's naming
    said = capsys.readouterr().out
    assert "1 not FHIR ['input/sourceOfTruth/control-manifest.xml']" in said
    assert "1 given twice (the last kept) ['CodeSystem-demo-category.json']" in said
    assert "2 with an id or url filled in" in said


def test_the_same_source_gives_the_same_archive(script: ModuleType, tmp_path: Path) -> None:
    repo, first, _ = _utg(tmp_path)
    digests = set()
    for name in ("a.tgz", "b.tgz"):
        out = tmp_path / name
        assert script.main(["--utg", str(repo), "--commit", first, "--version", "1", "--out", str(out)]) == 0
        digests.add(out.read_bytes())
        with tarfile.open(out) as archive:
            index = json.load(archive.extractfile("package/.index.json"))  # type: ignore[arg-type]
        assert {"filename": "CodeSystem-ext.json", "resourceType": "CodeSystem", "id": "ext",
                "url": "urn:iso:std:iso:9999"} in index["files"]
    assert len(digests) == 1


def test_a_commit_the_repository_lacks_is_a_message_not_a_traceback(script: ModuleType, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    repo, _, _ = _utg(tmp_path)
    out = tmp_path / "x.tgz"
    assert script.main(["--utg", str(repo), "--commit", "0" * 40, "--version", "1", "--out", str(out)]) == 2
    assert not out.exists() and "cannot read" in capsys.readouterr().err


def test_source_files_the_copy_lacks_stop_the_build_unless_allowed(script: ModuleType, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    repo, first, _ = _utg(tmp_path)
    real = script.source_files

    def lacking(utg: Path, commit: str) -> tuple[list[tuple[str, bytes]], list[str]]:
        files, _ = real(utg, commit)
        return files, ["input/sourceOfTruth/v2/codeSystems/cs-big.xml", "input/sourceOfTruth/history/h.json"]

    monkeypatch.setattr(script, "source_files", lacking)
    out = tmp_path / "x.tgz"
    args = ["--utg", str(repo), "--commit", first, "--version", "1", "--out", str(out)]
    assert script.main(args) == 3 and not out.exists()
    assert "1 source files are absent" in capsys.readouterr().err
    assert script.main([*args, "--allow-missing"]) == 0 and out.exists()
