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
Python's import takes an extension before a ``.py``; the extensions are not in git, so they survive an edit, a
``git checkout`` or a merge. The old build would silently run instead of the new code. So before any of these
modules is imported, this module decides how they are loaded: compiled only when exactly the listed modules are
built and the sources are byte for byte those the build was made from (``native_build.txt``, a digest setup.py
writes when it compiles, of this package's modules and of ``conformance``'s top-level ones they import: compiled
code also depends on the types of the modules it calls); otherwise the sources, through a finder placed first on
``sys.meta_path``, for the listed modules and any other extension found here. Only the standard library is
imported here: setup.py runs this file without importing the package's dependencies. (A commit from before this
guard, checked out in a built tree, has no such finder: ``git clean -fX conformance`` first.)
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import logging
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType

PACKAGE = "conformance.fhirval"
# The modules compiled, each a module of this package. invariants.py and the FHIRPath layer stay interpreted: they
# rely on Python's dynamism (an exception variable rebound across except clauses, functions swapped into fhirpathpy,
# monkeypatched in tests), and compiled they gave other verdicts (docs/fhir-validator.md, "Twelfth session's passes").
COMPILED: tuple[str, ...] = (
    "attachments", "bidi", "bindings", "context", "elements", "elements_values", "extensions", "identifiers", "index",
    "issues", "primitives", "reference_targets", "references", "terminology", "terminology_expansion",
    "terminology_grammars", "terminology_versions", "validate", "value_judge", "values", "xhtml_rules",
)
GROUP = "fhirval_native"  # mypyc's shared library (every compiled module's code): conformance/fhirval_native__mypyc
PURE_ENV = "CONFORMANCE_PURE_PYTHON"
BUILD_RECORD = "native_build.txt"  # the sources' digest at the build, written by setup.py beside this file
_HERE = Path(__file__).resolve().parent
_log = logging.getLogger(__name__)

MODE = "source"  # what decide() found: "compiled", or why the sources run
_decided = False


def _extensions(folder: Path) -> dict[str, Path]:
    """Every extension module in ``folder``, by module name."""
    out: dict[str, Path] = {}
    seen: set[Path] = set()
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:  # the most specific first (".cpython-311-...so", ".so")
        for path in sorted(folder.glob(f"*{suffix}")):
            if path not in seen:
                seen.add(path)
                out.setdefault(path.name[:-len(suffix)], path)
    return out


def sources_digest(package: Path) -> str:
    """SHA-256 over the sources a build depends on: this package's modules and the top-level modules of
    ``conformance`` (``package``'s parent) that they import (validation, outcome, safejson...)."""
    digest = hashlib.sha256()
    for path in sorted([*package.glob("*.py"), *package.parent.glob("*.py")]):
        digest.update(f"{path.parent.name}/{path.name}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def mode_for(folder: Path, names: Sequence[str], group_lib: Path | None, pure: bool) -> str:
    """"compiled", or the reason the sources must run: asked for, not built, built in part or for another list
    of modules, or from other sources than these (the recorded digest differs: an edit, a checkout or a merge
    after the build)."""
    if pure:
        return f"source ({PURE_ENV} is set)"
    built = _extensions(folder)
    if not built:
        return "source (not compiled: no C compiler or Python headers when installed, or built without them)"
    if set(built) != set(names) or group_lib is None:
        return "source (the compiled build is incomplete or for other modules: reinstall with `pip install -e .`)"
    record = folder / BUILD_RECORD
    recorded = record.read_text(encoding="ascii").strip() if record.is_file() else ""
    if recorded != sources_digest(folder):
        return "source (the sources changed since the compiled build: rebuild with `pip install -e .`)"
    return "compiled"


def source_names(folder: Path, names: Sequence[str]) -> set[str]:
    """The modules the finder loads from source: the listed ones and any other with an extension here (one dropped
    from the list since the build: its old extension would otherwise still be imported, and fail)."""
    return {*names, *(name for name in _extensions(folder) if (folder / f"{name}.py").is_file())}


class _SourceFirst(importlib.abc.MetaPathFinder):
    """Loads the listed modules from their ``.py``, ahead of the extension beside them."""

    def __init__(self, folder: Path, names: Iterable[str]) -> None:
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
    MODE = mode_for(_HERE, COMPILED, _extensions(_HERE.parent).get(f"{GROUP}__mypyc"), pure)
    if MODE != "compiled":  # the listed modules, and any other built here (one since dropped from the list)
        sys.meta_path.insert(0, _SourceFirst(_HERE, source_names(_HERE, COMPILED)))
        if "changed" in MODE or "incomplete" in MODE:  # a developer's tree: the right code runs, only slower
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
