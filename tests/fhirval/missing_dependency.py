"""A guide whose declared dependency cannot be loaded: the shape of a harness's lack (Model.missing_dependency)."""

from __future__ import annotations

import json
from pathlib import Path

from conformance.fhirval.layered import LayeredSource, load_definitions
from conformance.fhirval.packages import PackageCache

GUIDE = "http://ig.test"  # the guide's canonical base
DEPENDENCY = "http://dep.test"  # the canonical base of example.dep, which no cache holds


def guide_folder(tmp_path: Path) -> Path:
    """``tmp_path/ig/package``: example.ig 1.0.0, depending on example.dep 1.0.0 (canonical base DEPENDENCY)."""
    folder = tmp_path / "ig" / "package"
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps({
        "name": "example.ig", "version": "1.0.0", "dependencies": {"example.dep": "1.0.0"}}))
    (folder / "ImplementationGuide-example.ig.json").write_text(json.dumps({
        "resourceType": "ImplementationGuide", "packageId": "example.ig", "url": f"{GUIDE}/ImplementationGuide/x",
        "dependsOn": [{"uri": f"{DEPENDENCY}/ImplementationGuide/dep", "packageId": "example.dep",
                       "version": "1.0.0"}]}))
    return folder


def loaded(tmp_path: Path) -> LayeredSource:
    """The guide of guide_folder (with what was written into it since) loaded from an empty package cache."""
    return load_definitions([tmp_path / "ig"], cache=PackageCache(tmp_path / "empty-cache"))
