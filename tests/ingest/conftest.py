from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cdp import models

FIXTURES = Path(__file__).parent / "fixtures"


def count(session_factory: sessionmaker[Session], model: type[models.Base]) -> int:
    with session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def counts(session_factory: sessionmaker[Session]) -> dict[str, int]:
    tables = {
        "records": models.SourceRecord,
        "identifiers": models.Identifier,
        "events": models.Event,
        "orders": models.Order,
        "items": models.OrderItem,
        "interactions": models.Interaction,
        "feedback": models.Feedback,
        "consents": models.Consent,
        "quarantine": models.Quarantine,
    }
    return {name: count(session_factory, model) for name, model in tables.items()}
