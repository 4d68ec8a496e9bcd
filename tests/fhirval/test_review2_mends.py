"""Mends the second review of the issue-21 validator work confirmed: a race in the THO archive reader, closed
slicing's shared min, crashes on malformed definitions, a broken default package, the order of response items,
semver prereleases, displays of a code in another case, one set of definitions for CLI, service and suite.
Each test fails without its mend."""

from __future__ import annotations

import json
import logging
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.fhirval import terminology_packages
from conformance.fhirval.base import base_source
from conformance.fhirval.bindings import Terminology
from conformance.fhirval.default_packages import EXTENSIONS_R4, with_defaults
from conformance.fhirval.layered import LayeredSource
from conformance.fhirval.packages import PackageCache, _version_key
from conformance.fhirval.snapshot import apply_differential
from conformance.fhirval.source import MemorySource
from conformance.fhirval.terminology_packages import ArchivePackage
from conformance.fhirval.validate import validate_resource
from tests.fhirval.test_agreement_classes import errors
from tests.fhirval.test_default_packages import LATER, extensions_package
from tests.fhirval.test_definitions_packages import make_tgz

FHIR = "http://hl7.org/fhir/StructureDefinition/"
V2 = "http://terminology.hl7.org/CodeSystem/v2-0203"
DIV = {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'}


# ---- 1. the THO archive read by two threads at once ---------------------------------------------------------

def _tho(tmp_path: Path) -> Path:
    cs = {"resourceType": "CodeSystem", "url": V2, "status": "active", "content": "complete",
          "concept": [{"code": "FGN"}]}
    return make_tgz(tmp_path / "tho.tgz", {"package/package.json": {"name": "hl7.terminology.r4", "version": "7.0.1"},
                                           "package/CodeSystem-v2-0203.json": cs})


def test_a_lookup_while_another_thread_reads_the_archive_waits_and_finds_the_code(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started, go = threading.Event(), threading.Event()
    real_open = tarfile.open

    class Slow:  # a tarfile whose reading pauses after its first member until the test says go
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.tar = real_open(*args, **kwargs)

        def __enter__(self) -> Slow:
            return self

        def __exit__(self, *exc: object) -> None:
            self.tar.close()

        def __iter__(self) -> Iterator[tarfile.TarInfo]:
            for n, member in enumerate(self.tar):
                yield member
                if n == 0:
                    started.set()
                    go.wait(30)

        def extractfile(self, member: tarfile.TarInfo) -> Any:
            return self.tar.extractfile(member)

    archive = _tho(tmp_path)
    monkeypatch.setattr(terminology_packages.tarfile, "open", Slow)
    package = ArchivePackage(archive)
    reader = threading.Thread(target=package.member, args=("package.json",))
    reader.start()
    assert started.wait(30)
    got: list[Any] = []
    asker = threading.Thread(target=lambda: got.append(package.code_system(V2)))
    asker.start()
    asker.join(0.5)  # before the mend the half-filled table answered (a miss, cached) at once
    go.set()
    reader.join()
    asker.join()
    assert got and got[0] is not None and got[0]["url"] == V2
    assert package.code_system(V2) is not None


def test_two_reads_of_one_archive_file_both_find_it(tmp_path: Path) -> None:
    package = ArchivePackage(_tho(tmp_path))
    assert package._resources("CodeSystem-v2-0203.json") and package._resources("CodeSystem-v2-0203.json")


def test_one_terminology_serves_threads_without_taking_anothers_expansion_for_a_self_import() -> None:
    vs = {"resourceType": "ValueSet", "url": "http://x/vs", "status": "active",
          "compose": {"include": [{"system": "http://x/cs", "concept": [{"code": "a"}]}]}}
    term = Terminology(MemorySource([vs]), find_package=False)
    term._busy.urls = {"http://x/vs"}  # this thread is expanding it (a self-import would be cut here)
    seen: list[Any] = []
    other = threading.Thread(target=lambda: seen.append(term.expand("http://x/vs")))
    other.start()
    other.join()
    assert seen[0] is not None and seen[0].complete and seen[0].codes == {"http://x/cs": {"a"}}


# ---- 2. closed slicing with several slices: they share the min ----------------------------------------------

def _authors(*names: str, rules: str = "closed") -> dict[str, Any]:
    elements: list[dict[str, Any]] = [{"id": "Composition.author", "path": "Composition.author", "slicing": {
        "discriminator": [{"type": "value", "path": "display"}], "rules": rules}}]
    for name in names:
        elements += [{"id": f"Composition.author:{name}", "path": "Composition.author", "sliceName": name},
                     {"id": f"Composition.author:{name}.display", "path": "Composition.author.display",
                      "fixedString": name.upper()}]
    return {"resourceType": "StructureDefinition", "url": "http://x/comp", "name": "C", "status": "draft",
            "kind": "resource", "abstract": False, "type": "Composition", "baseDefinition": FHIR + "Composition",
            "derivation": "constraint", "differential": {"element": elements}}


def _mins(sd: dict[str, Any]) -> dict[str, Any]:
    builder, _ = apply_differential(sd, base_source())
    return {e["id"]: e.get("min") for e in builder.elements if e["id"].startswith("Composition.author:")
            and "." not in e["id"].split(":", 1)[1]}


def test_closed_slicing_with_two_slices_makes_each_optional() -> None:
    assert _mins(_authors("a", "b")) == {"Composition.author:a": 0, "Composition.author:b": 0}
    assert _mins(_authors("a")) == {"Composition.author:a": 1}  # the one slice of a closed slicing keeps it
    sd = _authors("a", "b")
    sd["differential"]["element"][1]["min"] = 1  # the differential's own min still holds
    assert _mins(sd)["Composition.author:a"] == 1
    comp = {"resourceType": "Composition", "status": "final", "type": {"text": "t"}, "date": "2020-01-01",
            "title": "t", "author": [{"display": "A"}], "text": DIV}
    source = LayeredSource([base_source(), MemorySource([_authors("a", "b")])])
    assert [i.message for i in validate_resource(comp, source, ["http://x/comp"])
            if i.is_error and "author:b" in i.message] == []


# ---- 3. and 9. malformed definitions are judged, not crashed on ---------------------------------------------

def _sd(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "StructureDefinition", "url": "http://x/obs", "name": "O", "status": "draft",
            "kind": "resource", "abstract": False, "type": "Observation", "baseDefinition": FHIR + "Observation",
            "derivation": "constraint", "differential": {"element": [{"id": "Observation", "path": "Observation"},
                                                                    *elements]}}


@pytest.mark.parametrize("profile", [1, True, "http://x/p"])
def test_a_type_profile_that_is_no_list_is_no_crash(profile: Any) -> None:
    sd = _sd({"id": "Observation.subject", "path": "Observation.subject",
              "type": [{"code": "Reference", "profile": profile}]})
    assert errors(sd) != []  # the JSON checks report its shape


@pytest.mark.parametrize("own", [["Observation.status"], {"x": 1}])
def test_a_differential_element_id_that_is_no_string_is_no_crash(own: Any) -> None:
    sd = _sd({"id": own, "path": "Observation.status", "fixedCode": "final"})
    sd["snapshot"] = {"element": [{"id": "Observation", "path": "Observation", "min": 0, "max": "*"}]}
    assert errors(sd) != []


# ---- 4. a default package that cannot be read ---------------------------------------------------------------

def test_a_broken_extensions_package_is_warned_of_once_and_left_out(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / f"{EXTENSIONS_R4}#5.2.0" / "package").mkdir(parents=True)  # no package.json
    cache = PackageCache(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert with_defaults((), cache) is base_source()
        assert with_defaults((), cache) is base_source()
    assert len([r for r in caplog.records if "cannot be read" in r.getMessage()]) == 1


# ---- 5. response items out of order: one error per item moved -----------------------------------------------

def test_one_item_moved_is_one_order_error() -> None:
    q = {"resourceType": "Questionnaire", "id": "q1", "status": "active",
         "item": [{"linkId": k, "type": "string"} for k in "abc"]}
    qr = {"resourceType": "QuestionnaireResponse", "status": "completed", "questionnaire": "#q1", "contained": [q],
          "item": [{"linkId": k, "answer": [{"valueString": "x"}]} for k in "cab"]}
    assert len([e for e in errors(qr) if e[0] == "questionnaire"]) == 1


# ---- 6. a release is newer than its prereleases -------------------------------------------------------------

def test_versions_sort_by_semver_precedence() -> None:
    order = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",
             "1.0.0", "5.3.0-ballot-tc1", "5.3.0", "5.3.1-cibuild", "10.0.0"]
    assert sorted(reversed(order), key=_version_key) == order


def test_the_cache_prefers_the_release_to_its_ballot(tmp_path: Path) -> None:
    extensions_package(tmp_path, "5.3.0-ballot-tc1")
    release = extensions_package(tmp_path, "5.3.0")
    assert PackageCache(tmp_path).find(EXTENSIONS_R4) == release


# ---- 7. a code found in another case keeps its display checked ----------------------------------------------

def test_the_display_of_a_code_in_another_case_is_the_concepts() -> None:
    cs = {"resourceType": "CodeSystem", "url": "http://x/cs", "status": "active", "content": "complete",
          "concept": [{"code": "ABC", "display": "Alpha"}]}
    term = Terminology(MemorySource([cs]), find_package=False)
    assert term.code_in_system("http://x/cs", "abc") is True
    assert (term.concept("http://x/cs", "abc") or {}).get("display") == "Alpha"
    cs["caseSensitive"] = True
    sensitive = Terminology(MemorySource([cs]), find_package=False)
    assert sensitive.concept("http://x/cs", "abc") is None


# ---- 8. the web service and the fhir-profiles suite take the CLI's defaults ---------------------------------

def test_service_and_suite_load_the_default_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conformance.service.validate import check
    from suites.fhir_profiles.judge import definitions

    extensions_package(tmp_path)
    monkeypatch.setenv("FHIR_PACKAGE_CACHE", str(tmp_path))
    patient = {"resourceType": "Patient", "text": DIV, "extension": [{"url": LATER, "valueString": "x"}]}
    valid, outcome = check("fhir", json.dumps(patient))
    assert not valid, outcome  # the package's extension takes a boolean
    assert definitions([]).structure(LATER) is not None
    monkeypatch.setenv("FHIR_PACKAGE_CACHE", str(tmp_path / "empty"))
    assert check("fhir", json.dumps(patient))[0]  # without it: not judged, as the CLI
