"""The R4 examples package (``hl7.fhir.r4.examples``, a dependency of SDC) copies the core definitions: as in HL7's
validator (CanonicalResourceManager.see skips a canonical already loaded when it comes from an examples package),
its copies never replace the base's, while its example-only canonicals are found; and a package archive is read
once per process."""

from __future__ import annotations

from pathlib import Path

from conformance.fhirval.base import base_source
from conformance.fhirval.layered import load_definitions
from conformance.fhirval.packages import PackageCache, read_tgz
from tests.fhirval.test_definitions_packages import make_tgz, value_set

GENDER = "http://hl7.org/fhir/ValueSet/administrative-gender"


def test_examples_package_never_replaces_a_base_definition(tmp_path: Path) -> None:
    copy = {**value_set(GENDER), "title": "example copy"}
    only = {**value_set("http://hl7.org/fhir/ValueSet/example-only"), "title": "example only"}
    examples = make_tgz(tmp_path / "hl7.fhir.r4.examples-4.0.1.tgz", {
        "package/package.json": {"name": "hl7.fhir.r4.examples", "version": "4.0.1"},
        "package/ValueSet-gender.json": copy, "package/ValueSet-only.json": only})
    manifest = {"name": "an.ig", "version": "1.0.0", "dependencies": {"hl7.fhir.r4.examples": "4.0.1"}}
    ig = make_tgz(tmp_path / "ig.tgz", {
        "package/package.json": manifest,
        "package/ValueSet-only.json": {**only, "title": "the ig's"}})
    source = load_definitions([ig], cache=PackageCache(tmp_path))
    assert source.warnings == []
    assert source.value_set(GENDER) is base_source().value_set(GENDER)
    assert (source.value_set("http://hl7.org/fhir/ValueSet/example-only") or {})["title"] == "the ig's"
    source = load_definitions([examples], cache=PackageCache(tmp_path))
    assert (source.value_set("http://hl7.org/fhir/ValueSet/example-only") or {})["title"] == "example only"
    assert read_tgz(examples) is read_tgz(examples)  # unpacked once
