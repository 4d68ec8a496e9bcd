"""The compiled hot path (conformance/fhirval/native.py): the same issues as the sources, and a stale or partial
build never runs."""

from __future__ import annotations

import importlib.machinery
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.fhirval import native

ROOT = Path(__file__).resolve().parents[2]
UKCORE = ROOT.parent / "shared" / "data" / "ukcore-2.0.2"
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]
NAMES = ("alpha", "beta")


def _tree(tmp_path: Path, built: tuple[str, ...], *, lib: bool = True, record: bool = True) -> tuple[Path, Path | None]:
    """A package folder with alpha.py and beta.py, the extensions of ``built``, (``lib``) the group's library and
    (``record``) the build's record of its sources, as setup.py writes it."""
    folder = tmp_path / "pkg"
    folder.mkdir()
    for name in NAMES:
        (folder / f"{name}.py").write_text("X = 1\n")
    (tmp_path / "top.py").write_text("Y = 1\n")  # a top-level module of the package above, in the digest too
    for name in built:
        (folder / f"{name}{SUFFIX}").write_bytes(b"")
    group = tmp_path / f"group__mypyc{SUFFIX}"
    if lib:
        group.write_bytes(b"")
    if record:
        (folder / native.BUILD_RECORD).write_text(native.sources_digest(folder) + "\n")
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


@pytest.mark.parametrize("edit", ["pkg/beta.py", "top.py"])
def test_a_source_edited_after_the_build_runs_the_sources(tmp_path: Path, edit: str) -> None:
    """By content, not mtime: an edit whose file keeps an old mtime (``cp -p``, ``rsync -a``, ``touch -d``) is seen;
    a top-level module the compiled ones import counts (compiled code checks the types it gets from them)."""
    folder, lib = _tree(tmp_path, NAMES)
    path = tmp_path / edit
    before = path.stat().st_mtime
    path.write_text("X = 2\n")
    os.utime(path, (before - 100, before - 100))
    mode = native.mode_for(folder, NAMES, lib, pure=False)
    assert "sources changed" in mode and "pip install -e ." in mode


def test_a_build_without_its_record_runs_the_sources(tmp_path: Path) -> None:
    folder, lib = _tree(tmp_path, NAMES, record=False)
    assert "sources changed" in native.mode_for(folder, NAMES, lib, pure=False)


def test_an_extension_of_a_module_no_longer_listed_is_not_run(tmp_path: Path) -> None:
    """A module dropped from COMPILED keeps its old extension beside it (not in git, not removed by a reinstall):
    the build is not the listed one, and the finder covers that module too, so its source runs."""
    folder, lib = _tree(tmp_path, (*NAMES, "gamma"))
    (folder / "gamma.py").write_text("Z = 1\n")
    (folder / native.BUILD_RECORD).write_text(native.sources_digest(folder) + "\n")
    assert "for other modules" in native.mode_for(folder, NAMES, lib, pure=False)
    assert native.source_names(folder, NAMES) == {"alpha", "beta", "gamma"}


def test_a_wheel_unpacked_in_any_order_runs_compiled(tmp_path: Path) -> None:
    """pip writes a wheel's extension before its ``.py``: content, not mtimes, decides."""
    folder, lib = _tree(tmp_path, NAMES)
    for name in NAMES:
        os.utime(folder / f"{name}.py", None)  # now newer than the extensions
    assert native.mode_for(folder, NAMES, lib, pure=False) == "compiled"


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


def test_an_issue_copies_and_pickles_compiled_or_not() -> None:
    """A compiled frozen dataclass refuses copy and pickle unless it says how (Issue.__reduce__)."""
    import copy
    import pickle

    from conformance.fhirval.issues import Issue

    issue = Issue("error", "invariant", "Patient.name[0]", "constraint failed")
    assert copy.copy(issue) == issue and copy.deepcopy(issue) == issue
    assert pickle.loads(pickle.dumps(issue)) == issue
