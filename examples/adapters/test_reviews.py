"""The contract kit runs every check against the reviews adapter and its sample file."""

from __future__ import annotations

from pathlib import Path

import pytest
from reviews import ReviewsAdapter
from sqlalchemy.orm import Session, sessionmaker

from ingest.testing import AdapterContract, sqlite_session_factory

HERE = Path(__file__).parent


@pytest.fixture
def session_factory(tmp_path: Path) -> sessionmaker[Session]:
    return sqlite_session_factory(tmp_path)


class TestReviewsContract(AdapterContract):
    adapter_class = ReviewsAdapter
    sample_files = (HERE / "reviews.jsonl",)
    malformed_records = (
        {"review_id": "rv-9", "email": "a@b.io", "stars": 9, "created_at": "2026-01-01T00:00Z"},
        {"review_id": "rv-9", "email": "a@b.io", "stars": 4, "created_at": "last week"},
    )
