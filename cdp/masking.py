"""Partial masking of personal data: the one rule every view for analysts goes through.

A value is masked by what it is, wherever it appears:

- by its key, in any JSON object at any depth: names (`given_name`, `full_name`...), emails,
  phones, addresses and their street lines and postcodes, birth dates, social handles, and
  `identifiers` (kind to values, as a golden record keeps them);
- by its content, in any other string (free text included): an email address anywhere in it,
  and a phone number written the way people write them (a leading `+`, or 7 to 15 digits
  broken by spaces, dots, dashes or brackets). Digits alone are left as they are: they are
  order, customer and form ids far more often than phones, and a phone kept under a phone
  key is masked by its key.

Street lines become `***`, postcodes keep two characters, birth dates keep the year, names
and handles keep their first character, emails the first character of the mailbox and of the
domain, phones their last two digits. `schema` applies these for the analyst role.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "mask_address",
    "mask_attributes",
    "mask_birth_date",
    "mask_compared",
    "mask_email",
    "mask_evidence",
    "mask_handle",
    "mask_identifier",
    "mask_json",
    "mask_name",
    "mask_phone",
    "mask_text",
    "mask_url",
]


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


def mask_handle(value: str) -> str:
    """A social handle, `network:handle` or `@handle`: the network and the first letter stay."""
    network, colon, handle = value.rpartition(":")
    at = "@" if handle.startswith("@") else ""
    return f"{network}{colon}{at}{mask_name(handle.removeprefix('@')) or ''}"


def mask_address(address: dict[str, Any]) -> dict[str, Any]:
    """Keeps city, region and country; hides the street lines and most of the postcode."""
    return {key: _by_key(key, value) for key, value in address.items()}


_BIRTH_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def mask_birth_date(value: str) -> str:
    """The year only (`1990-**-**`), or `****` when no year can be read."""
    year = _BIRTH_YEAR.search(value)
    return f"{year.group(1)}-**-**" if year else "****"


_IDENTIFIER_MASKS: dict[str, Callable[[str], str]] = {
    "email": lambda v: mask_email(v) or "",
    "phone": lambda v: mask_phone(v) or "",
    "social_handle": mask_handle,
    "social_id": mask_handle,
}


def mask_identifier(kind: str, value: str) -> str:
    mask = _IDENTIFIER_MASKS.get(kind)
    return mask(value) if mask is not None else value


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A run of digits and the separators people write phones with, starting with `+` or a digit.
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d\s().-]{5,}\d(?!\w)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _phone_in(match: re.Match[str]) -> str:
    found = match.group(0)
    digits = sum(ch.isdigit() for ch in found)
    written = found.startswith("+") or any(ch in " ().-" for ch in found.strip())
    if not 7 <= digits <= 15 or not written or _ISO_DATE.match(found):
        return found
    return mask_phone(found) or found


def mask_text(text: str) -> str:
    """Free text with every email address and written phone number in it masked."""
    if "@" in text:
        text = _EMAIL.sub(lambda m: mask_email(m.group(0)) or "", text)
    return _PHONE.sub(_phone_in, text)


_KEEP_SEGMENTS = frozenset({"status", "statuses", "posts", "p", "comments", "i", "web"})


def mask_url(url: str) -> str:
    """A link to a person's post: scheme and host stay, path segments naming someone (a
    handle) keep their first letter, numbers stay, the query string goes."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return mask_text(url)
    segments = [
        s if not s or s.isdigit() or s.lower() in _KEEP_SEGMENTS else (mask_name(s) or "")
        for s in parts.path.split("/")
    ]
    query = "?***" if parts.query else ""
    return f"{parts.scheme}://{parts.netloc}{'/'.join(segments)}{query}"


def _key(key: str) -> str:
    return "".join(ch for ch in key.lower() if ch.isalnum())


def _masked_street(_: str) -> str:
    return "***"


def _masked_postcode(value: str) -> str:
    return value[:2] + "***"


_NAMES = ("givenname", "familyname", "fullname", "firstname", "lastname", "middlename")
_STRING_MASKS: dict[str, Callable[[str], str]] = {
    **dict.fromkeys(_NAMES, lambda v: mask_name(v) or ""),
    **dict.fromkeys(("email", "emailaddress"), lambda v: mask_email(v) or ""),
    **dict.fromkeys(
        ("phone", "phonenumber", "mobile", "mobilephone", "telephone", "tel"),
        lambda v: mask_phone(v) or "",
    ),
    **dict.fromkeys(
        ("address", "line1", "line2", "address1", "address2", "street", "streetaddress"),
        _masked_street,
    ),
    **dict.fromkeys(("postcode", "postalcode", "zip", "zipcode"), _masked_postcode),
    **dict.fromkeys(("birthdate", "dateofbirth", "dob", "birthday"), mask_birth_date),
    **dict.fromkeys(("socialhandle", "handle", "username", "screenname"), mask_handle),
}
# Provenance (`"email": "web:<record id>"`): record references, not the person's data.
_REFERENCES = frozenset({"sources"})


def _by_key(key: str, value: Any, *, keyed: bool = True) -> Any:
    name = _key(key)
    if keyed and isinstance(value, str):
        mask = _STRING_MASKS.get(name)
        if mask is not None:
            return mask(value)
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if keyed and is_number and name in _STRING_MASKS:
        return _by_key(key, str(value))
    if name == "identifiers" and isinstance(value, dict):
        return {kind: _identifier_values(kind, values) for kind, values in value.items()}
    return _walk(value, keyed=keyed and name not in _REFERENCES)


def _identifier_values(kind: str, values: Any) -> Any:
    if isinstance(values, list):
        return [mask_identifier(kind, v) if isinstance(v, str) else _walk(v) for v in values]
    if isinstance(values, str):
        return mask_identifier(kind, values)
    return _walk(values)


def _walk(value: Any, *, keyed: bool = True) -> Any:
    if isinstance(value, dict):
        return {k: _by_key(str(k), v, keyed=keyed) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(item, keyed=keyed) for item in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


def mask_json(value: Any) -> Any:
    """Any JSON value (attributes, properties, evidence) with personal data masked by key and
    by content (see the module docstring)."""
    return _walk(value)


def mask_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """Person attributes (as stored on records and profiles) with personal data masked."""
    masked: dict[str, Any] = mask_json(attributes)
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
    "left", "right"}]}`); anything else goes through `mask_json`.
    """
    if isinstance(evidence, list):
        return [mask_evidence(item) for item in evidence]
    if not isinstance(evidence, dict):
        return mask_json(evidence)
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
