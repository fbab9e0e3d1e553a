"""Identity's exceptions.

IdentityError                     root of everything identity raises on purpose
├── ProfileNotFoundError          a profile id (or record id) does not exist
├── RecordNotFoundError           a source record id does not exist
├── IdentityConflictError         the operation contradicts an override or a limit
└── InvalidInputError             arguments or a model file are invalid (lists every problem)
"""

from __future__ import annotations

from collections.abc import Sequence

from cdp.errors import CdpError

__all__ = [
    "IdentityConflictError",
    "IdentityError",
    "InvalidInputError",
    "ProfileNotFoundError",
    "RecordNotFoundError",
]


class IdentityError(CdpError):
    """Root of every error identity raises on purpose."""


class ProfileNotFoundError(IdentityError):
    def __init__(self, profile_id: str) -> None:
        self.profile_id = profile_id
        super().__init__(f"profile {profile_id!r} not found")


class RecordNotFoundError(IdentityError):
    def __init__(self, record_ids: Sequence[int]) -> None:
        self.record_ids = list(record_ids)
        super().__init__(f"source record(s) not found: {', '.join(map(str, self.record_ids))}")


class IdentityConflictError(IdentityError):
    """The operation would contradict a never-link override or a one-per-person limit."""


class InvalidInputError(IdentityError):
    """Invalid arguments or model; `problems` holds one line per problem."""

    def __init__(self, problems: Sequence[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))
