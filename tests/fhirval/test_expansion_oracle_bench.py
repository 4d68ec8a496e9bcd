"""bench/fhir_expansion_oracle.py: a published expansion's code that the local expansion leaves out is reported as a
latent false alarm, one only the local expansion has as a latent miss."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.fhirval.scripts import load_script

CS = "http://hl7.org/fhir/administrative-gender"  # held by base R4: male, female, other, unknown


def _bundle(tmp_path: Path, published: list[str], total: int | None = None) -> Path:
    expansion: dict[str, object] = {"contains": [{"system": CS, "code": c} for c in published]}
    if total is not None:
        expansion["total"] = total
    vs = {"resourceType": "ValueSet", "url": "https://conformance.example/vs/g", "status": "active",
          "compose": {"include": [{"system": CS, "concept": [{"code": "male"}, {"code": "female"}]}]},
          "expansion": expansion}
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": vs}]}))
    return path


def _run(path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    bench = load_script("bench/fhir_expansion_oracle.py")
    monkeypatch.setattr(sys, "argv", ["x", "--expansions", str(path)])
    bench.main()
    return capsys.readouterr().out


def test_the_same_codes_are_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(_bundle(tmp_path, ["male", "female"]), monkeypatch, capsys)
    assert "compared 1; identical where compared 1" in out and "latent false alarms): 0" in out


def test_a_published_code_left_out_here_and_one_added(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(_bundle(tmp_path, ["male", "other"]), monkeypatch, capsys)
    assert "latent false alarms): 1 value set/system pairs" in out and "['other']" in out
    assert "latent misses): 1 value set/system pairs" in out and "['female']" in out
    out = _run(_bundle(tmp_path, ["male"], total=2), monkeypatch, capsys)  # cut short: extras not counted
    assert "latent misses): 0" in out
