from __future__ import annotations

from dataclasses import dataclass

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cdp.config import Settings
from cdp.db import create_db_engine, make_sessionmaker


@dataclass
class CliState:
    """What every command gets: validated settings, and a sync engine made on first use."""

    settings: Settings
    _engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = create_db_engine(self.settings)
        return self._engine

    @property
    def sessionmaker(self) -> sessionmaker[Session]:
        return make_sessionmaker(self.engine)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


pass_state = click.make_pass_decorator(CliState)
