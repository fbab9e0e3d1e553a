"""Erasure end to end: a person built from every channel (web, email, store, social, a till
file through a mapping) with feedback, consent, orders and a manual merge is erased through
the CLI; then no text or JSON column of any table on the database holds any of their values,
and their records, ingested again through every adapter and pushed again, are suppressed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, MetaData, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from cdp import models
from cdp.app import create_app
from cdp.cli import cli
from cdp.config import Settings
from cdp.db import unit_of_work
from cdp.services.keys import create_key
from tests.privacy import person

MAPPING = str(Path(__file__).parents[2] / "examples" / "mappings" / "pos.toml")


def _env(settings: Settings) -> dict[str, str]:
    return {
        "CDP_DATABASE_URL": settings.database_url,
        "CDP_SOURCES_FILE": str(settings.sources_file),
    }


def _cdp(settings: Settings, *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env=_env(settings))
    assert result.exit_code == 0, result.output
    return result.stdout


def ingest_all(settings: Settings, paths: dict[str, Path]) -> dict[str, dict[str, Any]]:
    summaries: dict[str, dict[str, Any]] = {}
    for adapter, source, name in person.FILES:
        how = ["--mapping", MAPPING] if adapter == "mapping:pos" else ["--adapter", adapter]
        out = _cdp(settings, "ingest", *how, "--source", source, "--json", str(paths[name]))
        summaries[source] = json.loads(out)
    return summaries


def _profile_of(session: Session, kind: str, value: str) -> str:
    i = models.Identifier
    found = session.scalars(select(i.profile_id).where(i.kind == kind, i.value == value)).first()
    assert found is not None, (kind, value)
    return found


def _texts(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def leftovers(engine: Engine, values: tuple[str, ...]) -> list[str]:
    """Every (table.column: value) where a text or JSON column holds one of `values`, over
    every table of the database (reflected, so tables outside the models count too)."""
    meta = MetaData()
    meta.reflect(engine)
    needles = [v.lower() for v in values]
    found: list[str] = []
    with engine.connect() as connection:
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            for row in connection.execute(select(table)).mappings():
                for column, cell in row.items():
                    if not isinstance(cell, str | dict | list):
                        continue
                    text = _texts(cell).lower()
                    found.extend(
                        f"{table.name}.{column}: {needle}" for needle in needles if needle in text
                    )
    return found


def build_person(settings: Settings, session_factory: sessionmaker[Session], tmp: Path) -> str:
    paths = person.write_files(tmp / "files")
    ingest_all(settings, paths)
    with session_factory() as session:
        main = _profile_of(session, "email", person.EMAIL_NORM)
        social = _profile_of(session, "social_handle", f"x:{person.X_HANDLE}")
    assert main != social, "the X profile must be separate before the manual merge"
    _cdp(settings, "identity", "merge", main, social, "--actor", "test", "--reason", "same person")
    with session_factory() as session:
        assert session.get(models.Profile, social).status == "merged"  # type: ignore[union-attr]
        purposes = set(
            session.scalars(select(models.Consent.purpose).where(models.Consent.profile_id == main))
        )
        assert {"email_marketing", "analytics", "advertising"} <= purposes
        assert session.scalars(
            select(models.Feedback.id).where(models.Feedback.profile_id == main)
        ).first()
        assert session.scalars(
            select(models.Order.id).where(models.Order.profile_id == main)
        ).first()
    return main


@pytest.fixture
def erased(
    settings: Settings, session_factory: sessionmaker[Session], tmp_path: Path
) -> dict[str, Any]:
    profile_id = build_person(settings, session_factory, tmp_path)
    out = _cdp(settings, "privacy", "erase", profile_id, "--actor", "dpo", "--reason",
               "ticket DSR-42", "--yes", "--json")  # fmt: skip
    return {"profile_id": profile_id, "receipt": json.loads(out), "tmp": tmp_path}


def test_no_value_of_the_person_is_left_in_any_column_when_erased(
    erased: dict[str, Any], engine: Engine
) -> None:
    assert leftovers(engine, person.PERSONAL_VALUES) == []
    assert leftovers(engine, (person.BOB_EMAIL,)) != []  # the bystander stays


def test_receipt_counts_what_was_erased_without_personal_data_when_erased(
    erased: dict[str, Any],
) -> None:
    receipt = erased["receipt"]

    assert receipt["profiles"] == 2
    assert receipt["records"] >= 8
    assert receipt["suppressed"]["email"] == 1
    assert {"events", "orders", "feedback", "consents", "identifiers"} <= set(
        receipt["rows_by_table"]
    )
    text = json.dumps(receipt).lower()
    assert not [v for v in person.PERSONAL_VALUES if v.lower() in text]
    assert erased["profile_id"] not in text


def test_reingesting_every_file_is_suppressed_and_counted_when_erased(
    erased: dict[str, Any], settings: Settings, engine: Engine
) -> None:
    paths = person.write_files(erased["tmp"] / "again")

    summaries = ingest_all(settings, paths)

    for source, summary in summaries.items():
        assert summary["suppressed"] >= 1, (source, summary)
        assert summary["stored"] == 0, (source, summary)
        assert summary["read"] == (
            summary["stored"] + summary["duplicates"] + summary["quarantined"]
            + summary["suppressed"]
        )  # fmt: skip
    assert leftovers(engine, person.PERSONAL_VALUES) == []
    listing = _cdp(settings, "privacy", "suppressions")
    assert "email" in listing


def test_a_malformed_record_carrying_an_erased_email_is_not_quarantined_when_erased(
    erased: dict[str, Any], settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    bad = erased["tmp"] / "bad.json"  # no timestamp: SendGrid's adapter quarantines it
    bad.write_text(json.dumps([{"email": person.EMAIL, "event": "open", "sg_event_id": "zq-x"}]))

    out = _cdp(settings, "ingest", "--adapter", "email.sendgrid", "--source", "mail", "--json",
               str(bad))  # fmt: skip

    summary = json.loads(out)
    assert (summary["quarantined"], summary["suppressed"]) == (0, 1)
    with session_factory() as session:
        assert session.scalars(select(models.Quarantine.raw)).all() == []


def test_pushed_records_are_suppressed_and_counted_when_erased(
    erased: dict[str, Any],
    settings: Settings,
    session_factory: sessionmaker[Session],
    engine: Engine,
) -> None:
    with unit_of_work(session_factory) as session:
        web = create_key(session, role="write", name="web", source_name="web").key
        mail = create_key(session, role="write", name="mail", source_name="mail").key
    with TestClient(create_app(settings)) as client:
        batch = client.post("/v1/batch", json={"batch": person.segment_messages()}, auth=(web, ""))
        hook = client.post("/webhooks/sendgrid", json=person.sendgrid_events(), auth=(mail, ""))

    assert batch.status_code == 200, batch.text
    assert batch.json()["suppressed"] == len(person.segment_messages())
    assert hook.json()["suppressed"] == len(person.sendgrid_events())
    assert leftovers(engine, person.PERSONAL_VALUES) == []
    with session_factory() as session:
        hits = session.scalars(select(models.Suppression.hits)).all()
    assert sum(hits) >= len(person.segment_messages()) + len(person.sendgrid_events())
