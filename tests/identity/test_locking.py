"""Two writers resolving the same new record: the second waits for the first's transaction
(the resolution lock) and reads its result, instead of creating a second profile with the
same id (what a direct `resolve_records` racing the server's background resolver did)."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.db import unit_of_work
from identity import resolve, resolve_records
from tests.identity.factories import make_record


def test_a_second_resolution_waits_and_finds_the_record_resolved(
    session_factory: sessionmaker[Session],
) -> None:
    with unit_of_work(session_factory) as session:
        record_id = make_record(session, identifiers={"customer_id": "c-1"}).id
    errors: list[BaseException] = []
    second_done = threading.Event()

    def second() -> None:
        try:
            with unit_of_work(session_factory) as other:
                resolve_records(other, [record_id])
        except BaseException as exc:  # noqa: BLE001 (reported by the test)
            errors.append(exc)
        finally:
            second_done.set()

    with unit_of_work(session_factory) as first:
        resolve_records(first, [record_id])  # holds the lock until it commits
        thread = threading.Thread(target=second, daemon=True)
        thread.start()
        time.sleep(0.5)  # the second writer is now waiting for the lock
        waited = not second_done.is_set()
    thread.join(timeout=60)

    with session_factory() as session:
        profiles = session.scalar(select(func.count()).select_from(models.Profile))
        record = session.get(models.SourceRecord, record_id)
    assert errors == []
    assert waited
    assert profiles == 1
    assert record is not None
    assert record.profile_id is not None


def test_resolve_takes_the_lock_too(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        for n in range(3):
            make_record(session, identifiers={"customer_id": f"c-{n}"})
    done = threading.Event()

    def other() -> None:
        with unit_of_work(session_factory) as session:
            resolve(session)
        done.set()

    with unit_of_work(session_factory) as session:
        resolve(session)
        thread = threading.Thread(target=other, daemon=True)
        thread.start()
        time.sleep(0.5)
        waited = not done.is_set()
    thread.join(timeout=60)

    with session_factory() as session:
        profiles = session.scalar(select(func.count()).select_from(models.Profile))
    assert waited
    assert done.is_set()
    assert profiles == 3
