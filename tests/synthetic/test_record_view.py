"""The record view says what the files say: each record's time, attributes and identifiers follow
from its payload by the mapping documented in docs/synthetic.md (written out again here,
independently, as an adapter would)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from cdp.synthetic import SyntheticRecord
from tests.synthetic.conftest import Generated

View = tuple[dict[str, Any], set[tuple[str, str]]]


def _compact(mapping: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in mapping.items() if value not in (None, "", {})}


def _segment(message: dict[str, Any]) -> View:
    traits = message.get("traits") or message.get("context", {}).get("traits") or {}
    attributes = _compact({
        "given_name": traits.get("firstName"), "family_name": traits.get("lastName"),
        "full_name": traits.get("name"), "email": traits.get("email"),
        "phone": traits.get("phone"), "birth_date": traits.get("birthday"),
        "gender": traits.get("gender"),
    })  # fmt: skip
    if "address" in traits:
        a = traits["address"]
        attributes["address"] = {"line1": a["street"], "city": a["city"], "region": a["state"],
                                 "postcode": a["postalCode"], "country": a["country"]}  # fmt: skip
    identifiers = {("anonymous_id", message["anonymousId"])}
    if "userId" in message:
        identifiers.add(("user_id", message["userId"]))
    identifiers |= {
        (k, traits[t]) for k, t in (("email", "email"), ("phone", "phone")) if t in traits
    }
    if "x_handle" in traits:
        identifiers.add(("social_handle", f"x:{traits['x_handle']}"))
    return attributes, identifiers


def _sendgrid(event: dict[str, Any]) -> View:
    identifiers = {("email", event["email"])}
    if "customer_id" in event:
        identifiers.add(("customer_id", event["customer_id"]))
    return {"email": event["email"]}, identifiers


def _shopify(order: dict[str, Any]) -> View:
    customer, billing = order["customer"], order["billing_address"]
    phones = [p for p in (order["phone"], customer["phone"], billing["phone"]) if p]
    attributes = _compact({
        "given_name": customer["first_name"], "family_name": customer["last_name"],
        "email": order["email"], "phone": phones[0] if phones else None,
        "address": _compact({
            "line1": billing["address1"], "line2": billing["address2"], "city": billing["city"],
            "region": billing["province_code"], "postcode": billing["zip"],
            "country": billing["country_code"],
        }),
    })  # fmt: skip
    identifiers = {("customer_id", str(customer["id"])), ("email", order["email"]),
                   ("email", customer["email"])} | {("phone", p) for p in phones}  # fmt: skip
    return attributes, identifiers


def _pos(row: dict[str, str]) -> View:
    attributes = _compact({
        "full_name": row["customer_name"], "phone": row["phone"], "email": row["email"],
        "address": _compact({"line1": row["street"], "city": row["city"],
                             "postcode": row["postcode"]}),
    })  # fmt: skip
    identifiers = {(kind, row[column]) for kind, column in
                   (("loyalty_id", "loyalty_card"), ("phone", "phone"), ("email", "email"))
                   if row[column]}  # fmt: skip
    return attributes, identifiers


def _lead(lead: dict[str, Any]) -> View:
    fields = {f["name"]: f["values"][0] for f in lead["field_data"]}
    attributes = _compact({
        "full_name": fields.get("full_name"), "email": fields.get("email"),
        "phone": fields.get("phone_number"), "birth_date": fields.get("date_of_birth"),
        "address": _compact({"city": fields.get("city"), "postcode": fields.get("zip_code")}),
    })  # fmt: skip
    identifiers = {("lead_id", lead["id"])}
    identifiers |= {(k, fields[f]) for k, f in (("email", "email"), ("phone", "phone_number"))
                    if f in fields}  # fmt: skip
    return attributes, identifiers


def _payloads(out: Path) -> Iterator[tuple[str, str, dict[str, Any], Callable[..., View]]]:
    with (out / "web/segment-events.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            message = json.loads(line)
            yield "web.segment", message["messageId"], message, _segment
    for event in json.loads((out / "email/sendgrid-events.json").read_text("utf-8")):
        yield "email.sendgrid", event["sg_event_id"], event, _sendgrid
    for path in out.glob("store/shopify-orders-*.json"):
        for order in json.loads(path.read_text("utf-8"))["orders"]:
            yield "store.shopify", str(order["id"]), order, _shopify
    with (out / "store/pos-receipts.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            yield "store.pos", row["receipt_id"], row, _pos
    for path in out.glob("social/meta-leads-*.json"):
        for lead in json.loads(path.read_text("utf-8"))["data"]:
            yield "social.meta_leads", lead["id"], lead, _lead
    for path in out.glob("social/x-mentions-*.json"):
        page = json.loads(path.read_text("utf-8"))
        users = {u["id"]: u for u in page["includes"]["users"]}
        for tweet in page["data"]:
            user = users[tweet["author_id"]]
            view = ({"full_name": user["name"]},
                    {("social_handle", f"x:{user['username']}"),
                     ("social_id", f"x:{tweet['author_id']}")})  # fmt: skip
            yield "social.x_mentions", tweet["id"], tweet, lambda _p, v=view: v


_LOCAL = timezone(timedelta(hours=-5))
OCCURRED_AT: dict[str, Callable[[dict[str, Any]], datetime]] = {
    "web.segment": lambda m: datetime.fromisoformat(m["timestamp"]),
    "email.sendgrid": lambda e: datetime.fromtimestamp(e["timestamp"], UTC),
    "store.shopify": lambda o: datetime.fromisoformat(o["created_at"]),
    "store.pos": lambda r: datetime.strptime(r["sold_at"], "%d/%m/%Y %H:%M").replace(tzinfo=_LOCAL),
    "social.meta_leads": lambda lead: datetime.strptime(
        lead["created_time"], "%Y-%m-%dT%H:%M:%S%z"
    ),
    "social.x_mentions": lambda t: datetime.fromisoformat(t["created_at"]),
}


@pytest.fixture(scope="module")
def records(generated: Generated) -> dict[tuple[str, str], SyntheticRecord]:
    return {(r.adapter, r.external_id): r for h in generated.households for r in h.records}


def test_every_record_is_what_its_payload_says(
    generated: Generated, records: dict[tuple[str, str], SyntheticRecord]
) -> None:
    checked = 0
    for adapter, external_id, payload, view in _payloads(generated.out_dir):
        record = records[(adapter, external_id)]
        attributes, identifiers = view(payload)
        if adapter == "web.segment" and record.kind != "profile":
            # pages and tracks only repeat the email in context.traits
            attributes = {k: v for k, v in attributes.items() if k == "email"}
        assert dict(record.attributes) == attributes, (adapter, external_id)
        assert set(record.identifiers) == identifiers, (adapter, external_id)
        assert record.occurred_at == OCCURRED_AT[adapter](payload), (adapter, external_id)
        checked += 1
    assert checked == len(records)
