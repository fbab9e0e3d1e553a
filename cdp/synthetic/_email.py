"""Email: SendGrid Event Webhook events (`email/sendgrid-events.json`).

A subscriber signed up with one of their addresses (their account email, another of their
own, or the couple's family address); the sign-up was typed, so now and then it is misspelt
and every send to it bounces. A list holds an address once: a partner who would sign up the
family address when the other already has signs up with their own. `customer_id` is a custom
arg when the address is the Shopify account's. Unsubscribes and spam reports stop later sends.
"""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from cdp.synthetic._context import (
    Campaign,
    Context,
    Pair,
    PersonPlan,
    dedupe_identifiers,
)
from cdp.synthetic._model import Person, SyntheticRecord
from cdp.synthetic._reference import CAMPAIGN_TOPICS

__all__ = ["make_campaigns", "sendgrid_records"]

ADAPTER = "email.sendgrid"
_KINDS = {
    "unsubscribe": "consent",
    "group_unsubscribe": "consent",
    "group_resubscribe": "consent",
    "spamreport": "feedback",
}


def make_campaigns(seed: int, shift: timedelta = timedelta(0)) -> tuple[Campaign, ...]:
    """Two campaigns a month over the period (the 3rd and 17th, moved by `shift` with the
    period), the same for every world of a seed; a campaign is named by the day it was sent."""
    rng = random.Random(seed ^ 0x5E17D)
    campaigns = []
    for month in range(21):
        year, month_of_year = 2025 + month // 12, month % 12 + 1
        for half in (0, 1):
            topic = rng.choice(CAMPAIGN_TOPICS)
            sent = datetime(year, month_of_year, 3 + 14 * half, rng.randint(13, 17), tzinfo=UTC)
            sent += shift
            campaigns.append(
                Campaign(
                    f"cmp-{sent:%Y-%m-%d}",
                    topic,
                    sent,
                    101 if topic in ("journal-digest", "new-arrivals") else 102,
                )
            )
    return tuple(campaigns)


def _list_email(ctx: Context, person: Person, plan: PersonPlan | None) -> str:
    """The address on the list: the couple's (if any) or the one they shop with."""
    if person.family_email and ctx.rng.random() < 0.3:
        return person.family_email
    return plan.account_email if plan is not None else person.emails[0]


def _event(
    ctx: Context,
    campaign: Campaign,
    email: str,
    customer_id: str | None,
    event: str,
    when: datetime,
    message_id: str,
    extra: dict[str, Any],
) -> Pair:
    event_id = base64.urlsafe_b64encode(ctx.rng.randbytes(16)).decode()[:22]
    payload: dict[str, Any] = {
        "email": email,
        "timestamp": int(when.timestamp()),
        "event": event,
        "sg_event_id": event_id,
        "sg_message_id": message_id,
        "category": [campaign.topic, "marketing"] if ctx.rng.random() < 0.5 else campaign.topic,
        "campaign_id": campaign.campaign_id,
    }
    identifiers = [("email", email)]
    if customer_id:
        payload["customer_id"] = customer_id
        identifiers.append(("customer_id", customer_id))
    payload.update(extra)
    record = SyntheticRecord(
        ADAPTER,
        event_id,
        _KINDS.get(event, "event"),
        when.replace(microsecond=0),
        {"email": email},
        dedupe_identifiers(identifiers),
        ctx.person_id,
    )
    return record, payload


def _send(
    ctx: Context, campaign: Campaign, email: str, customer_id: str | None, is_typo: bool
) -> tuple[list[Pair], bool]:
    """One campaign to one subscriber: its events, and whether sending stops after it."""
    rng = ctx.rng
    when = campaign.sent_at + timedelta(seconds=rng.randint(0, 3600))
    message_id = f"{ctx.uuid().replace('-', '')[:22]}.filter0{rng.randint(100, 999)}.1.0"

    def emit(event: str, at: datetime, **extra: Any) -> Pair:
        return _event(ctx, campaign, email, customer_id, event, at, message_id, extra)

    pairs = [emit("processed", when)]
    when += timedelta(seconds=rng.randint(1, 60))
    if is_typo:
        pairs.append(
            emit(
                "bounce",
                when,
                reason="550 5.1.1 The email account that you tried to reach does not exist",
                status="5.1.1",
                type="bounce",
            )
        )
        return pairs, True
    if rng.random() < 0.02:
        pairs.append(emit("deferred", when, response="421 try again later", attempt="1"))
        when += timedelta(minutes=rng.randint(5, 90))
    pairs.append(emit("delivered", when, response="250 OK"))
    if rng.random() < 0.006:
        pairs.append(emit("spamreport", when + timedelta(hours=rng.randint(1, 48))))
        return pairs, True
    if rng.random() >= 0.4:
        return pairs, False
    when += timedelta(minutes=rng.randint(1, 4000))
    pairs.append(emit("open", when, useragent="Mozilla/5.0", ip=f"10.{rng.randint(0, 255)}.0.1"))
    if rng.random() < 0.35:
        when += timedelta(seconds=rng.randint(5, 600))
        pairs.append(emit("click", when, url=f"https://shop.example.com/{campaign.topic}"))
    roll = rng.random()
    if roll < 0.05:
        pairs.append(emit("unsubscribe", when + timedelta(seconds=rng.randint(5, 300))))
        return pairs, True
    if roll < 0.09:
        when += timedelta(seconds=rng.randint(5, 300))
        group = campaign.asm_group_id
        pairs.append(emit("group_unsubscribe", when, asm_group_id=group))
        if rng.random() < 0.25:  # changed their mind on the preferences page
            when += timedelta(days=rng.randint(1, 30))
            pairs.append(emit("group_resubscribe", when, asm_group_id=group))
    return pairs, False


def sendgrid_records(ctx: Context, person: Person, plan: PersonPlan | None) -> list[Pair]:
    rng, noise = ctx.rng, ctx.noise
    email = _list_email(ctx, person, plan)
    if email in ctx.on_the_list:
        # A list holds an address once: the couple's address is on it already (the partner's
        # sign-up), so this one signs up with their own.
        email = person.emails[0]
    customer_id = person.customer_id if plan is not None and email == plan.account_email else None
    typed = noise.email(email, "list", allow_junk=False)  # the sign-up form checks the shape
    ctx.on_the_list.add(typed)
    is_typo = typed != email
    subscribed = ctx.time(ctx.activity_start, ctx.activity_start + timedelta(days=400))
    eligible = [c for c in ctx.campaigns if c.sent_at > subscribed]
    chosen = sorted(
        rng.sample(eligible, min(len(eligible), rng.randint(1, 4))), key=lambda c: c.sent_at
    )
    pairs: list[Pair] = []
    for campaign in chosen:
        sent, stop = _send(ctx, campaign, typed, customer_id, is_typo)
        pairs.extend(sent)
        if stop:
            break
    return pairs
