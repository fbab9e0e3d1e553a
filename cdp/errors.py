"""The core's exceptions.

CdpError
├── ConfigError          a setting is missing or invalid (lists every problem)
├── DatabaseError        the database is unreachable or not migrated
├── NotFoundError        a named thing (profile, source, key...) does not exist
├── InvalidInputError    a caller's value cannot be used (names the field and the value)
└── ConflictError        the request contradicts the current state (e.g. already merged)
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "CdpError",
    "ConfigError",
    "ConflictError",
    "DatabaseError",
    "InvalidInputError",
    "NotFoundError",
    "shorten",
]

MESSAGE_LIMIT = 300


def shorten(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """`message` cut to `limit` characters, saying how much was cut: an error message must
    not echo a huge client value back (or into a log) whole."""
    if len(message) <= limit:
        return message
    return f"{message[:limit]}... ({len(message) - limit:,} more characters not shown)"


class CdpError(Exception):
    """Root of every error the platform raises on purpose."""


class ConfigError(CdpError):
    """One or more settings are invalid; `problems` holds one line per setting."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid configuration: " + "; ".join(self.problems))


class DatabaseError(CdpError):
    """The database cannot be reached or is not at the expected schema revision."""


class NotFoundError(CdpError):
    """A thing looked up by name or id does not exist."""

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} not found")


class InvalidInputError(CdpError):
    """A value given by a caller cannot be used; `field` names it, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class ConflictError(CdpError):
    """The request contradicts the current state of the data."""
