"""The file drop destination, for batch tools: deliveries appended to one file per UTC day,
`<path>/<destination>-YYYY-MM-DD.jsonl` (one envelope per line) or `.csv` (columns `id`,
`type`, `occurred_at`, `profile_id`, `email`, `data` as JSON).

Each batch is written and flushed to disk (fsync) before its deliveries count as delivered. A
worker that dies between the write and the record of it writes those lines again on its
next try; readers dedupe on `id`, the delivery's idempotency key.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path

import orjson

from cdp.activation._sender import Outcome, Outgoing
from cdp.types import utcnow

__all__ = ["CSV_COLUMNS", "FileDropSender"]

CSV_COLUMNS = ("id", "type", "occurred_at", "profile_id", "email", "data")


class FileDropSender:
    def __init__(self, directory: Path, name: str, file_format: str = "jsonl") -> None:
        self.directory = directory
        self.name = name
        self.format = file_format

    def path_for_today(self) -> Path:
        return self.directory / f"{self.name}-{utcnow().date().isoformat()}.{self.format}"

    def send(self, items: Sequence[Outgoing]) -> list[Outcome]:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.path_for_today()
            is_new = not path.exists()
            data = self._jsonl(items) if self.format == "jsonl" else self._csv(items, is_new)
            with path.open("ab") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            return [Outcome("retry", f"cannot write to {str(self.directory)!r}: {exc}")] * len(
                items
            )
        return [Outcome("delivered")] * len(items)

    @staticmethod
    def _jsonl(items: Sequence[Outgoing]) -> bytes:
        return b"".join(orjson.dumps(item.envelope()) + b"\n" for item in items)

    @staticmethod
    def _csv(items: Sequence[Outgoing], with_header: bool) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        if with_header:
            writer.writerow(CSV_COLUMNS)
        for item in items:
            profile = item.profile or {}
            writer.writerow(
                [
                    item.key,
                    item.topic,
                    item.changed_at.isoformat(),
                    profile.get("id", ""),
                    profile.get("email") or "",
                    orjson.dumps(dict(item.data)).decode(),
                ]
            )
        return out.getvalue().encode()

    def close(self) -> None:
        return None
