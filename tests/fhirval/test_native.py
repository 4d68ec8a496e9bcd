"""The compiled hot path (conformance/fhirval/native.py): the same issues as the sources, and a stale or partial
build never runs."""

from __future__ import annotations

import importlib.machinery
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conformance.fhirval import native

ROOT = Path(__file__).resolve().parents[2]
UKCORE = ROOT.parent / "shared" / "data" / "ukcore-2.0.2"
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]
NAMES = ("alpha", "beta")


def _tree(tmp_path: Path, built: tuple[str, ...], *, lib: bool = True) -> tuple[Path, Path | None]:
    """A package folder with alpha.py and beta.py, the extensions of ``built`` and (``lib``) the group's library,
    every extension written after the sources."""
    folder = tmp_path / "pkg"
    folder.mkdir()
    for name in NAMES:
        (folder / f"{name}.py").write_text("X = 1\n")
    old = time.time() - 100
    for name in NAMES:
        os.utime(folder / f"{name}.py", (old, old))
    for name in built:
        (folder / f"{name}{SUFFIX}").write_bytes(b"")
    group = tmp_path / f"group__mypyc{SUFFIX}"
    if lib:
        group.write_bytes(b"")
    return folder, group if lib else None


def test_a_fresh_complete_build_runs_compiled(tmp_path: Path) -> None:
    folder, lib = _tree(tmp_path, NAMES)
    assert native.mode_for(folder, NAMES, lib, pure=False) == "compiled"


def test_asking_for_the_sources_wins_over_a_fresh_build(tmp_path: Path) -> None:
    folder, lib = _tree(tmp_path, NAMES)
    assert native.mode_for(folder, NAMES, lib, pure=True).startswith("source (CONFORMANCE_PURE_PYTHON")


def test_no_build_runs_the_sources(tmp_path: Path) -> None:
    folder, lib = _tree(tmp_path, (), lib=False)
    assert "not compiled" in native.mode_for(folder, NAMES, lib, pure=False)


@pytest.mark.parametrize("built,lib", [(("alpha",), True), (NAMES, False)])
def test_a_partial_build_runs_the_sources(tmp_path: Path, built: tuple[str, ...], lib: bool) -> None:
    """One module's extension missing (a compiler error on it: setup.py makes each optional), or the shared
    library missing: the compiled modules call each other natively, so it is all or nothing."""
    folder, group = _tree(tmp_path, built, lib=lib)
    assert "incomplete" in native.mode_for(folder, NAMES, group, pure=False)


def test_a_source_edited_after_the_build_runs_the_sources(tmp_path: Path) -> None:
    folder, lib = _tree(tmp_path, NAMES)
    (folder / "beta.py").write_text("X = 2\n")  # now newer than every extension
    mode = native.mode_for(folder, NAMES, lib, pure=False)
    assert "older than beta.py" in mode and "pip install -e ." in mode


def test_the_finder_loads_the_source_beside_an_extension(tmp_path: Path) -> None:
    folder, _ = _tree(tmp_path, NAMES)
    finder = native._SourceFirst(folder, NAMES)
    spec = finder.find_spec(f"{native.PACKAGE}.beta", None)
    assert spec is not None and spec.origin == str(folder / "beta.py")
    assert finder.find_spec(f"{native.PACKAGE}.gamma", None) is None


def test_the_pure_switch_loads_every_listed_module_from_source() -> None:
    code = ("import conformance.fhirval.validate, conformance.fhirval.native as n, sys; "
            "print(n.MODE); print(n.loaded_compiled())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env={**os.environ, native.PURE_ENV: "1"}, check=True).stdout.splitlines()
    assert out == [f"source ({native.PURE_ENV} is set)", "[]"]


def _parity(pure: bool) -> tuple[str, str]:
    env = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
    if pure:
        env[native.PURE_ENV] = "1"
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "fhirval" / "native_parity.py")], capture_output=True,
                          text=True, cwd=ROOT, timeout=600, env=env, check=True)
    mode, _, body = done.stdout.partition("\n")
    return mode, body


@pytest.mark.skipif(not UKCORE.exists(), reason="UK Core reference data (../shared/data) not present")
def test_the_compiled_build_gives_every_issue_the_sources_give() -> None:
    """UK Core's 140 examples against base R4 and their profiles, and 500-odd mutants of them: issue for issue the
    same text. Skipped where this install has no compiled build (no compiler when installed), except where
    CONFORMANCE_EXPECT_COMPILED is set (.ci/run sets it: a build that silently fell back is a CI failure there)."""
    if native.MODE != "compiled":
        if os.environ.get("CONFORMANCE_EXPECT_COMPILED"):
            pytest.fail(f"the compiled build was expected but {native.MODE}")
        pytest.skip(f"no compiled build to compare: {native.MODE}")
    compiled_mode, compiled = _parity(pure=False)
    source_mode, source = _parity(pure=True)
    assert compiled_mode == "mode: compiled" and source_mode.startswith("mode: source")
    assert compiled.count('"') > 5000  # hundreds of steps, with their issues
    assert compiled == source
