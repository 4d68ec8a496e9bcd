"""scripts/build_tho_package.py: a THO release rebuilt from UTG's source history is read as the published one."""

from __future__ import annotations

import subprocess
from pathlib import Path

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


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True, text=True).stdout.strip()


def _utg(tmp_path: Path) -> tuple[Path, str, str]:
    """A two-commit stand-in for HL7/UTG: the display of code ``a`` changes between the two releases."""
    repo = tmp_path / "utg"
    folder = repo / "input" / "sourceOfTruth" / "fhir" / "codeSystems"
    folder.mkdir(parents=True)
    (repo / "input" / "sourceOfTruth" / "fhir" / "valueSets").mkdir()
    (repo / "input" / "sourceOfTruth" / "fhir" / "valueSets" / "vs-demo.xml").write_text(VALUE_SET)
    (repo / "input" / "sourceOfTruth" / "control-manifest.xml").write_text("<manifest>not FHIR</manifest>")
    _git(repo, "init", "-q")
    shas = []
    for display in ("Old display", "New display"):
        (folder / "cs-demo.xml").write_text(CODE_SYSTEM.format(display=display))
        _git(repo, "add", "-A")
        _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", display)
        shas.append(_git(repo, "rev-parse", "HEAD"))
    return repo, shas[0], shas[1]


def test_each_release_is_rebuilt_from_its_own_commit(tmp_path: Path) -> None:
    script = load_script("scripts/build_tho_package.py")
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


def test_a_commit_the_repository_lacks_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    script = load_script("scripts/build_tho_package.py")
    repo, _, _ = _utg(tmp_path)
    out = tmp_path / "x.tgz"
    assert script.main(["--utg", str(repo), "--commit", "0" * 40, "--version", "1", "--out", str(out)]) == 2
    assert not out.exists()
