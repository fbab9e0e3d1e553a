"""Social: Meta lead-form leads (`social/meta-leads-<n>.json`) and X mentions
(`social/x-mentions-<n>.json`).

Lead forms are prefilled from the person's Facebook profile (their name as they use it, often a
nickname, and the email they registered with); X accounts have a handle and a display name that
may be a full name, a nickname, or only a given name. Some mentions are complaints.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from cdp.synthetic._context import Campaign, Context, Pair, dedupe_identifiers
from cdp.synthetic._feedback import mention_text
from cdp.synthetic._model import Person, SyntheticRecord
from cdp.synthetic._population import scramble
from cdp.synthetic._reference import COMPLAINTS, LEAD_FORMS, PRAISE, QUESTIONS

__all__ = [
    "BRAND_HANDLE",
    "LEAD_CAMPAIGNS",
    "hashtag",
    "lead_records",
    "mention_records",
    "public_metrics",
]

BRAND_HANDLE = "exampleshop"
_X_EPOCH_MS = 1_288_834_974_657
# Each lead form runs under one ad campaign (Meta's campaign and ad ids).
LEAD_CAMPAIGNS = {
    form_id: (str(120_210_000_000_000 + n), str(120_215_000_000_000 + n))
    for n, (form_id, _title) in enumerate(LEAD_FORMS, start=1)
}
HASHTAG_DAYS = 7  # a mention in the week after a campaign may carry its hashtag


def _draw(key: str, what: str) -> float:
    """A number in [0, 1) from the record's key: drawn apart from the world's random
    stream, so adding these fields moved nothing else in the world."""
    digest = hashlib.blake2b(f"{what}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def hashtag(campaign: Campaign) -> str:
    """The campaign's hashtag on X: `summer-sale` -> `ExampleShopSummerSale`."""
    return "ExampleShop" + "".join(part.title() for part in campaign.topic.split("-"))


def _campaign_at(ctx: Context, when: datetime) -> Campaign | None:
    running = [
        c for c in ctx.campaigns if c.sent_at <= when < c.sent_at + timedelta(days=HASHTAG_DAYS)
    ]
    return running[-1] if running else None


def public_metrics(tweet_id: str, complaint: bool) -> dict[str, int]:
    """What X counts on a post (`tweet.fields=public_metrics`): a long-tailed reach, and
    engagement that is a few percent of it (complaints get more replies and reposts)."""
    impressions = int(40 * (1 / (1 - 0.98 * _draw(tweet_id, "reach"))) ** 1.2)
    rate = 0.01 + 0.05 * _draw(tweet_id, "engagement")
    engaged = impressions * rate
    replies = int(engaged * (0.3 if complaint else 0.1))
    reposts = int(engaged * (0.25 if complaint else 0.15))
    quotes = int(engaged * 0.03)
    likes = max(0, int(engaged) - replies - reposts - quotes)
    return {
        "retweet_count": reposts,
        "reply_count": replies,
        "like_count": likes,
        "quote_count": quotes,
        "impression_count": impressions,
    }


def _lead(ctx: Context, person: Person, full_name: str) -> Pair:
    rng, noise = ctx.rng, ctx.noise
    when = ctx.time()
    lead_id = str(1_200_000_000_000_000 + scramble(ctx.next_id("lead"), "lead", ctx.salt, 48))
    form_id = rng.choice(LEAD_FORMS)[0]
    email = noise.email(ctx.any_email(person), "lead")
    fields: list[tuple[str, str]] = [
        ("email", email),
        ("full_name", noise.typed(full_name, "lead")),
    ]
    attributes: dict[str, Any] = {"email": email, "full_name": fields[1][1]}
    identifiers = [("lead_id", lead_id), ("email", email)]
    digits = ctx.phone_digits(person)
    if digits and rng.random() < 0.6 and not noise.missing():
        # Meta writes E.164; a Chinese mobile typed on a form in pinyin carries its +86.
        latin = full_name.isascii()
        if rng.random() < 0.3:
            phone = noise.phone(digits, "lead", international=latin)
        else:
            phone = f"+86{digits}" if len(digits) == 11 else f"+1{digits}"
        fields.append(("phone_number", phone))
        attributes["phone"] = phone
        identifiers.append(("phone", phone))
    address = ctx.address_at(person, when)
    if rng.random() < 0.3:
        fields.append(("city", address.city))
        attributes["address"] = {"city": address.city}
        if rng.random() < 0.6:
            fields.append(("zip_code", address.postcode))
            attributes["address"]["postcode"] = address.postcode
    if rng.random() < 0.1:
        birth = person.birth_date.strftime("%m/%d/%Y")
        fields.append(("date_of_birth", birth))
        attributes["birth_date"] = birth
    campaign_id, ad_id = LEAD_CAMPAIGNS[form_id]
    payload = {
        "id": lead_id,
        "created_time": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "form_id": form_id,
        "campaign_id": campaign_id,
        "ad_id": ad_id,
        "field_data": [{"name": name, "values": [value]} for name, value in fields],
    }
    record = SyntheticRecord(
        "social.meta_leads",
        lead_id,
        "profile",
        when,
        attributes,
        dedupe_identifiers(identifiers),
        ctx.person_id,
    )
    return record, payload


def lead_records(ctx: Context, person: Person) -> list[Pair]:
    full_name = person.full_name(ctx.noise.given(person.given_name, person.nicknames))
    if person.latin_family is not None and ctx.rng.random() < 0.5:  # an English-language form
        full_name = " ".join(person.latin_names())
    return [_lead(ctx, person, full_name) for _ in range(ctx.rng.choice((1, 1, 1, 2)))]


def _display_name(ctx: Context, person: Person) -> str:
    rng = ctx.rng
    roll = rng.random()
    given, family = person.given_name, person.family_name
    if person.latin_family is not None:  # 张伟, or Wei Zhang for an English-speaking audience
        latin_given, latin_family = person.latin_names()
        return person.full_name() if roll < 0.6 else f"{latin_given} {latin_family}"
    if roll < 0.15:
        return given
    if roll < 0.25:
        return f"{given} {family[0]}."
    if roll < 0.35:
        return f"{given} {family} 🌿"
    return f"{ctx.noise.given(given, person.nicknames)} {family}"


def _text(ctx: Context, person: Person, key: str) -> tuple[str, bool]:
    rng = ctx.rng
    roll = rng.random()
    pool = COMPLAINTS if roll < 0.3 else (PRAISE if roll < 0.65 else QUESTIONS)
    rng.choice(pool)  # drawn as before, so the rest of the world stays the same
    order, city = f"#{rng.randint(1001, 99999)}", person.addresses[-1].city
    mood = "complaint" if pool is COMPLAINTS else ("praise" if pool is PRAISE else "question")
    text = mention_text(mood, person, key=key, order=order, city=city)
    return f"@{BRAND_HANDLE} {text}", pool is COMPLAINTS


def _snowflake(when: datetime, n: int, salt: int) -> int:
    """An X post id: milliseconds since X's epoch, then 22 unique bits, so ids sort by time
    (what `since_id` relies on) and never collide (under 4M posts per world)."""
    millis = int(when.timestamp() * 1000) - _X_EPOCH_MS
    return (millis << 22) | scramble(n, "tweet", salt, 22)


def mention_records(ctx: Context, person: Person) -> list[Pair]:
    """Mentions of the brand by one X account (same handle and display name throughout)."""
    if person.x_handle is None or person.x_id is None:
        return []
    name = _display_name(ctx, person)
    pairs: list[Pair] = []
    for _ in range(ctx.rng.choice((1, 1, 2, 2, 3, 4))):
        when = ctx.time()
        tweet_id = str(_snowflake(when, ctx.next_id("tweet"), ctx.salt))
        text, complaint = _text(ctx, person, tweet_id)
        campaign = _campaign_at(ctx, when)
        entities: dict[str, Any] = {}
        if campaign is not None and _draw(tweet_id, "hashtag") < 0.6:
            tag = hashtag(campaign)
            entities["hashtags"] = [{"start": len(text) + 1, "end": len(text) + 2 + len(tag),
                                     "tag": tag}]  # fmt: skip
            text = f"{text} #{tag}"
        payload: dict[str, Any] = {
            "id": tweet_id,
            "text": text,
            "author_id": person.x_id,
            "created_at": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "public_metrics": public_metrics(tweet_id, complaint),
            "_user": {"id": person.x_id, "username": person.x_handle, "name": name},
        }
        if entities:
            payload["entities"] = entities
        identifiers = (("social_handle", f"x:{person.x_handle}"), ("social_id", f"x:{person.x_id}"))
        record = SyntheticRecord(
            "social.x_mentions",
            tweet_id,
            "interaction",
            when,
            {"full_name": name},
            identifiers,
            ctx.person_id,
        )
        pairs.append((record, payload))
    return pairs
