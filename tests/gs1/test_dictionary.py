"""The AI table: generated from the Syntax Dictionary, and loadable from a newer dictionary file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.gs1 import DictionaryError, default_table, load_dictionary, validate
from conformance.gs1.dictionary import parse_dictionary
from tests.shared_data import SHARED_DATA

ROOT = Path(__file__).resolve().parents[2]
SOURCE = SHARED_DATA / "gs1" / "gs1-syntax-dictionary.txt"
needs_source = pytest.mark.skipif(not SOURCE.exists(), reason="shared GS1 dictionary not present")


@needs_source
def test_committed_table_matches_the_dictionary(tmp_path: Path) -> None:
    out = tmp_path / "ai-table.json"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_gs1_table.py"), "--output", str(out)],
                   check=True, cwd=ROOT, capture_output=True)
    committed = ROOT / "conformance" / "gs1" / "data" / "ai-table.json"
    assert json.loads(out.read_text()) == json.loads(committed.read_text())


def test_table_facts() -> None:
    table = default_table()
    gtin = table.get("01")
    assert gtin is not None and gtin.predefined and gtin.dl_attribute and gtin.fixed_length
    assert gtin.components[0].linters[0] == "csum"
    assert gtin.dlpkey == (("22", "10", "21"), ("235",))
    assert gtin.ex == ("255", "37")
    batch = table.get("10")
    assert batch is not None and not batch.predefined and (batch.min_length, batch.max_length) == (1, 20)
    assert batch.req == ((("01",), ("02",), ("03",), ("8006",), ("8026",)),)
    assert table.get("3105") is not None and table.get("3106") is None
    assert table.get("8030") is not None and table.get("8030").components[0].cset == "Z"  # type: ignore[union-attr]
    assert table.get("17").components[0].linters == ("yymmd0",)  # type: ignore[union-attr]
    assert table.get("8041").req == ((("01", "21", "8040"),),)  # type: ignore[union-attr]
    assert len(table.entries) > 500


NEWER = """# Release: 2099-01-01
01         *?  N14,csum,gcppos2                  ex=255,37 dlpkey=22,10,21|235    # GTIN
10          ?  X..20                             req=01                            # BATCH/LOT
21             X..20                             req=01                            # SERIAL
9000        ?  N3,newlinter [X..5]               req=01                            # INVENTED
"""


def test_load_a_newer_dictionary(tmp_path: Path) -> None:
    path = tmp_path / "dict.txt"
    path.write_text(NEWER)
    table = load_dictionary(path)
    assert table.source.endswith("2099-01-01")
    result = validate("(01)09501101530003(9000)123AB", table)
    assert result.valid  # an unknown linter is information, not a silent pass nor an error
    assert any(i.defect == "not-checked" and i.severity == "information" for i in result.issues)
    assert validate("(01)09501101530003(9000)123AB").valid is False  # shipped table: no such AI


@pytest.mark.parametrize("line", ["ABC  N3", "01 *? Q5", "01 *? N..", "3105-3100 N6", "01 [N3] N3"])
def test_bad_dictionary_lines_name_the_line(line: str) -> None:
    with pytest.raises(DictionaryError, match="line 1"):
        parse_dictionary(line)


@pytest.mark.parametrize(("currency", "ok"), [("978", True), ("826", True), ("000", False), ("191", False)])
def test_currency_codes_follow_current_iso_4217(currency: str, ok: bool) -> None:
    """EUR and GBP are current; 000 was never assigned; HRK (191) was withdrawn when Croatia joined the euro."""
    result = validate(f"(01)09506000134352(3912){currency}1250")
    currency_issues = [i for i in result.issues if "ISO 4217" in i.diagnostics]
    assert (currency_issues == []) is ok
