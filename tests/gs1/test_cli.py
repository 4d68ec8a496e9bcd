"""``conformance validate gs1``: exit codes, human lines, JSON in input order."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from conformance.cli import main


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", "gs1", *args])
    return result.exit_code, result.output


def test_valid_text_exits_0() -> None:
    code, out = run("(01)09501101530003(17)250100")
    assert code == 0 and out.startswith("valid")


def test_invalid_text_exits_1_one_line_per_issue() -> None:
    code, out = run("(01)09501101530004(17)251301", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["valid"] is False and len(data["outcome"]["issue"]) == 2
    code, out = run("(01)09501101530004(17)251301")
    assert len([line for line in out.splitlines() if line.strip().startswith("error:")]) == 2


def test_usage_exits_2() -> None:
    assert run()[0] == 2
    assert run("x", "--file", "y")[0] == 2
    assert run("--file", "/nonexistent/file")[0] == 2


def test_file_keeps_gs_and_order(tmp_path: Path) -> None:
    path = tmp_path / "scans.txt"
    path.write_bytes(b"]d2010950110153000310AB\x1d21X\r\n(10)A\nhttps://id.gs1.org/01/09501101530003\n")
    code, out = run("--file", str(path), "--json")
    data = json.loads(out)
    assert code == 1
    assert [row["id"] for row in data] == ["line 1", "line 2", "line 3"]
    assert [row["valid"] for row in data] == [True, False, True]
    assert data[0]["ais"]["21"] == "X" and data[0]["input"].endswith("\x1d21X")


def test_convert_option() -> None:
    code, out = run("^0109501101530003^10AB/1", "--to", "digital-link", "--json")
    assert code == 0
    assert json.loads(out)["converted"] == {"digital-link": "https://id.gs1.org/01/09501101530003/10/AB%2F1"}
