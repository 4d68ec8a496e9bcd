"""Missed errors: HL7's own verdicts (an IG publisher's ``qa.txt``) that ours does not reach, by HL7 message id.

    .venv/bin/python bench/fhir_qa_missed.py --qa QA.txt --examples PATH [--examples PATH ...] [--package SPEC ...]
        [--package-cache DIR] [--messages Messages.properties] [--jobs N] [--show K]

A guide's repository that commits the publisher's output has ``qa.txt`` beside ``package.tgz``: every message
HL7's validator gave each file (``== path ==`` then ``ERROR: Type/id: location: message``). False alarms are
counted by bench/fhir_examples_alarms.py; this counts the other way, HL7's errors we do not give (a false pass
to a buyer). Each HL7 error on a resource file is matched when ours reports an error on the same file at the
same location, or one enclosing or within it (``.ofType(X)`` and ``.value`` set aside); the rest are grouped
by the HL7 message id whose template (``Messages.properties`` of org.hl7.fhir.utilities, given with
``--messages``; read, not kept here) matches the text, ``?`` for the publisher's own messages. Files and
packages are loaded as bench/fhir_examples_alarms.py loads them; the IG publisher has the guide's examples in
its context too, so a guide's ``package/example`` folder belongs in ``--package`` as well as ``--examples``
(a QuestionnaireResponse's Questionnaire is often an example). Mind the publisher's version (``qa.txt``'s
third line): a rule newer or older than HL7's HEAD, or a terminology server's answer, may explain a miss.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fhir_examples_alarms import Error, errors_in, files, load, map_loaded

Hl7Error = tuple[str, str, str]  # file name, location, message
_SECTION = re.compile(r"^== (.*) ==$")
_PARTICULARS = re.compile(r"linkId \S+|'[^']*'|\"[^\"]*\"|\b(?:https?|urn):\S+|\d+")
_NOT_LOCATION = re.compile(r"\.ofType\(\w+\)|\.value(?=\.|$)")


def read_qa(text: str) -> list[Hl7Error]:
    """The ERRORs qa.txt gives each resource file (``X.json`` / ``X.xml``): its build and page messages are not
    about a resource and are left out."""
    found: list[Hl7Error] = []
    current = ""
    for line in text.splitlines():
        if match := _SECTION.match(line.strip()):
            current = match.group(1).replace("\\", "/").rsplit("/", 1)[-1]
        elif current.endswith((".json", ".xml")) and line.startswith("ERROR: "):
            parts = line[7:].strip().split(": ", 2)
            location, message = (parts[1], parts[2]) if len(parts) == 3 else ("", parts[-1])
            found.append((current, location, message))
    return found


def read_templates(text: str) -> list[tuple[str, re.Pattern[str]]]:
    """Messages.properties as (id, pattern), most literal text first, so that a specific template wins over
    one that is mostly placeholders; a template of fewer than 8 literal characters matches too much to name."""
    rows: list[tuple[int, str, re.Pattern[str]]] = []
    for line in text.splitlines():
        if "=" not in line or line.lstrip().startswith("#"):
            continue
        key, value = (s.strip() for s in line.split("=", 1))
        parts = re.split(r"\{\d+\}", value.replace("''", "'"))
        literal = sum(len(p) for p in parts)
        if literal >= 8:
            rows.append((literal, key, re.compile("^" + ".*?".join(re.escape(p) for p in parts) + "$", re.S)))
    rows.sort(key=lambda r: -r[0])
    return [(key, pattern) for _, key, pattern in rows]


def message_id(message: str, templates: list[tuple[str, re.Pattern[str]]]) -> str:
    return next((key for key, pattern in templates if pattern.match(message)), "?")


def _plain(location: str) -> str:
    return _NOT_LOCATION.sub("", location)


def missed(hl7: list[Hl7Error], ours: list[Error]) -> list[Hl7Error]:
    """HL7's errors that no error of ours on the same file covers (same location, enclosing or within)."""
    where: dict[str, list[str]] = collections.defaultdict(list)
    for file, _, location, _ in ours:
        where[file].append(_plain(location))
    out = []
    for file, location, message in hl7:
        at = _plain(location)
        if not at or not any(p.startswith(at) or at.startswith(p) for p in where[file]):
            out.append((file, location, message))
    return out


Templates = list[tuple[str, re.Pattern[str]]]


def table(left: list[Hl7Error], templates: Templates) -> list[tuple[int, int, str, str, Hl7Error]]:
    """(errors, files, HL7 id, message without particulars, an instance), most errors first."""
    groups: dict[tuple[str, str], list[Hl7Error]] = collections.defaultdict(list)
    for error in left:
        groups[(message_id(error[2], templates), _PARTICULARS.sub("…", error[2])[:110])].append(error)
    rows = [(len(g), len({e[0] for e in g}), k[0], k[1], g[0]) for k, g in groups.items()]
    return sorted(rows, key=lambda r: (-r[0], r[2], r[3]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--qa", type=Path, required=True, help="the publisher's qa.txt")
    parser.add_argument("--examples", type=Path, action="append", required=True, help="folder of the files")
    parser.add_argument("--package", action="append", default=[], metavar="SPEC", help="definitions (repeatable)")
    parser.add_argument("--package-cache", type=Path, metavar="DIR", help="the FHIR package cache")
    parser.add_argument("--messages", type=Path, help="HL7's Messages.properties, to name each message's id")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--show", type=int, default=0, metavar="K", help="print K instances' text (0: one)")
    args = parser.parse_args(argv)
    for warning in load(args.package, args.package_cache):
        print(f"package: {warning}")
    paths = list(files(args.examples))
    results = map_loaded(errors_in, paths, args.jobs, args.package, args.package_cache)
    ours = [e for r in results for e in r]
    names = {p.name for p in paths}
    hl7 = [e for e in read_qa(args.qa.read_text(encoding="utf-8", errors="replace")) if e[0] in names]
    left = missed(hl7, ours)
    templates = read_templates(args.messages.read_text(encoding="utf-8")) if args.messages else []
    print(f"files: {len(paths)}; our errors: {len(ours)}; HL7's errors on these files: {len(hl7)}")
    print(f"HL7's errors ours covers: {len(hl7) - len(left)}; missed: {len(left)} "
          f"(in {len({e[0] for e in left})} files)")
    print("missed by HL7 message id (errors, files, id, message):")
    for count, nfiles, key, text, (file, location, message) in table(left, templates):
        print(f"{count:6d} {nfiles:4d}  {key:40} {text}")
        print(f"{'':13}e.g. {file} {location}: {message[:200 if args.show else 120]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
