"""Traits follow identity through the real refresh pipeline (no step replaced)."""

from __future__ import annotations

from datetime import UTC, datetime

from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.cli import cli
from cdp.commands._identity_hook import identity_resolver
from cdp.db import unit_of_work
from tests.identity.factories import make_record


def _order(session: Session, record: models.SourceRecord, external_id: str, total: int) -> None:
    session.add(
        models.Order(
            record_id=record.id,
            source_id=record.source_id,
            external_id=external_id,
            channel="store",
            financial_status="paid",
            currency="USD",
            total_minor=total,
            placed_at=datetime(2026, 3, 1, tzinfo=UTC),
        )
    )
    session.flush()


def _cli(db_url: str, *args: str) -> None:
    result = CliRunner().invoke(
        cli, ["identity", *args], env={"CDP_DATABASE_URL": db_url}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output


def _traits_of_record(session: Session, record_id: int) -> models.ProfileTraits | None:
    profile_id = session.scalar(
        select(models.SourceRecord.profile_id).where(models.SourceRecord.id == record_id)
    )
    return None if profile_id is None else session.get(models.ProfileTraits, profile_id)


def test_resolution_merge_and_split_keep_traits_current(
    db_url: str, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        a = make_record(session, external_id="a", kind="order", identifiers={"customer_id": "c1"})
        b = make_record(session, external_id="b", kind="order", identifiers={"customer_id": "c2"})
        _order(session, a, "o-a", 10_000)
        _order(session, b, "o-b", 2_500)
        ids = (a.id, b.id)
    identity_resolver(session_factory)(list(ids))
    with unit_of_work(session_factory) as session:
        ta, tb = (_traits_of_record(session, i) for i in ids)
        assert ta is not None
        assert tb is not None
        assert (ta.order_count, ta.total_spend_minor) == (1, 10_000)
        pa, pb = ta.profile_id, tb.profile_id

    # a person merges them: one profile with both orders, the merged-away row gone
    _cli(db_url, "merge", pa, pb, "--actor", "test", "--force")
    with unit_of_work(session_factory) as session:
        merged = _traits_of_record(session, ids[0])
        assert merged is not None
        assert (merged.order_count, merged.total_spend_minor) == (2, 12_500)
        gone = pb if merged.profile_id == pa else pa
        assert session.get(models.ProfileTraits, gone) is None

    # splitting b's record off gives its order back to its own profile
    _cli(db_url, "split", merged.profile_id, str(ids[1]), "--actor", "test")
    with unit_of_work(session_factory) as session:
        kept = session.get(models.ProfileTraits, merged.profile_id)
        split_off = _traits_of_record(session, ids[1])
        assert kept is not None
        assert split_off is not None
        assert split_off.profile_id != kept.profile_id
        assert split_off.total_spend_minor == 2_500
        assert kept.total_spend_minor == 10_000
