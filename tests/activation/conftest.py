from __future__ import annotations

import base64
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.activation import Change, Worker, emit
from cdp.db import unit_of_work
from tests.activation.receivers import WebhookReceiver, serve

SECRET = "whsec_" + base64.b64encode(b"activation-test-secret-32-bytes!").decode()
ENVIRON = {"HOOK_SECRET": SECRET}


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    found = WebhookReceiver(SECRET)
    with serve(found.app()) as url:
        found.url = f"{url}/hook"  # type: ignore[attr-defined]
        yield found


def make_destination(
    session: Session, url: str, *, name: str = "hook", kind: str = "webhook", **fields: object
) -> models.Destination:
    config = fields.pop("config", {"url": url, "secret_env": "HOOK_SECRET"})
    destination = models.Destination(
        name=name,
        kind=kind,
        config=config,
        events=fields.pop("events", ["Signed Up"]),
        declared_in="graphql",
        **fields,
    )
    session.add(destination)
    session.flush()
    return destination


def make_profile(
    session: Session, profile_id: str = "p1", *, email: str | None = "ada@example.com",
    consent: str | None = None, purpose: str = "email_marketing",
) -> models.Profile:  # fmt: skip
    profile = models.Profile(id=profile_id, email=email, given_name="Ada", family_name="Byron")
    session.add(profile)
    session.flush()
    if consent is not None:
        session.add(
            models.Consent(
                profile_id=profile_id,
                channel="web",
                purpose=purpose,
                status=consent,
                occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
    return profile


def signed_up(profile_id: str = "p1", name: str = "Signed Up") -> Change:
    return Change("event", profile_id, {"event": {"name": name, "properties": {"plan": "pro"}}})


def emit_changes(factory: sessionmaker[Session], *changes: Change) -> None:
    with unit_of_work(factory) as session:
        emit(session, changes)


@pytest.fixture
def make_worker() -> Iterator[Callable[..., Worker]]:
    """Workers with a seeded jitter, closed (their HTTP clients) after the test."""
    made: list[Worker] = []

    def make(factory: sessionmaker[Session], **kwargs: object) -> Worker:
        worker = Worker(factory, ENVIRON, rng=random.Random(7), **kwargs)  # type: ignore[arg-type]
        made.append(worker)
        return worker

    yield make
    for worker in made:
        worker.close()


def make_due(factory: sessionmaker[Session]) -> None:
    """Bring every waiting retry forward to now (instead of sleeping through the backoff)."""
    with unit_of_work(factory) as session:
        session.execute(
            update(models.Delivery)
            .where(models.Delivery.status == "pending")
            .values(next_attempt_at=datetime(2000, 1, 1, tzinfo=UTC))
        )
