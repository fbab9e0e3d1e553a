"""Who may see what: role checks per field, and partial masking of personal data for analysts.

admin: everything. app: reads profiles, writes feedback and consent. analyst: reads
everything except raw payloads, with personal data shown partially wherever it appears (the
rule is `cdp.masking`; the names below are re-exported for the schema's types). A request
without a key may only introspect.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.permission import BasePermission

from cdp.masking import (
    mask_address,
    mask_attributes,
    mask_compared,
    mask_email,
    mask_evidence,
    mask_identifier,
    mask_json,
    mask_name,
    mask_phone,
    mask_text,
    mask_url,
)
from schema._context import Context

__all__ = [
    "ANALYSTS",
    "EVERY_ROLE",
    "ONLY_ADMIN",
    "WRITERS",
    "KeyInProduction",
    "RoleRequired",
    "denial",
    "mask_address",
    "mask_attributes",
    "mask_compared",
    "mask_email",
    "mask_evidence",
    "mask_identifier",
    "mask_json",
    "mask_name",
    "mask_phone",
    "mask_text",
    "mask_url",
    "requires",
]

EVERY_ROLE = frozenset({"admin", "app", "analyst"})
ANALYSTS = frozenset({"admin", "analyst"})
WRITERS = frozenset({"admin", "app"})
ONLY_ADMIN = frozenset({"admin"})


def denial(role: str | None, allowed: frozenset[str], what: str) -> str | None:
    """Why `role` may not do `what`, or None when it may."""
    if role in allowed:
        return None
    if role is None:
        return (
            f"authentication required for {what}: send the header "
            "'Authorization: Bearer KEY' with a key from `cdp keys create`"
        )
    return f"the {role} role may not use {what}; it needs one of: {', '.join(sorted(allowed))}"


class RoleRequired(BasePermission):
    """Allows the field to the roles in `allowed` (set by `requires`)."""

    allowed: frozenset[str] = EVERY_ROLE

    def has_permission(
        self, source: Any, info: strawberry.Info[Context, None], **kwargs: Any
    ) -> bool:
        # Raised rather than returned: the message depends on the request, and permission
        # instances are shared by concurrent requests.
        reason = denial(info.context.role, self.allowed, info.field_name)
        if reason is not None:
            code = "UNAUTHENTICATED" if info.context.role is None else "FORBIDDEN"
            raise GraphQLError(reason, extensions={"code": code})
        return True


class KeyInProduction(BasePermission):
    """Open to anyone, except that with `CDP_ENV=prod` a key (of any role) is needed."""

    def has_permission(
        self, source: Any, info: strawberry.Info[Context, None], **kwargs: Any
    ) -> bool:
        context = info.context
        if context.role is None and context.settings.environment == "prod":
            reason = denial(None, EVERY_ROLE, info.field_name)
            raise GraphQLError(f"{reason} (CDP_ENV=prod)", extensions={"code": "UNAUTHENTICATED"})
        return True


def requires(allowed: frozenset[str]) -> list[type[BasePermission]]:
    """Permission classes for a field open to the roles in `allowed`."""
    name = "Requires" + "Or".join(role.title() for role in sorted(allowed))
    return [type(name, (RoleRequired,), {"allowed": allowed})]
