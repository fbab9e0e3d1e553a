"""The outbox, the worker and the webhook destination, against a real receiver on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from cdp import activation, models
from cdp.activation import Worker
from cdp.activation.deliver import claim
from cdp.activation.senders import sender_for
from cdp.db import unit_of_work
from tests.activation.conftest import (
    ENVIRON,
    emit_changes,
    make_destination,
    make_due,
    make_profile,
    signed_up,
)
from tests.activation.receivers import WebhookReceiver

MakeWorker = Callable[..., Worker]


def _deliveries(factory: sessionmaker[Session]) -> list[models.Delivery]:
    with factory() as session:
        return list(session.scalars(select(models.Delivery).order_by(models.Delivery.id)))


def test_a_change_is_delivered_signed_with_its_profile_when_a_destination_wants_it(
    session_factory: sessionmaker[Session],
    receiver: WebhookReceiver,
    make_worker: MakeWorker,
) -> None:
    with unit_of_work(session_factory) as session:
        make_destination(session, receiver.url)  # type: ignore[attr-defined]
        make_profile(session)
    emit_changes(session_factory, signed_up(), signed_up(name="Page Viewed"))

    report = make_worker(session_factory).tick()

    assert report.dispatched == 2
    assert report.sent == {"delivered": 1}
    [(key, body)] = receiver.received.items()
    assert body["type"] == "event"
    assert body["data"]["event"] == {"name": "Signed Up", "properties": {"plan": "pro"}}
    assert body["profile"]["email"] == "ada@example.com"
    assert receiver.headers[0]["idempotency-key"] == key == body["id"]
    [delivery] = _deliveries(session_factory)
    assert (delivery.status, delivery.attempts, delivery.idempotency_key) == ("delivered", 1, key)


def test_nothing_is_written_or_sent_when_the_change_rolls_back(
    session_factory: sessionmaker[Session],
    receiver: WebhookReceiver,
    make_worker: MakeWorker,
) -> None:
    with unit_of_work(session_factory) as session:
        make_destination(session, receiver.url)  # type: ignore[attr-defined]
        make_profile(session)
    with pytest.raises(RuntimeError), unit_of_work(session_factory) as session:
        activation.emit(session, [signed_up()])
        raise RuntimeError("the change failed")

    report = make_worker(session_factory).tick()

    assert report.is_idle
    assert receiver.requests == 0


def test_a_failure_is_retried_later_with_the_same_key_when_the_receiver_recovers(
    session_factory: sessionmaker[Session],
    receiver: WebhookReceiver,
    make_worker: MakeWorker,
) -> None:
    with unit_of_work(session_factory) as session:
        make_destination(session, receiver.url)  # type: ignore[attr-defined]
        make_profile(session)
    emit_changes(session_factory, signed_up())
    receiver.script = [500]
    worker = make_worker(session_factory)

    first = worker.tick()
    [waiting] = _deliveries(session_factory)
    wait = (waiting.next_attempt_at - datetime.now(UTC)).total_seconds()
    make_due(session_factory)
    second = worker.tick()

    assert first.sent == {"pending": 1}
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert "HTTP 500" in (waiting.last_error or "")
    assert 0.5 < wait <= 2.0  # the first backoff: 2 s, half of it jittered
    assert second.sent == {"delivered": 1}
    assert receiver.requests == 2
    assert list(receiver.received) == [waiting.idempotency_key]


def test_a_delivery_is_dead_after_max_attempts_and_replay_sends_it_again(
    session_factory: sessionmaker[Session],
    receiver: WebhookReceiver,
    make_worker: MakeWorker,
) -> None:
    with unit_of_work(session_factory) as session:
        make_destination(session, receiver.url, max_attempts=2)  # type: ignore[attr-defined]
        make_profile(session)
    emit_changes(session_factory, signed_up())
    receiver.script = [503, 503]
    worker = make_worker(session_factory)

    worker.tick()
    make_due(session_factory)
    worker.tick()
    with unit_of_work(session_factory) as session:
        [dead] = activation.health(session)
        replayed = activation.replay(session, destination="hook")
    worker.tick()

    assert (dead.dead, dead.delivered, dead.pending) == (1, 0, 0)
    assert "HTTP 503" in (dead.last_error or "")
    assert replayed == 1
    assert len(receiver.received) == 1
    assert [d.status for d in _deliveries(session_factory)] == ["delivered"]


def test_a_refusal_is_dead_at_once_when_the_receiver_says_the_request_is_wrong(
    session_factory: sessionmaker[Session],
    receiver: WebhookReceiver,
    make_worker: MakeWorker,
) -> None:
    with unit_of_work(session_factory) as session:
        make_destination(session, receiver.url)  # type: ignore[attr-defined]
        make_profile(session)
    emit_changes(session_factory, signed_up())
    receiver.script = [422]

    make_worker(session_factory).tick()

    [delivery] = _deliveries(session_factory)
    assert (delivery.status, delivery.attempts) == ("dead", 1)


def test_only_consenting_profiles_are_sent_when_the_destination_has_a_purpose(
    session_factory: sessionmaker[Session],
    receiver: WebhookReceiver,
    make_worker: MakeWorker,
) -> None:
    with unit_of_work(session_factory) as session:
        make_destination(session, receiver.url, purpose="email_marketing")  # type: ignore[attr-defined]
        make_profile(session, "yes", email="yes@example.com", consent="granted")
        make_profile(session, "no", email="no@example.com", consent="revoked")
        make_profile(session, "unknown", email="unknown@example.com")
    emit_changes(session_factory, signed_up("yes"), signed_up("no"), signed_up("unknown"))

    report = make_worker(session_factory).tick()

    assert report.sent == {"delivered": 1, "skipped": 2}
    assert [b["profile"]["id"] for b in receiver.received.values()] == ["yes"]
    skipped = [d for d in _deliveries(session_factory) if d.status == "skipped"]
    assert {d.last_error for d in skipped} == {"no consent for purpose 'email_marketing'"}


def test_a_merged_profile_is_sent_as_its_survivor_when_the_change_predates_the_merge(
    session_factory: sessionmaker[Session],
    receiver: WebhookReceiver,
    make_worker: MakeWorker,
) -> None:
    with unit_of_work(session_factory) as session:
        make_destination(session, receiver.url)  # type: ignore[attr-defined]
        make_profile(session, "winner", email="winner@example.com")
        loser = make_profile(session, "loser", email="loser@example.com")
        loser.status, loser.merged_into_id = "merged", "winner"
    emit_changes(session_factory, signed_up("loser"))

    make_worker(session_factory).tick()

    [body] = receiver.received.values()
    assert body["profile"]["id"] == "winner"


def test_a_lease_left_by_a_dead_worker_is_taken_again_with_the_same_key(
    session_factory: sessionmaker[Session],
    receiver: WebhookReceiver,
    make_worker: MakeWorker,
) -> None:
    with unit_of_work(session_factory) as session:
        destination = make_destination(session, receiver.url)  # type: ignore[attr-defined]
        make_profile(session)
    emit_changes(session_factory, signed_up())
    worker = make_worker(session_factory)
    worker.tick()  # delivered; now pretend a worker died after sending, before recording
    with unit_of_work(session_factory) as session:
        session.execute(update(models.Delivery).values(status="pending"))
        claimed = claim(session, destination, 10, datetime.now(UTC))
    sender = sender_for(destination, ENVIRON)
    sender.send(claimed.outgoing)  # sent, never recorded
    sender.close()
    with unit_of_work(session_factory) as session:
        session.execute(
            update(models.Delivery).values(lease_until=datetime(2000, 1, 1, tzinfo=UTC))
        )

    report = worker.tick()

    assert report.sent == {"delivered": 1}
    assert len(receiver.received) == 1
    assert receiver.duplicates == 2  # the receiver saw one change three times and kept one


def test_a_worker_keeps_its_leases_while_a_slow_send_outlasts_them(
    session_factory: sessionmaker[Session],
    receiver: WebhookReceiver,
    make_worker: MakeWorker,
) -> None:
    with unit_of_work(session_factory) as session:
        make_destination(session, receiver.url)  # type: ignore[attr-defined]
        make_profile(session)
    emit_changes(session_factory, signed_up(), signed_up())
    receiver.delay = 1.0  # two sends: 2 s, longer than the lease
    lease = timedelta(seconds=1.2)
    slow = make_worker(session_factory, lease=lease, heartbeat=0.1)
    other = make_worker(session_factory, lease=lease, heartbeat=0.1)
    reports: list[object] = []
    sending = threading.Thread(target=lambda: reports.append(slow.tick()))
    sending.start()
    taken_by_other = 0
    while sending.is_alive():
        time.sleep(0.2)
        taken_by_other += sum(other.tick().sent.values())
    sending.join()

    assert taken_by_other == 0
    assert [getattr(r, "sent", None) for r in reports] == [{"delivered": 2}]
    assert (len(receiver.received), receiver.duplicates) == (2, 0)


def test_the_rate_limit_holds_deliveries_back_when_the_bucket_is_empty(
    session_factory: sessionmaker[Session],
    receiver: WebhookReceiver,
    make_worker: MakeWorker,
) -> None:
    with unit_of_work(session_factory) as session:
        make_destination(session, receiver.url, rate_limit=2.0)  # type: ignore[attr-defined]
        make_profile(session)
    emit_changes(session_factory, *[signed_up() for _ in range(5)])
    now = [100.0]
    worker = make_worker(session_factory, clock=lambda: now[0])

    first = worker.tick()
    again = worker.tick()
    now[0] += 1.0
    later = worker.tick()

    assert (first.sent, again.sent, later.sent) == ({"delivered": 2}, {}, {"delivered": 2})


def test_a_file_drop_appends_json_lines_and_csv_when_deliveries_are_sent(
    session_factory: sessionmaker[Session], tmp_path: object, make_worker: MakeWorker
) -> None:
    from pathlib import Path

    base = Path(str(tmp_path))
    with unit_of_work(session_factory) as session:
        make_destination(session, "", name="lines", kind="file",
                         config={"path": str(base / "drop"), "format": "jsonl"})  # fmt: skip
        make_destination(session, "", name="table", kind="file",
                         config={"path": str(base / "drop"), "format": "csv"})  # fmt: skip
        make_profile(session)
    emit_changes(session_factory, signed_up(), signed_up())

    make_worker(session_factory).tick()

    [lines] = (base / "drop").glob("lines-*.jsonl")
    [table] = (base / "drop").glob("table-*.csv")
    assert len(lines.read_text().splitlines()) == 2
    header, *rows = table.read_text().splitlines()
    assert header == "id,type,occurred_at,profile_id,email,data"
    assert [r.split(",")[3:5] for r in rows] == [["p1", "ada@example.com"]] * 2
