"""The validator's hot path compiled with mypyc, and the guard that keeps a stale build from running.

Why compiled: validating a resource is a walk of many small Python calls (the walker, primitives, bindings,
references...), no one of them more than a few per cent of the time (bench/cpu_account.py, the fhirval perf
passes in docs/fhir-validator.md), and the peer the issue names, fhir.resources, validates in pydantic-core's
Rust. mypyc (the mypy project's compiler) builds C extensions from these same modules, which are already
checked by ``mypy --strict``: no second implementation to keep in step, and the sources stay the reference
(``CONFORMANCE_PURE_PYTHON=1`` runs them; tests/fhirval/test_native.py holds both to the same issues).
setup.py compiles the modules listed here when the build has a C compiler and Python's headers; without
them the install still succeeds and the sources run.

Why the guard: an editable install (``pip install -e .``) builds each extension beside its source, and
Python's import takes an extension before a ``.py``. After an edit, a ``git checkout`` or a merge, the old
build would silently run instead of the new code. So before any of these modules is imported, this module
decides how they are loaded: compiled only when every one is built and no source is newer than the build;
otherwise the sources, through a finder placed first on ``sys.meta_path``. Only the standard library is
imported here: setup.py reads ``COMPILED`` without importing the package's dependencies.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

PACKAGE = "conformance.fhirval"
# The modules compiled, each a module of this package. invariants.py and the FHIRPath engine stay interpreted:
# they catch exceptions by broad tuples and are replaced in tests (monkeypatch), which compiled calls bypass.
COMPILED: tuple[str, ...] = (
    "attachments", "bindings", "context", "elements", "elements_values", "extensions", "identifiers", "index",
    "issues", "primitives", "reference_targets", "references", "terminology", "terminology_grammars",
    "validate", "value_judge", "values", "xhtml_rules",
)
GROUP = "fhirval_native"  # mypyc's shared library (every compiled module's code): conformance/fhirval_native__mypyc
PURE_ENV = "CONFORMANCE_PURE_PYTHON"
_HERE = Path(__file__).resolve().parent
_log = logging.getLogger(__name__)

MODE = "source"  # what decide() found: "compiled", or why the sources run
_decided = False


def _extension(folder: Path, stem: str) -> Path | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = folder / f"{stem}{suffix}"
        if path.is_file():
            return path
    return None


def mode_for(folder: Path, names: Sequence[str], group_lib: Path | None, pure: bool) -> str:
    """"compiled", or the reason the sources must run: asked for, not built, built in part, or older than a
    source (mtime: an edit, a checkout or a merge after the build). Strictly newer, so an install that gives
    every file one time (a wheel unpacked) counts as fresh."""
    if pure:
        return f"source ({PURE_ENV} is set)"
    built = {name: _extension(folder, name) for name in names}
    present = [p for p in built.values() if p is not None]
    if not present:
        return "source (not compiled: no C compiler or Python headers when installed, or built without them)"
    if len(present) < len(names) or group_lib is None:
        return "source (the compiled build is incomplete: reinstall with `pip install -e .`)"
    oldest = min(p.stat().st_mtime for p in [*present, group_lib])
    newer = [name for name in names if (folder / f"{name}.py").stat().st_mtime > oldest]
    if newer:
        return (f"source (the compiled build is older than {newer[0]}.py{' and others' if len(newer) > 1 else ''}: "
                "rebuild with `pip install -e .`)")
    return "compiled"


class _SourceFirst(importlib.abc.MetaPathFinder):
    """Loads the listed modules from their ``.py``, ahead of the extension beside them."""

    def __init__(self, folder: Path, names: Sequence[str]) -> None:
        self.files = {f"{PACKAGE}.{name}": folder / f"{name}.py" for name in names}

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        source = self.files.get(fullname)
        if source is None:
            return None
        return importlib.util.spec_from_file_location(fullname, source)


def decide() -> str:
    """Called once from the package's ``__init__``, before any compiled module can be imported."""
    global MODE, _decided
    if _decided:
        return MODE
    _decided = True
    pure = os.environ.get(PURE_ENV, "") not in ("", "0")
    MODE = mode_for(_HERE, COMPILED, _extension(_HERE.parent, f"{GROUP}__mypyc"), pure)
    if MODE != "compiled":
        sys.meta_path.insert(0, _SourceFirst(_HERE, COMPILED))
        if "older than" in MODE or "incomplete" in MODE:  # a developer's tree: the right code runs, only slower
            _log.info("conformance.fhirval runs from its sources: %s", MODE)
    return MODE


def loaded_compiled() -> list[str]:
    """The listed modules imported so far that are extensions (for the benches' and tests' record)."""
    out = []
    for name in COMPILED:
        module = sys.modules.get(f"{PACKAGE}.{name}")
        if module is not None and not str(getattr(module, "__file__", "")).endswith(".py"):
            out.append(name)
    return out
