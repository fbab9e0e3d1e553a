"""What a mapping's files hold before they are read: the columns of a CSV header, or the keys
of the first records of a JSON Lines file (`MappingAdapter.check_files`)."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from itertools import islice
from pathlib import Path

from ingest.errors import AdapterConfigError
from ingest.fields import get_path

__all__ = ["missing_columns"]

# JSON Lines records are sparse: a column counts as present when one of the first records has it.
_SAMPLE = 1000


def missing_columns(
    path: Path, file_format: str, columns: Sequence[str]
) -> tuple[list[str], list[str]]:
    """(the `columns` the file lacks, the columns it has); a file that does not exist fails."""
    if not path.is_file():
        raise AdapterConfigError(f"no such file: {str(path)!r}")
    if file_format == "csv":
        present = _csv_header(path)
        return [c for c in columns if c not in present], present
    records = _jsonl_sample(path)
    if not records:
        return [], []
    missing = [c for c in columns if not any(_has(record, c) for record in records)]
    keys = list(dict.fromkeys(str(k) for record in records for k in record))
    return missing, keys


def _csv_header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="", errors="replace") as handle:
        return next(csv.reader(handle), [])


def _jsonl_sample(path: Path) -> list[dict[str, object]]:
    records = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in islice((line for line in handle if line.strip()), _SAMPLE):
            try:
                value = json.loads(line)
            except (json.JSONDecodeError, RecursionError):
                continue  # quarantined when the file is read
            if isinstance(value, dict):
                records.append(value)
    return records


def _has(record: dict[str, object], column: str) -> bool:
    return column in record or get_path(record, column) is not None
