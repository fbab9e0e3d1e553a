"""The contract test kit: every adapter's tests subclass `AdapterContract`.

    from ingest.testing import AdapterContract

    class TestReviewsContract(AdapterContract):
        adapter_class = ReviewsAdapter
        sample_files = (FIXTURES / "reviews.jsonl",)
        malformed_records = ({"review_id": "r-1", "stars": "many"},)

The suite checks that the declaration is valid, every sample normalises to an `Observation`
with at least one identifier (or person attribute), keys are unique and non-null,
`to_observation` is deterministic, cursor values are monotonic when the adapter says it is
sorted, a second run over the same input adds nothing, and each malformed record raises
`SkippableRecordError` with a reason. The re-run check needs a `session_factory` fixture
(a sessionmaker on a migrated database); elsewhere `sqlite_session_factory(tmp_path)` makes one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy.orm import Session, sessionmaker

from cdp import migrate
from cdp.config import Settings
from cdp.db import create_db_engine, make_sessionmaker
from ingest.adapter import Adapter, RawRecord
from ingest.cursor import Cursor
from ingest.errors import SkippableRecordError
from ingest.registry import check_declaration
from ingest.runner import run_ingest

__all__ = ["AdapterContract", "sqlite_session_factory"]


def sqlite_session_factory(directory: Path) -> sessionmaker[Session]:
    """A sessionmaker on a fresh, migrated SQLite database in `directory`."""
    engine = create_db_engine(Settings(database_url=f"sqlite:///{directory / 'contract.db'}"))
    migrate.upgrade(engine)
    return make_sessionmaker(engine)


class AdapterContract:
    """Subclass with `adapter_class`, `sample_files` and `malformed_records` (see module doc)."""

    adapter_class: ClassVar[type[Adapter]]
    adapter_config: ClassVar[Mapping[str, Any]] = {}
    sample_files: ClassVar[Sequence[Path]] = ()
    malformed_records: ClassVar[Sequence[Mapping[str, Any]]] = ()

    def make_adapter(self, files: Sequence[Path] = ()) -> Adapter:
        """Override when the adapter is built differently (e.g. from a mapping file)."""
        return self.adapter_class(self.adapter_config, files=files)

    def samples(self) -> list[RawRecord]:
        records = list(self.make_adapter(self.sample_files).fetch(None))
        unreadable = [f"{r.position}: {r.error}" for r in records if r.payload is None]
        assert not unreadable, f"samples that do not read: {unreadable}"
        assert records, f"no samples in {[str(p) for p in self.sample_files]}"
        return records

    def test_declaration_is_valid(self) -> None:
        check_declaration(type(self.make_adapter()))

    def test_every_sample_normalises_with_evidence_of_a_person(self) -> None:
        adapter = self.make_adapter()
        for raw in self.samples():
            assert raw.payload is not None
            observation = adapter.to_observation(raw.payload)
            # A till receipt may carry only a typed name: evidence for fuzzy matching.
            evidence = observation.identifiers or observation.person.to_json()
            assert evidence, f"{raw.position}: no identifier nor attribute in {observation}"
            assert observation.occurred_at.tzinfo is not None

    def test_keys_are_unique_and_non_null(self) -> None:
        adapter = self.make_adapter()
        keys = [adapter.to_observation(r.payload).external_id for r in self.samples() if r.payload]
        assert all(keys), f"empty keys in {keys}"
        duplicated = sorted({k for k in keys if keys.count(k) > 1})
        assert not duplicated, f"keys seen more than once: {duplicated}"

    def test_transform_is_deterministic(self) -> None:
        adapter = self.make_adapter()
        for raw in self.samples():
            assert raw.payload is not None
            first = adapter.to_observation(raw.payload)
            assert adapter.to_observation(dict(raw.payload)) == first, raw.position

    def test_cursor_is_monotonic_when_sorted(self) -> None:
        adapter = self.make_adapter()
        if not adapter.is_sorted:
            pytest.skip(f"{adapter.name} is not declared sorted")
        cursor = Cursor(start=None, is_sorted=True)
        for raw in self.samples():
            assert raw.payload is not None
            cursor.observe(adapter.cursor_value(raw.payload))

    def test_second_run_adds_nothing(self, session_factory: sessionmaker[Session]) -> None:
        first = run_ingest(session_factory, self.make_adapter(self.sample_files), source="contract")
        second = run_ingest(
            session_factory, self.make_adapter(self.sample_files), source="contract"
        )
        assert first.is_balanced
        assert first.quarantined == 0, f"samples were quarantined: {first}"
        assert (second.stored, second.duplicates) == (0, first.read), second

    def test_malformed_records_are_rejected_with_a_reason(self) -> None:
        if not self.malformed_records:
            pytest.fail("give at least one malformed record in `malformed_records`")
        adapter = self.make_adapter()
        for record in self.malformed_records:
            with pytest.raises(SkippableRecordError) as caught:
                adapter.to_observation(record)
            assert caught.value.reason, f"no reason given for {record}"
