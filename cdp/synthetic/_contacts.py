"""Contact details people choose: phone numbers, email addresses and handles, unique across
the world (`Registry`: a taken one gets digits, as on a real sign-up)."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate

from cdp.synthetic._china import chinese_email_local
from cdp.synthetic._noise import Noise, strip_accents
from cdp.synthetic._reference import EMAIL_DOMAINS, WORK_DOMAINS

__all__ = ["Registry", "ascii_name", "chinese_emails", "handle", "own_emails", "us_phone"]

_DOMAINS = tuple(domain for domain, _ in EMAIL_DOMAINS)
_DOMAIN_CUM = tuple(accumulate(share for _, share in EMAIL_DOMAINS))
_NON_ALNUM = re.compile(r"[^a-z0-9]")


@dataclass(slots=True)
class Registry:
    """Values people choose that must be unique across the world (taken ones get digits),
    and the world's salt for ids."""

    salt: int = 0
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    handles: set[str] = field(default_factory=set)


def ascii_name(text: str) -> str:
    return _NON_ALNUM.sub("", strip_accents(text).lower())


def us_phone(rng: random.Random, area_codes: tuple[str, ...], registry: Registry) -> str:
    while True:
        digits = f"{rng.choice(area_codes)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        if digits not in registry.phones and len(set(digits[-7:])) > 1:
            registry.phones.add(digits)
            return digits


def email_address(rng: random.Random, local: str, domain: str, registry: Registry) -> str:
    address = f"{local}@{domain}"
    while address in registry.emails:
        address = f"{local}{rng.randint(1, 999)}@{domain}"
    registry.emails.add(address)
    return address


def _personal_local(rng: random.Random, given: str, family: str, born: date) -> str:
    g, f = ascii_name(given) or "me", ascii_name(family) or "mail"
    pattern = rng.randrange(8)
    if pattern == 0:
        return f"{g}.{f}"
    if pattern == 1:
        return f"{g}{f}"
    if pattern == 2:
        return f"{g[0]}{f}"
    if pattern == 3:
        return f"{g}_{f}"
    if pattern == 4:
        return f"{g}.{f}{born.year % 100:02d}"
    if pattern == 5:
        return f"{f}.{g}"
    if pattern == 6:
        return f"{g}{rng.randint(1, 99)}"
    return f"{g[0]}.{f}"


def own_emails(
    rng: random.Random, noise: Noise, given: str, family: str, born: date, registry: Registry
) -> tuple[str, ...]:
    domain = rng.choices(_DOMAINS, cum_weights=_DOMAIN_CUM)[0]
    emails = [email_address(rng, _personal_local(rng, given, family, born), domain, registry)]
    if noise.chance("second_email", noise.rates.second_email):
        if rng.random() < 0.5:
            local = f"{ascii_name(given)[:1]}{ascii_name(family)}"
            emails.append(email_address(rng, local or "office", rng.choice(WORK_DOMAINS), registry))
        else:
            other = rng.choices(_DOMAINS, cum_weights=_DOMAIN_CUM)[0]
            emails.append(
                email_address(rng, _personal_local(rng, given, family, born), other, registry)
            )
        if noise.chance("third_email", noise.rates.third_email):
            other = rng.choices(_DOMAINS, cum_weights=_DOMAIN_CUM)[0]
            emails.append(
                email_address(rng, _personal_local(rng, given, family, born), other, registry)
            )
    return tuple(emails)


def handle(rng: random.Random, given: str, family: str, registry: Registry) -> str:
    g, f = ascii_name(given) or "x", ascii_name(family) or "user"
    base = rng.choice((f"{g}_{f}", f"{g}{f}", f"{g[0]}{f}", f"{g}{f[:1]}", f"the{g}{f}"))[:12]
    handle = base
    while handle in registry.handles:
        handle = f"{base}{rng.randint(1, 999)}"
    registry.handles.add(handle)
    return handle


def chinese_emails(
    rng: random.Random, noise: Noise, given: str, family: str, born: date, registry: Registry
) -> tuple[str, ...]:
    emails = [email_address(rng, *chinese_email_local(rng, given, family, born.year), registry)]
    if noise.chance("second_email", noise.rates.second_email):
        emails.append(
            email_address(rng, *chinese_email_local(rng, given, family, born.year), registry)
        )
    return tuple(emails)
