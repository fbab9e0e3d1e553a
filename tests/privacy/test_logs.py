"""No personal data and no secret in the logs: the demo and the push endpoints run with every
logger at DEBUG, and what was logged holds no API key, no write key, no privacy key and no
email address or phone number of the demo data."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from cdp import models
from cdp.app import create_app
from cdp.cli import cli
from cdp.config import Settings, configure_logging

BY_EMAIL = "query($v: String!) { profileByIdentifier(kind: EMAIL, value: $v) { id } }"


class _Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(text)


def _all_loggers_at_debug() -> None:
    """What `CDP_LOG_LEVEL=DEBUG` gives a fresh process: every logger inherits DEBUG from the
    root, except those `configure_logging` keeps quiet (result rows hold personal data)."""
    for name in list(logging.root.manager.loggerDict):
        logger = logging.getLogger(name)
        logger.setLevel(logging.NOTSET)
        logger.disabled = False
        logger.propagate = True
    configure_logging(Settings(log_level="DEBUG"))


@pytest.fixture
def logged() -> Iterator[_Everything]:
    handler = _Everything()
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    root_level = logging.root.level
    logging.root.addHandler(handler)
    _all_loggers_at_debug()
    yield handler
    logging.root.removeHandler(handler)
    logging.root.setLevel(root_level)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _cli(settings: Settings, *args: str) -> str:
    env = {"CDP_DATABASE_URL": settings.database_url, "CDP_LOG_LEVEL": "DEBUG",
           "CDP_SOURCES_FILE": str(settings.sources_file)}  # fmt: skip
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    _all_loggers_at_debug()  # a migration run may have reconfigured logging
    return result.stdout


def test_demo_and_push_log_no_personal_data_and_no_secret_at_debug(
    settings: Settings,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    logged: _Everything,
) -> None:
    world = tmp_path / "world"
    _cli(settings, "demo", "--people", "30", "--no-serve", "--world", str(world))
    admin = _cli(settings, "keys", "create", "--role", "admin").strip().splitlines()[-1]
    web = _cli(settings, "keys", "create", "--role", "write", "--source", "web").splitlines()[-1]
    mail = _cli(settings, "keys", "create", "--role", "write", "--source", "email")
    mail = mail.strip().splitlines()[-1]
    segment = [
        json.loads(line)
        for line in (world / "web" / "segment-events.jsonl").read_text().splitlines()
    ][:40]
    for message in segment:
        message["messageId"] = f"again-{message['messageId']}"  # new records, not duplicates
    sendgrid = json.loads(next((world / "email").glob("*.json")).read_text())[:40]
    for event in sendgrid:
        event["sg_event_id"] = f"again-{event['sg_event_id']}"
    with TestClient(create_app(settings.replace(log_level="DEBUG"))) as client:
        _all_loggers_at_debug()
        assert client.post("/v1/batch", json={"batch": segment}, auth=(web, "")).status_code == 200
        hook = client.post("/webhooks/sendgrid", json=sendgrid, auth=(mail, ""))
        assert hook.status_code == 200
        client.post("/v1/batch", json={"batch": segment}, auth=(admin + "x", ""))  # refused
        email = segment[0].get("traits", {}).get("email") or "nobody@example.com"
        client.post(
            "/graphql",
            json={"query": BY_EMAIL, "variables": {"v": email}},
            headers={"Authorization": f"Bearer {admin}"},
        )
    with session_factory() as session:
        identifiers = session.execute(
            select(models.Identifier.value, models.Identifier.raw_value).where(
                models.Identifier.kind.in_(("email", "phone"))
            )
        ).all()
    personal = {v.lower() for row in identifiers for v in row if v and len(v) >= 6}
    secrets = {admin, web, mail, settings.privacy_key}
    text = "\n".join(logged.lines).lower()

    assert any(" DEBUG " in line for line in logged.lines), "no DEBUG record: capture broken"
    assert any(line.startswith("httpx ") for line in logged.lines)
    assert len(personal) > 50
    assert [s for s in secrets if s.lower() in text] == []
    leaks = [line for line in logged.lines if any(v in line.lower() for v in personal)]
    assert leaks[:3] == []
