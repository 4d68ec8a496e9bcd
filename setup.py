"""Build hook: the FHIR validator's hot path compiled with mypyc (why: conformance/fhirval/native.py).

Everything else about the package is declared in pyproject.toml. The compiled build is an optimisation, never a
requirement: with no C compiler or Python headers, or with CONFORMANCE_PURE_PYTHON=1 set, the install goes on
without extensions and the same modules run from source (native.py decides which at import time).
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "conformance" / "fhirval"
NATIVE = runpy.run_path(str(PACKAGE / "native.py"))  # COMPILED, GROUP, BUILD_RECORD, sources_digest (stdlib only)


# setuptools runs this file for metadata too (egg_info, dist_info: pip's "getting requirements" and "preparing
# metadata" steps); compiling is for the build commands only.
_METADATA_ONLY = {"egg_info", "dist_info"}


def ext_modules() -> list[Any]:
    if os.environ.get("CONFORMANCE_PURE_PYTHON", "") not in ("", "0") or _METADATA_ONLY.issuperset(sys.argv[1:2]):
        return []
    paths = [f"conformance/fhirval/{name}.py" for name in NATIVE["COMPILED"]]
    try:
        from mypyc.build import mypycify

        # The build's isolated environment lacks the third-party packages (fhirpathpy...), which mypy then takes as
        # Any: ignores written for their stubs are unused there, and a class derived from one derives from Any.
        relaxed = ["--no-warn-unused-ignores", "--allow-subclassing-any"]
        extensions = mypycify([*relaxed, *paths], opt_level="3", group_name=f"conformance.{NATIVE['GROUP']}")
    except BaseException as exc:  # noqa: BLE001 - mypyc exits (SystemExit) on a type error; the compile is optional
        print(f"conformance: not compiling the validator's hot path ({exc!r}); the sources will run", file=sys.stderr)
        return []
    for extension in extensions:
        extension.optional = True  # a compiler error is a warning: native.py then sees the build incomplete
    return extensions


class RecordedBuild(build_ext):  # type: ignore[misc]  # setuptools is untyped here
    """build_ext that records what the build was made from (native.py's ``native_build.txt``: the sources' digest),
    once every extension is built and only then. In place (an editable install) the old extensions and record are
    removed first, so a compile that fails (each extension is optional) leaves the sources to run, never the last
    build under a record that names the new sources."""

    def run(self) -> None:
        record = NATIVE["BUILD_RECORD"]
        digest = NATIVE["sources_digest"](PACKAGE)  # the sources as the compile reads them
        in_tree = [HERE / self.get_ext_filename(ext.name) for ext in self.extensions]
        if self.inplace:
            (PACKAGE / record).unlink(missing_ok=True)
            for path in in_tree:
                path.unlink(missing_ok=True)
        super().run()
        out = Path(self.build_lib)
        built = in_tree if self.inplace else [out / self.get_ext_filename(ext.name) for ext in self.extensions]
        if self.extensions and all(path.is_file() for path in built):
            where = PACKAGE if self.inplace else out / "conformance" / "fhirval"
            (where / record).write_text(digest + "\n", encoding="ascii")
        elif self.extensions:
            print("conformance: the validator's hot path did not compile; the sources will run", file=sys.stderr)


setup(ext_modules=ext_modules(), cmdclass={"build_ext": RecordedBuild})
