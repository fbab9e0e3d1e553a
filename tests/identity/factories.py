"""Small factories that write what ingest writes (per the brief's contract): a source, a
source record with `attributes`, its normalised identifiers, and optionally a fact row."""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cdp import models
from cdp.normalize import normalize_identifier

_counter = itertools.count(1)
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


def make_source(
    session: Session,
    *,
    name: str = "shop",
    channel: str = "store",
    config: dict[str, Any] | None = None,
) -> models.Source:
    existing = session.scalars(select(models.Source).where(models.Source.name == name)).first()
    if existing is not None:
        return existing
    source = models.Source(name=name, channel=channel, adapter=f"test.{name}", config=config or {})
    session.add(source)
    session.flush()
    return source


def make_record(
    session: Session,
    *,
    source: str = "shop",
    channel: str = "store",
    external_id: str | None = None,
    kind: str = "profile",
    attributes: dict[str, Any] | None = None,
    identifiers: dict[str, str | list[str]] | None = None,
    occurred_at: datetime | None = None,
    with_event: bool = False,
) -> models.SourceRecord:
    """One source record, its identifiers (normalised as ingest does) and maybe an event."""
    n = next(_counter)
    src = make_source(session, name=source, channel=channel)
    payload = {"attributes": attributes or {}, "identifiers": identifiers or {}, "n": n}
    record = models.SourceRecord(
        source_id=src.id,
        external_id=external_id or f"r{n}",
        kind=kind,
        occurred_at=occurred_at or BASE_TIME + timedelta(minutes=n),
        payload=payload,
        attributes=attributes or {},
        content_hash=hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest(),
    )
    session.add(record)
    session.flush()
    for kind_name, raw in (identifiers or {}).items():
        for value in [raw] if isinstance(raw, str) else raw:
            normalised = normalize_identifier(kind_name, value)
            if normalised is not None:
                session.add(
                    models.Identifier(
                        record_id=record.id,
                        kind=kind_name,
                        value=normalised,
                        raw_value=value,
                        seen_at=record.occurred_at,
                    )
                )
    if with_event:
        session.add(
            models.Event(
                record_id=record.id,
                source_id=src.id,
                channel=channel,
                type="track",
                name="Viewed",
                occurred_at=record.occurred_at or BASE_TIME,
            )
        )
    session.flush()
    return record


def person(
    given: str | None,
    family: str | None,
    *,
    email: str | None = None,
    phone: str | None = None,
    birth_date: str | None = None,
    line1: str | None = None,
    postcode: str | None = None,
) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    for key, value in (
        ("given_name", given),
        ("family_name", family),
        ("email", email),
        ("phone", phone),
        ("birth_date", birth_date),
    ):
        if value is not None:
            attributes[key] = value
    if line1 or postcode:
        attributes["address"] = {k: v for k, v in (("line1", line1), ("postcode", postcode)) if v}
    return attributes


def make_namesake_customers(session: Session, records: dict[str, int]) -> None:
    """Customers all named Ann Lee at one postcode, `records[customer_id]` records each: every
    pair of records of two of them is a possible match and nothing more."""
    for customer, count in records.items():
        for _ in range(count):
            make_record(
                session,
                attributes=person("Ann", "Lee", postcode="12345"),
                identifiers={"customer_id": customer},
            )
