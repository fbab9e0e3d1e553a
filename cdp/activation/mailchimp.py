"""The Mailchimp destination: audience members, their tags and their events (Marketing API 3.0,
https://mailchimp.com/developer/marketing/api/list-members/).

- every change first upserts the member: `PUT /lists/{list_id}/members/{subscriber_hash}`
  (the hash is the MD5 of the lower-cased address) with `status_if_new` `subscribed` when the
  destination has a consent purpose (only consenting profiles reach it) and `transactional`
  otherwise, and the profile's names as the `FNAME` and `LNAME` merge fields;
- a segment entry or exit sets the tag named after the segment `active` or `inactive`
  (`POST .../tags`), which is how Mailchimp journeys and segments react;
- an event, a trait change or a flow's message is a member event
  (`POST .../events`, name 2-30 characters, string properties), which a Customer Journey can
  start from.

Authentication is HTTP Basic with the API key as password; the key's suffix (`-us6`) names
the data centre, `https://us6.api.mailchimp.com/3.0`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import orjson

from cdp.activation._sender import Outcome, Outgoing, outcome_of_error, outcome_of_response

__all__ = ["MailchimpSender", "base_url_for", "event_name", "subscriber_hash"]


def subscriber_hash(email: str) -> str:
    return hashlib.md5(email.strip().lower().encode(), usedforsecurity=False).hexdigest()


def base_url_for(api_key: str) -> str:
    _, _, data_centre = api_key.rpartition("-")
    return f"https://{data_centre}.api.mailchimp.com/3.0"


def event_name(raw: str) -> str:
    """A Mailchimp event name: lower case, `_` for anything else, 2 to 30 characters."""
    name = re.sub(r"[^a-z0-9_-]+", "_", raw.lower()).strip("_")[:30]
    return name if len(name) >= 2 else f"{name}__"[:2]


def _strings(values: Mapping[str, Any]) -> dict[str, str]:
    return {
        str(key): value if isinstance(value, str) else orjson.dumps(value).decode()
        for key, value in values.items()
    }


class MailchimpSender:
    def __init__(
        self,
        list_id: str,
        api_key: str,
        client: httpx.Client,
        *,
        base_url: str | None = None,
        has_consent_purpose: bool = True,
    ) -> None:
        self.list_id = list_id
        self.base = (base_url or base_url_for(api_key)).rstrip("/")
        self.client = client
        self.auth = httpx.BasicAuth("cdp", api_key)
        self.status_if_new = "subscribed" if has_consent_purpose else "transactional"

    def send(self, items: Sequence[Outgoing]) -> list[Outcome]:
        return [self._send_one(item) for item in items]

    def _member_url(self, email: str) -> str:
        return f"{self.base}/lists/{self.list_id}/members/{subscriber_hash(email)}"

    def _send_one(self, item: Outgoing) -> Outcome:
        email = (item.profile or {}).get("email")
        if not email:
            return Outcome("skipped", "the profile has no email address")
        member = self._member_url(email)
        try:
            if item.topic == "segment.exited":
                return self._tag(member, str(item.data.get("segment")), "inactive")
            upserted = self._request("PUT", member, self._member_body(email, item.profile or {}))
            if upserted.status != "delivered":
                return upserted
            if item.topic == "segment.entered":
                return self._tag(member, str(item.data.get("segment")), "active")
            return self._request("POST", f"{member}/events", self._event_body(item))
        except httpx.HTTPError as exc:
            return outcome_of_error(exc)

    def _member_body(self, email: str, profile: Mapping[str, Any]) -> dict[str, Any]:
        merge_fields = {
            tag: profile[key]
            for tag, key in (("FNAME", "given_name"), ("LNAME", "family_name"))
            if profile.get(key)
        }
        return {
            "email_address": email,
            "status_if_new": self.status_if_new,
            "merge_fields": merge_fields,
        }

    def _event_body(self, item: Outgoing) -> dict[str, Any]:
        if item.topic == "event":
            event = item.data.get("event", {})
            name, properties = str(event.get("name") or event.get("type")), event.get("properties")
        elif item.topic == "trait.changed":
            name, properties = "cdp_trait_changed", item.data
        else:
            name, properties = f"cdp_{item.data.get('flow', 'flow')}", item.data
        return {
            "name": event_name(name),
            "properties": _strings(properties or {}),
            "occurred_at": item.changed_at.isoformat(),
        }

    def _tag(self, member: str, segment: str, status: str) -> Outcome:
        outcome = self._request(
            "POST", f"{member}/tags", {"tags": [{"name": segment, "status": status}]}
        )
        if status == "inactive" and outcome.detail and outcome.detail.startswith("HTTP 404"):
            return Outcome("skipped", "not a member of the audience: nothing to untag")
        return outcome

    def _request(self, method: str, url: str, body: dict[str, Any]) -> Outcome:
        response = self.client.request(
            method,
            url,
            content=orjson.dumps(body),
            headers={"Content-Type": "application/json"},
            auth=self.auth,
        )
        return outcome_of_response(response)

    def close(self) -> None:
        self.client.close()
