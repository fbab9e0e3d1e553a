"""`social.meta_leads`: Meta Lead Ads leads (Graph API `GET /{form-id}/leads`), pulled with
cursor paging or read from saved response pages.

A lead is a `profile` record (identifiers `lead_id`, `email`, `phone`; attributes from
`field_data`) with a `lead_form` interaction. Leads come newest first, so the source is
unsorted: the cursor (`created_time`) is promoted only when a pull completes, and the next
pull asks for leads created after it (`filtering` on `time_created`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from ingest.errors import SkippableRecordError
from ingest.fields import parse_timestamp, require_str
from ingest.observation import Address, Identifier, InteractionFact, Observation, Person
from ingest.pull import HttpAdapter

__all__ = ["MetaLeadsAdapter"]

_FIELDS = "id,created_time,form_id,ad_id,campaign_id,field_data"


class MetaLeadsAdapter(HttpAdapter):
    """Settings: `form_ids` (list), `access_token`, optional `base_url`, `api_version`."""

    name = "social.meta_leads"
    channel = "social"
    primary_key = "id"
    cursor_field = "created_time"
    is_sorted = False
    page_records_path = "data"
    required_settings = ("form_ids", "access_token")

    def pages(self, since: str | None) -> Iterator[tuple[str, Mapping[str, Any]]]:
        base = str(self.config.get("base_url", "https://graph.facebook.com")).rstrip("/")
        version = str(self.config.get("api_version", "v21.0"))
        headers = {"Authorization": f"Bearer {self.config['access_token']}"}
        form_ids = self.config["form_ids"]
        for form_id in [form_ids] if isinstance(form_ids, str | int) else form_ids:
            params: dict[str, Any] | None = {
                "fields": _FIELDS,
                "limit": self.config.get("page_size", 100),
            }
            if since and params is not None:
                after = int(parse_timestamp(since, "cursor").timestamp())
                params["filtering"] = json.dumps(
                    [{"field": "time_created", "operator": "GREATER_THAN", "value": after}]
                )
            url: str | None = f"{base}/{version}/{form_id}/leads"
            number = 0
            while url:
                number += 1
                body, _ = self.get(url, params=params, headers=headers)
                yield f"form {form_id} page {number}", body
                paging = body.get("paging") if isinstance(body, Mapping) else None
                url = paging.get("next") if isinstance(paging, Mapping) else None
                params = None  # the next URL carries the cursor and the query

    def to_observation(self, record: Mapping[str, Any]) -> Observation:
        lead_id = require_str(record, "id")
        fields = _field_data(record)
        identifiers = [Identifier("lead_id", lead_id)]
        for kind, name in (("email", "email"), ("phone", "phone_number")):
            if fields.get(name):
                identifiers.append(Identifier(kind, fields[name]))
        has_address = any(
            fields.get(k) for k in ("street_address", "city", "zip_code", "post_code")
        )
        return Observation(
            external_id=lead_id,
            kind="profile",
            occurred_at=parse_timestamp(record.get("created_time"), "created_time"),
            identifiers=tuple(identifiers),
            person=Person(
                given_name=fields.get("first_name"),
                family_name=fields.get("last_name"),
                full_name=fields.get("full_name"),
                email=fields.get("email"),
                phone=fields.get("phone_number"),
                address=Address(
                    line1=fields.get("street_address"),
                    city=fields.get("city"),
                    region=fields.get("state") or fields.get("province"),
                    postcode=fields.get("zip_code") or fields.get("post_code"),
                    country=fields.get("country"),
                )
                if has_address
                else None,
                birth_date=fields.get("date_of_birth"),
                gender=fields.get("gender"),
            ),
            facts=(
                InteractionFact(
                    type="lead_form",
                    properties={
                        "form_id": record.get("form_id"),
                        "campaign_id": _optional_id(record, "campaign_id"),
                        "ad_id": _optional_id(record, "ad_id"),
                        "fields": fields,
                    },
                ),
            ),
        )


def _optional_id(record: Mapping[str, Any], key: str) -> str | None:
    """A Graph API id (a string of digits; some exports write a number)."""
    value = record.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.strip() or None if isinstance(value, str) else None


def _field_data(record: Mapping[str, Any]) -> dict[str, str]:
    data = record.get("field_data")
    if not isinstance(data, list):
        raise SkippableRecordError("expected a list of fields", field="field_data", value=data)
    fields: dict[str, str] = {}
    for index, item in enumerate(data):
        where = f"field_data[{index}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
            raise SkippableRecordError("expected {name, values}", field=where, value=item)
        values = item.get("values")
        if not isinstance(values, list):
            raise SkippableRecordError("expected a list", field=f"{where}.values", value=values)
        first = next((str(v).strip() for v in values if str(v).strip()), None)
        if first is not None:
            fields[item["name"]] = first
    return fields
