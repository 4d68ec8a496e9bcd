"""Claimed profiles at the command line: a typo in a claimed URL and a package that cannot be found are
configuration errors (exit 2, one line, nothing run); id#version names a package in the FHIR package cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.targets import load

TYPO = "https://conformance.example/fhir/StructureDefinition/SandboxPatinet"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stderr


def target(tmp_path: Path, claims: str) -> Path:
    path = tmp_path / "target.toml"
    # An unreachable port: a configuration error must stop the run before any probe.
    path.write_text(f'[endpoints]\nfhir = "http://127.0.0.1:9/fhir"\n[claims]\n{claims}\n')
    return path


def test_a_typo_in_a_claimed_profile_is_exit_2(tmp_path: Path) -> None:
    code, err = invoke("run", "--target", str(target(tmp_path, f'profiles = ["{TYPO}"]')))
    assert code == 2, err
    assert err.count("\n") == 1 and "one slip away" in err and "SandboxPatient" in err and "Traceback" not in err


def test_a_package_that_is_nowhere_is_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FHIR_PACKAGE_CACHE", str(tmp_path / "cache"))
    path = target(tmp_path, "profiles = []")
    code, err = invoke("run", "--target", str(path), "--package", "example.missing#1.0.0")
    assert code == 2 and "--package" in err and "example.missing#1.0.0" in err and err.count("\n") == 1


def test_claims_packages_may_name_a_cached_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "cache" / "example.cached#1.0.0" / "package"
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps({"name": "example.cached", "version": "1.0.0"}))
    monkeypatch.setenv("FHIR_PACKAGE_CACHE", str(tmp_path / "cache"))
    assert load(target(tmp_path, 'packages = ["example.cached#1.0.0"]')).packages == ["example.cached#1.0.0"]
    monkeypatch.setenv("FHIR_PACKAGE_CACHE", str(tmp_path / "elsewhere"))
    with pytest.raises(Exception, match="nor id#version in the FHIR package cache"):
        load(target(tmp_path, 'packages = ["example.cached#1.0.0"]'))
