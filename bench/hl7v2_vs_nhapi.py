#!/usr/bin/env python3
"""Where the standard this validator loads (hl7apy, with standard.py's corrections) differs from HL7's
database, as nHapi's generated segment classes carry it: fields that repeat or are optional there.

    .venv/bin/python bench/hl7v2_vs_nhapi.py PATH   # a checkout or bare clone of nHapiNET/nHapi

Each difference is a field this validator may hold too strictly (a false alarm class); the review of
issue 16 found 32 v2.3 repetitions, v2.4 OBX-8/10/16, and v2.3.1/v2.7 OBX-2/4 this way. One known
disagreement remains on purpose: v2.3 OBR-27 (R in hl7apy and HL7's v2.3 XML definitions, O in nHapi).
"""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

from conformance.hl7v2.standard import VERSIONS, load

ADD = re.compile(r"this\.add\(typeof\((\w+)\),\s*(true|false),\s*(\d+),")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("nhapi", type=Path)
    args = parser.parse_args()
    for version in VERSIONS:
        folder = f"src/NHapi.Model.V{version.replace('.', '')}/Segment/"
        names = git(args.nhapi, "ls-tree", "--name-only", "HEAD", folder).split()
        if not names:
            continue
        std, looser = load(version), []
        for name in names:
            seg = Path(name).stem
            leaves = std.segments.get(seg)
            adds = ADD.findall(git(args.nhapi, "show", f"HEAD:{name}"))
            if leaves is None or len(adds) != len(leaves):
                continue  # a segment laid out differently: not comparable field by field
            for n, ((_, required, reps), leaf) in enumerate(zip(adds, leaves, strict=True), 1):
                if leaf.datatype == "WD":
                    continue
                if int(reps) != 1 and leaf.max == 1:
                    looser.append(f"{seg}-{n} repeats")
                if required == "false" and leaf.min == 1:
                    looser.append(f"{seg}-{n} optional")
        print(f"v{version}: {len(looser)} field(s) looser in HL7's database: {', '.join(looser) or '-'}")


if __name__ == "__main__":
    main()
