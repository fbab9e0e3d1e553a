"""The Mailchimp destination against a local fake that checks what the real API checks."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models
from cdp.activation import Change, Worker
from cdp.activation.mailchimp import base_url_for, event_name
from cdp.db import unit_of_work
from tests.activation.conftest import ENVIRON, emit_changes, make_profile, signed_up
from tests.activation.fake_mailchimp import FakeMailchimp
from tests.activation.receivers import serve

KEY = "0123456789abcdef0123456789abcdef-us6"


@pytest.fixture
def mailchimp() -> Iterator[tuple[FakeMailchimp, str]]:
    fake = FakeMailchimp(api_key=KEY, list_id="a1b2c3d4e5")
    with serve(fake.app()) as url:
        yield fake, f"{url}/3.0"


def _setup(
    factory: sessionmaker[Session], base_url: str, *, list_id: str = "a1b2c3d4e5",
    key_env: str = "MC_KEY",
) -> None:  # fmt: skip
    with unit_of_work(factory) as session:
        session.add(
            models.Destination(
                name="newsletter",
                kind="mailchimp",
                purpose="email_marketing",
                config={"list_id": list_id, "api_key_env": key_env, "base_url": base_url},
                events=["Signed Up"],
                segments=["vip"],
                declared_in="graphql",
            )
        )
        make_profile(session, "p1", email="Ada@Example.com", consent="granted")
        make_profile(session, "p2", email=None, consent="granted")


def _statuses(factory: sessionmaker[Session]) -> list[tuple[str, str, str | None]]:
    with factory() as session:
        rows = session.scalars(select(models.Delivery).order_by(models.Delivery.id))
        return [(d.topic, d.status, d.last_error) for d in rows]


def test_entries_exits_and_events_become_members_tags_and_events_when_sent(
    session_factory: sessionmaker[Session],
    mailchimp: tuple[FakeMailchimp, str],
) -> None:
    fake, url = mailchimp
    _setup(session_factory, url)
    emit_changes(
        session_factory,
        Change("segment.entered", "p1", {"segment": "vip"}),
        signed_up("p1"),
        Change("segment.exited", "p1", {"segment": "vip"}),
        Change("segment.entered", "p2", {"segment": "vip"}),
    )

    worker = Worker(session_factory, {**ENVIRON, "MC_KEY": KEY})
    report = worker.tick()
    worker.close()

    digest = hashlib.md5(b"ada@example.com").hexdigest()
    assert report.sent == {"delivered": 3, "skipped": 1}
    assert fake.members[digest]["email_address"] == "Ada@Example.com"
    assert fake.members[digest]["status"] == "subscribed"
    assert fake.members[digest]["merge_fields"] == {"FNAME": "Ada", "LNAME": "Byron"}
    assert fake.tags[digest] == {"vip": "inactive"}
    [(_, event)] = fake.events
    assert (event["name"], event["properties"]) == ("signed_up", {"plan": "pro"})
    assert _statuses(session_factory)[-1] == (
        "segment.entered", "skipped", "the profile has no email address",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("list_id", "key", "error"),
    [("nolist", KEY, "HTTP 404"), ("a1b2c3d4e5", "wrong-us6", "HTTP 401")],
    ids=["unknown-list", "bad-key"],
)
def test_a_refusal_of_the_api_is_dead_with_its_reason_when_the_request_is_wrong(
    session_factory: sessionmaker[Session],
    mailchimp: tuple[FakeMailchimp, str],
    list_id: str,
    key: str,
    error: str,
) -> None:
    _, url = mailchimp
    _setup(session_factory, url, list_id=list_id)
    emit_changes(session_factory, signed_up("p1"))

    worker = Worker(session_factory, {"MC_KEY": key})
    worker.tick()
    worker.close()

    [(topic, status, detail)] = _statuses(session_factory)
    assert (topic, status) == ("event", "dead")
    assert detail is not None
    assert detail.startswith(error)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Signed Up", "signed_up"), ("Order Completed!", "order_completed"), ("x", "x_"),
     ("A" * 40, "a" * 30)],
    ids=["spaces", "punctuation", "short", "long"],
)  # fmt: skip
def test_event_names_fit_mailchimp_when_normalised(raw: str, expected: str) -> None:
    assert event_name(raw) == expected


def test_the_data_centre_comes_from_the_key_when_no_base_url_is_set() -> None:
    assert base_url_for(KEY) == "https://us6.api.mailchimp.com/3.0"
