"""Ask the machine's JDK what Java answers, row by row, for the tests that hold Java's answers as data (java_regex,
java_text, FHIRPath replaceMatches): one Java source file run as ``java Ask.java`` (Java 11+ runs a source file),
skipped with the reason when no JDK is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

_SOURCE = """{imports}
public class Ask {{
  public static void main(String[] a) throws Exception {{
    String text = new String(java.nio.file.Files.readAllBytes(java.nio.file.Paths.get(a[0])), "UTF-8");
    for (String line : text.split("\\n")) {{
      if (line.isEmpty()) continue;
      String[] c = line.split("\\t", -1);
      {per_line}
    }}
  }}
  static String hex(String s) {{
    StringBuilder b = new StringBuilder();
    for (char ch : s.toCharArray()) b.append(String.format("%04x", (int) ch));
    return b.toString();
  }}
  static String unescape(String s) {{
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i += 4) b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
    return b.toString();
  }}
}}
"""


def utf16_hex(text: str) -> str:
    """The text as Java's chars, four hex digits each (``unescape`` in the Java source reads it back)."""
    return text.encode("utf-16-be").hex()


def ask_jdk(tmp_path: Path, per_line: str, rows: list[str], imports: str = "") -> list[str]:
    """What Java prints for each row (tab-separated fields ``c[0]``, ``c[1]``... in ``per_line``, with ``hex`` and
    ``unescape`` at hand); the test is skipped when the machine has no JDK."""
    java = shutil.which("java")
    if java is None:
        pytest.skip("no JDK on this machine: the table holds Java 17's answers (Debian: default-jdk-headless to "
                    "re-check it live)")
    (tmp_path / "Ask.java").write_text(_SOURCE.format(imports=imports, per_line=per_line), encoding="utf-8")
    (tmp_path / "rows.txt").write_text("".join(f"{row}\n" for row in rows), encoding="utf-8")
    done = subprocess.run([java, str(tmp_path / "Ask.java"), str(tmp_path / "rows.txt")], capture_output=True,
                          text=True, timeout=120, check=True)
    return done.stdout.split("\n")[:-1]
