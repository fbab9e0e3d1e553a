from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from ingest.errors import FatalAdapterError, RetriableAdapterError
from ingest.http import RetryPolicy, get_json


def _client(responses: list[httpx.Response]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        return responses.pop(0)

    return httpx.Client(transport=httpx.MockTransport(handler))


def test_backoff_doubles_until_the_cap_when_server_gives_no_hint() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0)

    assert [policy.delay(n, None) for n in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_retry_after_as_http_date_is_honoured() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    sleeps: list[float] = []
    client = _client(
        [httpx.Response(429, headers={"Retry-After": later}), httpx.Response(200, json={})]
    )

    get_json(client, "https://api.test/x", policy=RetryPolicy(sleep=sleeps.append))

    assert len(sleeps) == 1
    assert 25 <= sleeps[0] <= 30


def test_giving_up_names_the_attempts_and_hides_the_query_string() -> None:
    client = _client([httpx.Response(503)] * 3)

    with pytest.raises(RetriableAdapterError) as caught:
        get_json(
            client,
            "https://api.test/leads?access_token=SECRET",
            policy=RetryPolicy(attempts=3, sleep=lambda _: None),
        )

    assert "giving up after 3 attempts" in str(caught.value)
    assert "SECRET" not in str(caught.value)


def test_client_error_is_fatal_without_retrying() -> None:
    client = _client([httpx.Response(404, text="no such form")])

    with pytest.raises(FatalAdapterError, match="404"):
        get_json(client, "https://api.test/x", policy=RetryPolicy(sleep=lambda _: None))


def test_non_json_answer_is_fatal() -> None:
    client = _client([httpx.Response(200, text="<html>")])

    with pytest.raises(FatalAdapterError, match="did not answer JSON"):
        get_json(client, "https://api.test/x")
