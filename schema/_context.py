from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cdp.config import Settings


@dataclass
class Context:
    """Built fresh for every request; resolvers open their own short sessions from it."""

    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
