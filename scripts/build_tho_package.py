"""Build an ``hl7.terminology.r4`` package archive from HL7's UTG source at a given commit.

    .venv/bin/python scripts/build_tho_package.py --utg <git dir or checkout of github.com/HL7/UTG>
        --commit <sha> --version <x.y.z> --out <file.tgz> [--allow-missing]

Why: HL7's validator test runner loads the THO release that fhir-test-cases' manifest names
(``versions.terminology``, 6.5.0 at the pinned commit), while the registries reachable here hold only a
later release (7.0.1). Releases differ in codes, displays and in which code systems THO carries at all
(7.0.0 dropped 318 code systems, all ``not-present`` stubs, among them v2 tables that then fall back to base R4's 2019
copies), so the agreement bench judged some codes against other terminology than HL7's runner did.
THO's source of truth (``input/sourceOfTruth``, FHIR XML) is public in HL7/UTG with its history; the
release's content is the source at the commit the release was published from.

Only CodeSystems and ValueSets are written (the validator's terminology layer reads nothing else from
THO), in R4 JSON, named as the published package names them (``CodeSystem-<id>.json``), with an ``.index.json``
as the publisher writes one (the registry's copy of 7.0.1 lacks it, so that copy's code systems whose URL is
not ``http://terminology.hl7.org/CodeSystem/<id>`` cannot be found by it). The conversion is the project's own
FHIR XML reader against base R4's definitions. Checked: the source at the 7.0.1 publication commit (db4c8bbd0)
gives every CodeSystem and ValueSet of the published 7.0.1 package, with the same concepts, displays,
``content``, ``caseSensitive`` and ValueSet ``compose``.

Nothing of THO is kept in this repository; the archive is written where ``--out`` says.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import subprocess
import sys
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conformance.fhirval.base import base_source  # noqa: E402
from conformance.fhirval.xml import xml_to_json  # noqa: E402

FOLDERS = ("input/sourceOfTruth", "input/resources")
KINDS = ("CodeSystem", "ValueSet")
CANONICAL = "http://terminology.hl7.org"


def _git(git_dir: str, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], capture_output=True, check=True).stdout


def source_files(utg: Path, commit: str) -> tuple[list[tuple[str, bytes]], list[str]]:
    """(path, bytes) of every XML/JSON file under THO's source folders at ``commit``, and the paths whose
    content the repository copy lacks (a snapshot may leave its largest blobs out)."""
    git_dir = str(utg / ".git") if (utg / ".git").exists() else str(utg)
    listing = _git(git_dir, "ls-tree", "-r", "-z", commit, *FOLDERS)
    wanted: list[tuple[str, str]] = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, path = record.split(b"\t", 1)
        _, kind, blob = meta.split()
        name = path.decode()
        if kind == b"blob" and name.endswith((".xml", ".json")):
            wanted.append((blob.decode(), name))
    reader = subprocess.Popen(["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert reader.stdin is not None and reader.stdout is not None
    found: list[tuple[str, bytes]] = []
    missing: list[str] = []
    try:
        for sha, name in wanted:
            reader.stdin.write(sha.encode() + b"\n")
            reader.stdin.flush()
            header = reader.stdout.readline().split()
            if not header or header[-1] == b"missing":
                missing.append(name)
                continue
            data = reader.stdout.read(int(header[2]))
            reader.stdout.read(1)
            found.append((name, data))
    finally:
        reader.stdin.close()
        reader.wait()
    return found, missing


@dataclass
class Built:
    """What the source gave: package file name -> R4 JSON resource, and what was noticed on the way."""

    members: dict[str, dict[str, object]] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)  # source files that are not FHIR (a manifest, a note)
    repeated: list[str] = field(default_factory=list)  # package files two source files gave (the last kept)
    filled: list[str] = field(default_factory=list)  # id or url filled in as the publisher fills them
    no_id: list[str] = field(default_factory=list)  # neither an id nor a file name to take one from: left out


def resources(files: list[tuple[str, bytes]]) -> Built:
    """The CodeSystems and ValueSets of the source. As the IG publisher does, a resource without an ``id`` takes it
    from its file name (``ValueSet-<id>.xml``) and one without a ``url`` gets ``<canonical>/<type>/<id>``; a
    package file name that two source files give keeps the last in path order (at 7.0.1's commit that choice gives
    the published package's content)."""
    source = base_source()
    built = Built()
    for name, data in files:
        try:
            res = json.loads(data) if name.endswith(".json") else xml_to_json(data, source)
        except ValueError:  # FhirXmlError and JSONDecodeError: a source file that is not FHIR is only reported
            built.unreadable.append(name)
            continue
        if not isinstance(res, dict) or res.get("resourceType") not in KINDS:
            continue
        kind = str(res["resourceType"])
        stem = Path(name).stem
        if not isinstance(res.get("id"), str):
            if not stem.startswith(kind + "-"):
                built.no_id.append(name)
                continue
            res["id"] = stem[len(kind) + 1:]
            built.filled.append(name)
        if not isinstance(res.get("url"), str):
            res["url"] = f"{CANONICAL}/{kind}/{res['id']}"
            built.filled.append(name)
        member = f"{kind}-{res['id']}.json"
        if member in built.members:
            built.repeated.append(member)
        built.members[member] = res
    return built


def write_archive(out: Path, version: str, members: dict[str, dict[str, object]]) -> None:
    """The package archive, with an ``.index.json`` as the publisher writes one (the registry's copies may lack it):
    HL7's validator finds every canonical by its url, so ours must be able to, whatever the file is called.
    Members carry no time stamp, so the same source gives the same archive."""
    manifest = {"name": "hl7.terminology.r4", "version": version, "type": "IG", "fhirVersions": ["4.0.1"],
                "canonical": CANONICAL, "dependencies": {"hl7.fhir.r4.core": "4.0.1"},
                "description": "Built from HL7/UTG's source by scripts/build_tho_package.py (CodeSystems and "
                               "ValueSets only)"}
    index = {"index-version": 2, "files": [
        {"filename": name, "resourceType": body["resourceType"], "id": body["id"], "url": body["url"],
         **({"version": body["version"]} if isinstance(body.get("version"), str) else {})}
        for name, body in sorted(members.items())]}
    with out.open("wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as packed, \
            tarfile.open(fileobj=packed, mode="w") as archive:
        for name, body in [("package.json", manifest), (".index.json", index), *sorted(members.items())]:
            data = json.dumps(body, ensure_ascii=False).encode()
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--utg", type=Path, required=True, help="a git directory or checkout of HL7/UTG")
    parser.add_argument("--commit", required=True, help="the commit the release was published from")
    parser.add_argument("--version", required=True, help="the release's version, written to package.json")
    parser.add_argument("--out", type=Path, required=True, help="the .tgz to write")
    parser.add_argument("--allow-missing", action="store_true",
                        help="write the archive even when source files are absent from the repository copy")
    args = parser.parse_args(argv)
    try:
        files, missing = source_files(args.utg, args.commit)
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"cannot read {args.commit} in {args.utg}: {exc}", file=sys.stderr)
        return 2
    # a snapshot may leave its largest files out; a history bundle is no CodeSystem or ValueSet, anything else may be
    lacking = [m for m in missing if "/history/" not in m]
    if lacking and not args.allow_missing:
        print(f"{len(lacking)} source files are absent from {args.utg} ({lacking[:5]}): the archive would lack what "
              "they hold. Fetch a complete copy, or give --allow-missing to build without them.", file=sys.stderr)
        return 3
    built = resources(files)
    write_archive(args.out, args.version, built.members)
    kinds = {k: sum(1 for n in built.members if n.startswith(k + "-")) for k in KINDS}
    print(f"{args.out}: {kinds['CodeSystem']} CodeSystems, {kinds['ValueSet']} ValueSets from {len(files)} source "
          f"files at {args.commit}; {len(missing)} absent from the repository copy {missing[:5]}; "
          f"{len(built.unreadable)} not FHIR {built.unreadable[:5]}; {len(built.repeated)} given twice (the last "
          f"kept) {built.repeated[:5]}; {len(built.filled)} with an id or url filled in {built.filled[:5]}; "
          f"{len(built.no_id)} left out for want of an id {built.no_id[:5]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
