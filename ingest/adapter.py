"""The adapter base class: declare what a source is, fetch raw records, read one record.

A channel adapter declares itself in class attributes and implements two methods:

    class Reviews(Adapter):
        name = "store.reviews"         # unique registry key
        channel = "store"              # web, social, email or store
        primary_key = "review_id"      # the payload field holding the natural key
        file_format = "jsonl"          # how exported files are laid out

        def to_observation(self, record: Mapping[str, Any]) -> Observation:   # pure
            ...

`fetch(since)` is the only I/O. The base class reads files (JSON Lines, a JSON array, JSON
response pages, or CSV) given in `files`; an HTTP adapter overrides `fetch` to pull pages and
falls back to the files when some are given. `to_observation` must be pure and deterministic;
it raises `SkippableRecordError` for a malformed record. The runner owns batching, writes,
checkpoints, retries and quarantine.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

import httpx

from cdp.models import Channel
from ingest.checks import MAX_RECORD_BYTES, oversized, record_problem, utf8_problem
from ingest.codec import dumps, loads
from ingest.errors import AdapterConfigError
from ingest.fields import get_path
from ingest.observation import Observation
from ingest.records import RawRecord

__all__ = [
    "CHANNELS",
    "MAX_RECORD_BYTES",
    "Adapter",
    "FileFormat",
    "RawRecord",
    "from_text",
    "from_value",
    "records_from_page",
]

# The built-in channels (`cdp.models.Channel`: web, social, email, store, crm); `cdp.toml`
# may declare more for mapped sources (`ingest.sources.load_channels`).
CHANNELS: tuple[str, ...] = tuple(channel.value for channel in Channel)
FileFormat = Literal["jsonl", "json_array", "json_pages", "csv"]


class Adapter:
    """Base class of every channel adapter (see the module docstring and docs/adapters.md).

    Args:
        config: the source's settings from `cdp.toml` (URLs, ids, credentials).
        files: files to read instead of pulling.
        client: the `httpx.Client` HTTP adapters use (tests pass one with a MockTransport).
    """

    name: ClassVar[str]
    channel: ClassVar[str]
    primary_key: ClassVar[str]
    cursor_field: ClassVar[str | None] = None
    is_sorted: ClassVar[bool] = False
    file_format: ClassVar[FileFormat] = "jsonl"
    #: for `json_pages`: where a response page keeps its records (`orders`, `data`)
    page_records_path: ClassVar[str] = "data"
    #: JSON Lines only: a line (within the size limit) this says no to is skipped before it is
    #: parsed, as if absent; a parallel run's worker sets it to pass over other partitions' lines
    line_filter: Callable[[str], bool] | None = None

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        files: Sequence[Path] = (),
        client: httpx.Client | None = None,
    ) -> None:
        self.config: Mapping[str, Any] = dict(config or {})
        self.files = tuple(Path(path) for path in files)
        self.client = client

    # --- the two methods an adapter writes -----------------------------------------------------

    def fetch(self, since: str | None) -> Iterator[RawRecord]:
        """Yield raw records, resuming after the cursor value `since` when the source can."""
        if not self.files:
            raise AdapterConfigError(
                f"adapter {self.name!r} reads files only; give at least one file"
            )
        for path in self.files:
            yield from self.read_file(path)

    def to_observation(self, record: Mapping[str, Any]) -> Observation:
        """Interpret one raw record. Pure: no I/O, same input gives the same output."""
        raise NotImplementedError

    def on_receive(self, record: Mapping[str, Any], received_at: datetime) -> Mapping[str, Any]:
        """A pushed message as it is stored, given the time it arrived (the default: as sent).
        The quarantine keeps what was sent; this is what is read and stored."""
        return record

    # --- helpers the runner and subclasses use -------------------------------------------------

    def cursor_value(self, record: Mapping[str, Any]) -> str | None:
        if self.cursor_field is None:
            return None
        value = get_path(record, self.cursor_field)
        return None if value is None else str(value)

    def records_in_page(self, page: Mapping[str, Any]) -> list[Any]:
        """The records of one API response page (override to enrich them, e.g. X authors)."""
        records = get_path(page, self.page_records_path)
        return records if isinstance(records, list) else []

    def read_file(self, path: Path) -> Iterator[RawRecord]:
        if not path.is_file():
            raise AdapterConfigError(f"no such file: {str(path)!r}")
        if self.file_format == "jsonl":
            yield from _read_jsonl(path, self.line_filter)
            return
        readers = {
            "json_array": _read_json_array,
            "json_pages": self._read_json_page,
            "csv": _read_csv,
        }
        yield from readers[self.file_format](path)

    def _read_json_page(self, path: Path) -> Iterator[RawRecord]:
        text = _read_text(path)
        try:
            page = loads(text)
        except json.JSONDecodeError as exc:
            yield RawRecord(f"{path.name}", None, text[:MAX_RECORD_BYTES], f"malformed JSON: {exc}")
            return
        if not isinstance(page, dict) or not isinstance(
            get_path(page, self.page_records_path), list
        ):
            reason = (
                f"not a response page: expected an object with a {self.page_records_path!r} list"
            )
            yield RawRecord(path.name, None, text[:MAX_RECORD_BYTES], reason)
            return
        yield from records_from_page(self.records_in_page(page), path.name)


def records_from_page(records: Sequence[Any], where: str) -> Iterator[RawRecord]:
    for index, record in enumerate(records):
        yield from_value(record, f"{where}#{index}", dumps(record))


def from_value(value: Any, position: str, raw: str) -> RawRecord:
    """A parsed record, or an unreadable one with the reason (`ingest.checks`)."""
    problem = record_problem(value, raw)
    if problem is None:
        return RawRecord(position, value, raw)
    reason, field = problem
    if field:
        reason = f"{field}: {reason}"
    return RawRecord(position, None, raw[:MAX_RECORD_BYTES], reason)


def from_text(text: str, position: str) -> RawRecord:
    """One JSON text (a line, a quarantined record) parsed and checked."""
    if len(text) > MAX_RECORD_BYTES:
        return RawRecord(position, None, text[:MAX_RECORD_BYTES], oversized(len(text)))
    try:
        value = loads(text)
    except json.JSONDecodeError as exc:
        problem = utf8_problem(text) if not text.isascii() else None
        return RawRecord(position, None, text, problem or f"malformed JSON: {exc}")
    return from_value(value, position, text)


def _read_text(path: Path) -> str:
    # Bytes that are not UTF-8 are kept (as surrogates) so the records holding them are
    # quarantined with the reason, and only those.
    return path.read_text(encoding="utf-8", errors="surrogateescape")


def _read_jsonl(path: Path, wanted: Callable[[str], bool] | None = None) -> Iterator[RawRecord]:
    with path.open(encoding="utf-8", errors="surrogateescape") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.rstrip("\r\n")
            if not text or text.isspace():
                continue
            if len(text) <= MAX_RECORD_BYTES and wanted is not None and not wanted(text):
                continue
            yield from_text(text, f"{path.name}:{number}")


def _read_json_array(path: Path) -> Iterator[RawRecord]:
    text = _read_text(path)
    try:
        value = loads(text)
    except json.JSONDecodeError as exc:
        yield RawRecord(path.name, None, text[:MAX_RECORD_BYTES], f"malformed JSON: {exc}")
        return
    if not isinstance(value, list):
        yield RawRecord(path.name, None, text[:MAX_RECORD_BYTES], "expected a JSON array")
        return
    yield from records_from_page(value, path.name)


def _read_csv(path: Path) -> Iterator[RawRecord]:
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        lines = _Lines(handle)
        reader = csv.DictReader(lines)
        header = reader.fieldnames or []
        while True:
            lines.taken.clear()
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # a field over the limit: the rest of the file goes on
                position = f"{path.name}:{lines.number}"
                text = "".join(lines.taken)[:MAX_RECORD_BYTES]
                yield RawRecord(position, None, text, f"unreadable CSV row: {exc}")
                continue
            yield _csv_record(row, f"{path.name}:{lines.number}", len(header))


class _Lines:
    """The file's lines, remembering those taken since `taken` was last cleared (the text of
    a row the csv module could not read, kept for quarantine)."""

    def __init__(self, handle: Iterator[str]) -> None:
        self.handle = handle
        self.taken: list[str] = []
        self.number = 0  # lines taken so far: the last line of the row just read

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self.handle)
        self.number += 1
        self.taken.append(line)
        return line


def _csv_record(row: dict[str | Any, Any], position: str, width: int) -> RawRecord:
    raw = dumps(row)
    if None in row:
        return RawRecord(position, None, raw, "row has more cells than the header")
    if None in row.values():
        cells = sum(value is not None for value in row.values())
        reason = f"row has fewer cells ({cells} of {width}) than the header: a short row"
        return RawRecord(position, None, raw, reason)
    return from_value(dict(row), position, raw)
