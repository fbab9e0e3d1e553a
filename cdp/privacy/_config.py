"""Privacy settings read by `cdp.config`: consent purposes, the suppression key, retention.

CDP_CONSENT_PURPOSES=email_marketing,sms_marketing,personalisation,analytics,third_party_sharing
CDP_PRIVACY_KEY=<at least 32 characters; required when CDP_ENV=prod>
CDP_RETENTION=events=400,payloads=730,quarantine=90,web.events=90
"""

from __future__ import annotations

import re

__all__ = [
    "DEFAULT_PURPOSES",
    "DEV_PRIVACY_KEY",
    "MIN_KEY_LENGTH",
    "RETENTION_KINDS",
    "parse_privacy_key",
    "parse_purposes",
    "parse_retention",
]

#: The purposes a consent decision may be about, unless configured otherwise.
DEFAULT_PURPOSES: tuple[str, ...] = (
    "email_marketing",
    "sms_marketing",
    "personalisation",
    "analytics",
    "third_party_sharing",
)
#: The key used when none is configured, outside `prod` only (suppression digests made with it
#: are worthless as protection: anyone can recompute them).
DEV_PRIVACY_KEY = "cdp-dev-privacy-key-not-for-production-use"
MIN_KEY_LENGTH = 32
#: What retention applies to: raw events (event records and their facts), raw payloads (the
#: record as received, blanked while the record stays), quarantined records.
RETENTION_KINDS = ("events", "payloads", "quarantine")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


def parse_purposes(raw: str) -> tuple[str, ...]:
    names = [part.strip().lower() for part in raw.split(",") if part.strip()]
    if not names:
        raise ValueError("no purposes; expected a comma-separated list such as 'email_marketing'")
    bad = [name for name in names if not _NAME.match(name)]
    if bad:
        raise ValueError(
            f"{bad[0]!r} is not a purpose name; expected lower-case letters, digits and '_' "
            "(at most 50), e.g. 'email_marketing'"
        )
    return tuple(dict.fromkeys(names))


def parse_privacy_key(raw: str) -> str:
    if len(raw) < MIN_KEY_LENGTH:
        raise ValueError(
            f"{len(raw)} characters is too short; use at least {MIN_KEY_LENGTH} random "
            "characters, e.g. from `python -c 'import secrets; print(secrets.token_hex(32))'`"
        )
    return raw


def parse_retention(raw: str) -> tuple[tuple[str, int], ...]:
    """`kind=days` or `channel.kind=days`, comma separated; a channel's rule wins over the
    general one for that kind."""
    rules: dict[str, int] = {}
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        name, sep, days = part.partition("=")
        name = name.strip()
        kind = name.rpartition(".")[2]
        if not sep or kind not in RETENTION_KINDS:
            raise ValueError(
                f"{part!r} is not a rule; expected KIND=DAYS or CHANNEL.KIND=DAYS with KIND one "
                f"of {', '.join(RETENTION_KINDS)}, e.g. 'quarantine=90,web.events=30'"
            )
        if not days.strip().isdigit() or int(days) < 1:
            raise ValueError(f"{part!r}: {days.strip()!r} is not a number of days above 0")
        rules[name] = int(days)
    return tuple(sorted(rules.items()))
