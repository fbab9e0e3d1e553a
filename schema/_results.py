"""Expected failures as types, so clients branch on `__typename` instead of parsing errors."""

from __future__ import annotations

import strawberry

from cdp.errors import ConflictError, InvalidInputError, NotFoundError


@strawberry.interface(description="Something the request asked for could not be done.")
class Problem:
    message: str = strawberry.field(description="What went wrong and how to fix it.")


@strawberry.type(description="No profile (or record) has this id.")
class NotFound(Problem):
    id: str = strawberry.field(description="The id that was looked up.")


@strawberry.type(description="A value in the request cannot be used.")
class InvalidInput(Problem):
    field: str = strawberry.field(description="The input field at fault.")


@strawberry.type(description="The request contradicts the current state (e.g. already merged).")
class Conflict(Problem):
    pass


@strawberry.type(description="The caller's role may not do this.")
class Forbidden(Problem):
    role: str | None = strawberry.field(description="The caller's role, if authenticated.")


def problem_from(error: Exception) -> NotFound | InvalidInput | Conflict:
    """The result type for a domain exception (the caller re-raises anything else)."""
    if isinstance(error, NotFoundError):
        return NotFound(message=str(error), id=str(error.key))
    if isinstance(error, InvalidInputError):
        return InvalidInput(message=str(error), field=error.field)
    if isinstance(error, ConflictError):
        return Conflict(message=str(error))
    raise error
