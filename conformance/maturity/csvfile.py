"""Reading the CSV files people give us (organisations, self-assessments), strictly and with places.

Every problem is an ``InputError`` reading ``FILE:LINE: column: why`` so a commissioner can fix the
spreadsheet cell; callers check every row before returning any, so nothing is imported half-way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from conformance.errors import ConfigError


class InputError(ConfigError, ValueError):
    """``FILE:LINE: column: why``."""


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a CSV file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def rows(path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) for each record, values stripped; the line is where the record starts. The header
    must name every required column, may name the optional ones, and nothing else."""
    reader = csv.reader(io.StringIO(read_text(path), newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError(f"{path}: empty file (expected the header {','.join(required + optional)})") from None
    except csv.Error as exc:
        raise InputError(f"{path}:1: not CSV: {exc}") from None
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"{path}:1: missing column(s) {', '.join(missing)} "
                         f"(expected {','.join(required + optional)})")
    for name in header:
        if name not in required + optional:
            raise InputError(f"{path}:1: column {name!r}: unknown (expected {','.join(required + optional)})")
        if header.count(name) > 1:
            raise InputError(f"{path}:1: column {name!r}: appears twice")
    start = reader.line_num + 1
    count = 0
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(f"{path}:{start}: not CSV: {exc}") from None
        line, start = start, reader.line_num + 1
        if not any(v.strip() for v in values):
            continue  # a blank line
        if len(values) > len(header):
            raise InputError(f"{path}:{line}: {len(values)} fields, but the header names {len(header)}")
        row = {name: (values[n].strip() if n < len(values) else "") for n, name in enumerate(header)}
        for name in required:
            if not row[name]:
                raise InputError(f"{path}:{line}: {name}: empty")
        count += 1
        yield line, row
    if not count:
        raise InputError(f"{path}: no rows after the header")
