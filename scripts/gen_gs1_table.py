#!/usr/bin/env python3
"""Generate the project's GS1 AI table from the GS1 Barcode Syntax Dictionary.

    .venv/bin/python scripts/gen_gs1_table.py [--source ../shared/data/gs1/gs1-syntax-dictionary.txt]

Writes conformance/gs1/data/ai-table.json: one entry per AI (ranges such as 3100-3105 expanded) with
its title, the "*" (predefined length, no FNC1 needed) and "?" (Digital Link data attribute) flags,
its components (character set N/X/Y/Z, length bounds, optional, linters such as csum, csumalpha,
yymmd0), mandatory associations (req=), invalid pairings (ex=) and Digital Link primary-key
qualifier sequences (dlpkey=). Re-run after a new dictionary release; the output is committed.
At run time a user can instead point at a newer file: ``conformance.gs1.load_dictionary(path)``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from conformance.gs1.dictionary import load_dictionary

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "gs1" / "gs1-syntax-dictionary.txt"
OUTPUT = ROOT / "conformance" / "gs1" / "data" / "ai-table.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="Syntax Dictionary text file")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    table = load_dictionary(args.source)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(table.to_json(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{args.output}: {len(table.entries)} AIs from {table.source}")


if __name__ == "__main__":
    main()
