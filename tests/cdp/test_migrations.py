from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from cdp import migrate
from cdp.config import Settings
from cdp.db import create_db_engine
from cdp.models import Base


@pytest.fixture
def empty_engine(empty_db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(Settings(database_url=empty_db_url))
    yield engine
    engine.dispose()


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_upgrade_builds_every_table_when_database_is_empty(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)

    tables = set(inspect(empty_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert migrate.current_revision(empty_engine) == migrate.head_revision()


def test_models_and_migrations_agree_when_upgraded_to_head(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)

    assert _differences(empty_engine) == []


def test_downgrade_and_upgrade_again_when_cycling_to_base(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    migrate.downgrade(empty_engine, "base")

    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}

    migrate.upgrade(empty_engine)
    assert _differences(empty_engine) == []


def test_single_head_when_listing_revisions() -> None:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
    assert len(heads) == 1, f"migrations have several heads: {heads}; merge them"
