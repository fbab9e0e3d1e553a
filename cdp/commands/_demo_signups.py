"""Today's sign-ups, so that the demo shows a welcome flow in progress.

The synthetic world ends months ago, and a flow starts only from a recent event
(`cdp.activation.flows`), so once the demo serves it pushes a few people signing up *now*
through the Segment tracking API, as a web site would: an `identify` with their contact details
and a `Signed Up` track each, with the demo web source's write key. They go through the same
path as any push (stored, resolved, the welcome flow entered, the first message sent to the
demo's webhook receiver, the next one waiting a day).

Each day brings its own people (their email addresses carry the date) and their message ids
are fixed for the day, so running the demo again on the same day pushes duplicates that are
ignored, and the next day shows new people entering the flow.

The write key is created once and kept beside the world (`web-write-key`, readable by its owner
only), so the README can show how to push with it; the database stores only its hash.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import httpx
from sqlalchemy.orm import Session, sessionmaker

from cdp.db import unit_of_work
from cdp.errors import CdpError
from cdp.services import keys

__all__ = ["KEY_FILE", "SIGNUPS", "push_signups", "signups_for", "start_signups", "web_write_key"]

log = logging.getLogger("cdp.demo.signups")

KEY_FILE = "web-write-key"
WEB_SOURCE = "web"


@dataclass(frozen=True, slots=True)
class SignUp:
    first_name: str
    last_name: str
    email_local: str
    phone: str | None
    locale: str
    marketing: bool = True  # ticked "send me offers by email" on the sign-up form


# Who signs up (in both languages the demo's customers write); a Chinese name is written
# family name first, with no space, and the web form's pinyin e-mail.
SIGNUPS = (
    SignUp("Amelia", "Hart", "amelia.hart", "+44 7700 900431", "en-GB"),
    SignUp("伟", "张", "zhang.wei", "138 0013 8000", "zh-CN"),
    SignUp("Noah", "Fischer", "noah.fischer", None, "en-US", marketing=False),
    SignUp("娜", "李", "li.na", "+86 139-1099-8765", "zh-CN"),
    SignUp("Priya", "Raman", "priya.raman", "+1 415 555 0142", "en-US"),
)


def web_write_key(factory: sessionmaker[Session], world_dir: Path) -> str:
    """The demo web source's write key: the one kept in `world_dir`, or a new one."""
    path = world_dir / KEY_FILE
    if path.is_file():
        kept = path.read_text(encoding="utf-8").strip()
        with factory() as session:
            try:
                keys.authenticate(session, kept)
                return kept
            except keys.InvalidKeyError:
                pass  # revoked, or another database: make a new one
    with unit_of_work(factory) as session:
        created = keys.create_key(
            session, role="write", name="demo web sign-ups", source_name=WEB_SOURCE
        )
    path.write_text(created.key + "\n", encoding="utf-8")
    os.chmod(path, 0o600)
    return created.key


def signups_for(day: date, now: datetime) -> list[dict[str, Any]]:
    """The Segment batch of `day`'s sign-ups, a few minutes apart before `now`."""
    stamp = day.strftime("%Y%m%d")
    batch: list[dict[str, Any]] = []
    for n, person in enumerate(SIGNUPS):
        user_id = f"demo-signup-{stamp}-{n}"
        at = (now - timedelta(minutes=5 * (len(SIGNUPS) - n))).isoformat()
        traits: dict[str, Any] = {
            "email": f"{person.email_local}.{stamp}@example.com",
            "firstName": person.first_name,
            "lastName": person.last_name,
        }
        if person.phone:
            traits["phone"] = person.phone
        context: dict[str, Any] = {"locale": person.locale}
        consent = {"categoryPreferences": {"Email Marketing": person.marketing}}
        batch.append(
            {"type": "identify", "messageId": f"{user_id}-identify", "userId": user_id,
             "timestamp": at, "traits": traits, "context": {**context, "consent": consent}}
        )  # fmt: skip
        batch.append(
            {"type": "track", "messageId": f"{user_id}-signed-up", "userId": user_id,
             "event": "Signed Up", "timestamp": at, "context": context,
             "properties": {"method": "email", "source": "demo"}}
        )  # fmt: skip
    return batch


def push_signups(base_url: str, key: str, *, now: datetime | None = None) -> dict[str, Any]:
    """Pushes today's sign-ups to the server at `base_url`; returns its answer."""
    now = now or datetime.now(UTC)
    response = httpx.post(
        f"{base_url}/v1/batch",
        json={"batch": signups_for(now.date(), now)},
        auth=(key, ""),
        timeout=30,
    )
    if response.status_code != 200:
        raise CdpError(
            f"the tracking API refused the sign-ups: {response.status_code} {response.text}"
        )
    answer: dict[str, Any] = response.json()
    return answer


def _wait_until_up(base_url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def start_signups(base_url: str, key: str, *, timeout: float = 120) -> threading.Thread:
    """Pushes today's sign-ups once the server at `base_url` answers (a daemon thread)."""

    def run() -> None:
        if not _wait_until_up(base_url, timeout):
            log.warning("sign-ups not pushed: %s did not answer within %.0fs", base_url, timeout)
            return
        try:
            answer = push_signups(base_url, key)
        except (httpx.HTTPError, CdpError) as exc:
            log.warning("sign-ups not pushed: %s", exc)
            return
        click.echo(
            f"      welcome flow: {len(SIGNUPS)} people signed up just now "
            f'({answer.get("accepted")} messages accepted); see flowRuns(flow: "welcome") '
            "in GraphiQL",
            err=True,
        )

    thread = threading.Thread(target=run, name="demo-signups", daemon=True)
    thread.start()
    return thread
