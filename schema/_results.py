"""Expected failures as types, so clients branch on `__typename` instead of parsing errors.

Resolvers raise domain exceptions; the exception handlers below (given to the schema) turn
them into these types wherever the field's result union has room for them. Where it has not
(a read returning `Profile | null`), the exception becomes an ordinary GraphQL error with a
`BAD_USER_INPUT` or `NOT_FOUND` code (see `schema._limits.apply_error_policy`).
"""

from __future__ import annotations

from typing import Any

import strawberry

import identity
from cdp.errors import CdpError, ConflictError, InvalidInputError, NotFoundError

__all__ = [
    "EXCEPTION_HANDLERS",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "Problem",
    "RoleDeniedError",
]


class RoleDeniedError(CdpError):
    """The caller's role may not run this mutation (a typed `Forbidden` result)."""

    def __init__(self, role: str | None, message: str) -> None:
        self.role = role
        super().__init__(message)


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


class NotFoundHandler(
    strawberry.ExceptionHandler[
        NotFoundError | identity.ProfileNotFoundError | identity.RecordNotFoundError, NotFound
    ]
):
    def handle(self, exception: Exception, *, field: Any, info: Any) -> NotFound:
        if isinstance(exception, identity.ProfileNotFoundError):
            key = exception.profile_id
        elif isinstance(exception, identity.RecordNotFoundError):
            key = ", ".join(map(str, exception.record_ids))
        else:
            key = str(getattr(exception, "key", ""))
        return NotFound(message=str(exception), id=key)


class InvalidInputHandler(
    strawberry.ExceptionHandler[InvalidInputError | identity.InvalidInputError, InvalidInput]
):
    def handle(self, exception: Exception, *, field: Any, info: Any) -> InvalidInput:
        return InvalidInput(message=str(exception), field=getattr(exception, "field", "input"))


class ConflictHandler(
    strawberry.ExceptionHandler[ConflictError | identity.IdentityConflictError, Conflict]
):
    def handle(self, exception: Exception, *, field: Any, info: Any) -> Conflict:
        return Conflict(message=str(exception))


class ForbiddenHandler(strawberry.ExceptionHandler[RoleDeniedError, Forbidden]):
    def handle(self, exception: RoleDeniedError, *, field: Any, info: Any) -> Forbidden:
        return Forbidden(message=str(exception), role=exception.role)


EXCEPTION_HANDLERS = (
    NotFoundHandler(),
    InvalidInputHandler(),
    ConflictHandler(),
    ForbiddenHandler(),
)


def require_role(info: Any, allowed: frozenset[str]) -> None:
    """Raise `RoleDeniedError` unless the request's key has one of the `allowed` roles."""
    from schema._access import denial

    reason = denial(info.context.role, allowed, info.field_name)
    if reason is not None:
        raise RoleDeniedError(info.context.role, reason)


def stored_id(value: Any) -> int | None:
    """A numeric database id given as a GraphQL ID, or None when it cannot be one."""
    text = str(value)
    if not text.isdigit() or len(text) > 18:
        return None
    return int(text)
