from __future__ import annotations

from typing import Any

import pytest

from cdp.masking import mask_json, mask_text, mask_url


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to jane.doe@example.com today", "write to j***@e***.com today"),
        ("call +1 415 555 0123 now", "call +************23 now"),
        ("138 0013 8000", "***********00"),
        ("+86 138-0013-8000", "+**************00"),
        ("(415) 555-0123", "************23"),
        ("order 7106562851191", "order 7106562851191"),
        ("on 2025-01-02 09:00:27", "on 2025-01-02 09:00:27"),
        ("2025-01-02T09:00:27Z", "2025-01-02T09:00:27Z"),
        ("83909eb8-a986-4026-ae00-bd204e183260", "83909eb8-a986-4026-ae00-bd204e183260"),
        ("@exampleshop 物流很快", "@exampleshop 物流很快"),
    ],
    ids=[
        "email",
        "phone-spaces",
        "cn-mobile",
        "cn-dashes",
        "brackets",
        "id-digits",
        "timestamp",
        "iso",
        "uuid",
        "mention",
    ],
)
def test_mask_text_masks_emails_and_written_phones_only(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            {"fields": {"email": "a@b.co", "full_name": "Ann Lee", "phone_number": "4155550123"}},
            {
                "fields": {
                    "email": "a***@b***.co",
                    "full_name": "A***",
                    "phone_number": "********23",
                }
            },
        ),
        (
            {
                "identifiers": {
                    "email": ["a@b.co"],
                    "social_handle": ["x:ann"],
                    "customer_id": ["7"],
                }
            },
            {
                "identifiers": {
                    "email": ["a***@b***.co"],
                    "social_handle": ["x:a***"],
                    "customer_id": ["7"],
                }
            },
        ),
        (
            {"address": {"line1": "1 Main St", "city": "Oslo", "postcode": 12345}},
            {"address": {"line1": "***", "city": "Oslo", "postcode": "12***"}},
        ),
        ({"date_of_birth": "10/19/1957"}, {"date_of_birth": "1957-**-**"}),
        (
            {"name": "Steel Bottle 750ml", "price": 29.0},
            {"name": "Steel Bottle 750ml", "price": 29.0},
        ),
        (
            {"sources": {"name": "shop:123", "email": "web:abc"}},
            {"sources": {"name": "shop:123", "email": "web:abc"}},
        ),
        ({"note": ["mail me: bo@x.org"]}, {"note": ["mail me: b***@x***.org"]}),
    ],
    ids=["lead-fields", "identifiers", "address", "birth", "product", "provenance", "nested-text"],
)
def test_mask_json_masks_by_key_and_by_content(value: Any, expected: Any) -> None:
    assert mask_json(value) == expected


def test_mask_url_keeps_host_and_numbers_when_path_names_a_handle() -> None:
    url = "https://x.com/bvergara/status/2099951862940236096?s=20"

    assert mask_url(url) == "https://x.com/b***/status/2099951862940236096?***"
