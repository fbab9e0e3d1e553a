"""`social.x_mentions`: X API v2 mentions (`GET /2/users/:id/mentions`), pulled with
`next_token` paging or read from saved response pages.

Each tweet is an `interaction` record (a `mention` with its text and URL), keyed by tweet id,
with identifiers `social_id` = `x:<author_id>` and `social_handle` = `x:<username>` from
`includes.users`, whose `name` is the author's full name. The stored payload is the tweet
with its author object attached under `author`. A tweet that replies to another is a
`reply` interaction. Every mention and reply is also customer feedback of kind `comment`:
the analysis step after storing (`cdp.feedback.batch`) gives it a language, sentiment and
topics, and refines the kind to complaint, question, suggestion or praise as the text shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ingest.errors import SkippableRecordError
from ingest.fields import optional_str, parse_timestamp, require_mapping, require_str
from ingest.observation import Fact, FeedbackFact, Identifier, InteractionFact, Observation, Person
from ingest.pull import HttpAdapter

__all__ = ["XMentionsAdapter"]


class XMentionsAdapter(HttpAdapter):
    """Settings: `user_id`, `bearer_token`, optional `base_url` (default https://api.x.com)."""

    name = "social.x_mentions"
    channel = "social"
    primary_key = "id"
    cursor_field = "created_at"
    is_sorted = False
    page_records_path = "data"
    required_settings = ("user_id", "bearer_token")

    def records_in_page(self, page: Mapping[str, Any]) -> list[Any]:
        users = {
            str(user.get("id")): user
            for user in require_mapping(page, "includes").get("users", [])
            if isinstance(user, Mapping)
        }
        tweets = page.get("data")
        return [
            {**tweet, "author": users[str(tweet.get("author_id"))]}
            if isinstance(tweet, dict) and str(tweet.get("author_id")) in users
            else tweet
            for tweet in (tweets if isinstance(tweets, list) else [])
        ]

    def pages(self, since: str | None) -> Iterator[tuple[str, Mapping[str, Any]]]:
        base = str(self.config.get("base_url", "https://api.x.com")).rstrip("/")
        url = f"{base}/2/users/{self.config['user_id']}/mentions"
        headers = {"Authorization": f"Bearer {self.config['bearer_token']}"}
        params: dict[str, Any] = {
            "max_results": self.config.get("page_size", 100),
            "tweet.fields": "created_at,author_id,referenced_tweets,public_metrics,entities",
            "expansions": "author_id",
            "user.fields": "username,name",
        }
        if since:
            moment = parse_timestamp(since, "cursor")
            params["start_time"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        number = 0
        while True:
            number += 1
            body, _ = self.get(url, params=params, headers=headers)
            yield f"page {number}", body
            token = require_mapping(body, "meta").get("next_token")
            if not token:
                return
            params = {**params, "pagination_token": token}

    def to_observation(self, record: Mapping[str, Any]) -> Observation:
        tweet_id = require_str(record, "id")
        text = require_str_text(record)
        author_id = require_str(record, "author_id")
        author = require_mapping(record, "author")
        username = optional_str(author, "username")
        identifiers = [Identifier("social_id", f"x:{author_id}")]
        if username:
            identifiers.append(Identifier("social_handle", f"x:{username}"))
        url = f"https://x.com/{username or 'i'}/status/{tweet_id}"
        kind = "reply" if _is_reply(record) else "mention"
        facts: list[Fact] = [
            InteractionFact(type=kind, text=text, url=url, properties=_properties(record, text)),
            FeedbackFact(kind="comment", text=text),
        ]
        return Observation(
            external_id=tweet_id,
            kind="interaction",
            occurred_at=parse_timestamp(record.get("created_at"), "created_at"),
            identifiers=tuple(identifiers),
            person=Person(full_name=optional_str(author, "name")),
            facts=tuple(facts),
        )


# `public_metrics` keys as X names them -> the interaction's property (docs/campaigns.md).
_METRICS = {
    "like_count": "likes",
    "reply_count": "replies",
    "retweet_count": "reposts",
    "quote_count": "quotes",
    "impression_count": "impressions",
}
# X's rule: after `#` or the full-width number sign (U+FF03), letters, digits and `_`, at
# least one of them a letter (`#49987`, an order number, is no hashtag).
_HASHTAG = re.compile(r"(?<![\w&])[#\uff03](\w*[^\W\d_]\w*)")


def _properties(record: Mapping[str, Any], text: str) -> dict[str, Any]:
    """The post's engagement counts and hashtags (lower case, without `#`: a social
    campaign's key). Counts that are not whole numbers >= 0 are left out."""
    found: dict[str, Any] = {}
    metrics = record.get("public_metrics")
    if isinstance(metrics, Mapping):
        for key, name in _METRICS.items():
            value = metrics.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                found[name] = value
    entities = record.get("entities")
    tags = entities.get("hashtags") if isinstance(entities, Mapping) else None
    if isinstance(tags, list):
        names = [t.get("tag") for t in tags if isinstance(t, Mapping)]
    else:  # no entities requested: read them from the text, as X does
        names = _HASHTAG.findall(text)
    hashtags = sorted({n.casefold() for n in names if isinstance(n, str) and n.strip()})
    if hashtags:
        found["hashtags"] = hashtags
    return found


def _is_reply(record: Mapping[str, Any]) -> bool:
    referenced = record.get("referenced_tweets")
    return isinstance(referenced, list) and any(
        isinstance(r, Mapping) and r.get("type") == "replied_to" for r in referenced
    )


def require_str_text(record: Mapping[str, Any]) -> str:
    text = record.get("text")
    if not isinstance(text, str):
        raise SkippableRecordError("expected the tweet's text", field="text", value=text)
    return text
