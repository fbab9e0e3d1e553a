"""Who may see what: role checks per field, and partial masking of personal data for analysts.

admin: everything. app: reads profiles, writes feedback and consent. analyst: reads
everything except raw payloads, with names, emails, phones, addresses and birth dates shown
partially. A request without a key may only introspect.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.permission import BasePermission

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
    "mask_name",
    "mask_phone",
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


def mask_name(value: str | None) -> str | None:
    if not value:
        return value
    return value[0] + "***"


def mask_email(value: str | None) -> str | None:
    if not value or "@" not in value:
        return mask_name(value)
    local, _, domain = value.partition("@")
    host, dot, tld = domain.rpartition(".")
    masked_domain = f"{host[:1]}***{dot}{tld}" if dot else f"{domain[:1]}***"
    return f"{local[:1]}***@{masked_domain}"


def mask_phone(value: str | None) -> str | None:
    if not value:
        return value
    visible = 2 if len(value) > 6 else 0
    head = "+" if value.startswith("+") else ""
    return head + "*" * (len(value) - len(head) - visible) + value[len(value) - visible :]


_MASKED_KINDS = {"email": mask_email, "phone": mask_phone}


def mask_identifier(kind: str, value: str) -> str:
    if kind in _MASKED_KINDS:
        return _MASKED_KINDS[kind](value) or ""
    if kind in ("social_handle", "social_id"):
        network, _, handle = value.partition(":")
        return f"{network}:{mask_name(handle)}"
    return value


def mask_address(address: dict[str, Any]) -> dict[str, Any]:
    """Keeps city, region and country; hides the street lines and most of the postcode."""
    masked = dict(address)
    for key in ("line1", "line2"):
        if masked.get(key):
            masked[key] = "***"
    if masked.get("postcode"):
        masked["postcode"] = str(masked["postcode"])[:2] + "***"
    return masked


_ATTRIBUTE_MASKS = {
    "given_name": mask_name,
    "family_name": mask_name,
    "full_name": mask_name,
    "email": mask_email,
    "phone": mask_phone,
}


def mask_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """Person attributes (as stored on records and profiles) with personal data masked."""
    masked: dict[str, Any] = {}
    for key, value in attributes.items():
        if key in _ATTRIBUTE_MASKS and isinstance(value, str):
            masked[key] = _ATTRIBUTE_MASKS[key](value)
        elif key == "address" and isinstance(value, dict):
            masked[key] = mask_address(value)
        elif key == "birth_date" and isinstance(value, str):
            masked[key] = value[:4] + "-**-**"
        else:
            masked[key] = value
    return masked


def mask_compared(comparison: str, value: str | None) -> str | None:
    """An analyst's view of a compared value: emails, phones and anything else personal."""
    if value is None:
        return None
    if "email" in comparison:
        return mask_email(value)
    if "phone" in comparison:
        return mask_phone(value)
    return mask_name(value)


def mask_evidence(evidence: Any) -> Any:
    """Link or merge evidence with identifier values and compared values masked.

    Knows identity's two shapes (`{"identifier", "value"}` and `{"comparisons": [{"comparison",
    "left", "right"}]}`) and masks any other string that looks like an email as a fallback.
    """
    if isinstance(evidence, list):
        return [mask_evidence(item) for item in evidence]
    if isinstance(evidence, str):
        return mask_email(evidence) if "@" in evidence else evidence
    if not isinstance(evidence, dict):
        return evidence
    masked = {key: mask_evidence(value) for key, value in evidence.items()}
    kind = evidence.get("identifier")
    if isinstance(kind, str) and isinstance(evidence.get("value"), str):
        masked["value"] = mask_identifier(kind, evidence["value"])
    comparison = evidence.get("comparison")
    if isinstance(comparison, str):
        for side in ("left", "right", "left_value", "right_value"):
            if isinstance(evidence.get(side), str):
                masked[side] = mask_compared(comparison, evidence[side])
    return masked
