"""Rows of numbers as CSV or JSON: the one writer of every table the product exports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import TextIO

FORMATS = ("csv", "json")


class RowWriter:
    """Streams rows (dicts with the keys ``fields``) as CSV (header first) or as one JSON array."""

    def __init__(self, out: TextIO, fields: Sequence[str], fmt: str = "csv") -> None:
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
        self.out, self.fmt, self.count = out, fmt, 0
        if fmt == "csv":
            self._csv = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
            self._csv.writeheader()
        else:
            out.write("[")

    def write(self, rows: Sequence[dict]) -> None:
        for row in rows:
            if self.fmt == "csv":
                self._csv.writerow(row)
            else:
                self.out.write(("," if self.count else "") + "\n" + json.dumps(row))
            self.count += 1

    def close(self) -> None:
        if self.fmt == "json":
            self.out.write("\n]\n" if self.count else "]\n")
        self.out.flush()


def rows_text(rows: Sequence[dict], fields: Sequence[str], fmt: str = "csv") -> str:
    """Rows as CSV (header included) or JSON text."""
    out = io.StringIO()
    writer = RowWriter(out, fields, fmt)
    writer.write(rows)
    writer.close()
    return out.getvalue()
