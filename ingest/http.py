"""HTTP for pull adapters: timeouts, and retries with exponential back-off on 5xx and 429.

`Retry-After` (seconds or an HTTP date) is honoured. Credentials travel in headers set from
configuration; log lines show the URL without its query string, so a token passed as a
query parameter never reaches a log.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from ingest.errors import FatalAdapterError, RetriableAdapterError

__all__ = ["DEFAULT_TIMEOUT", "RetryPolicy", "get_json", "make_client"]

log = logging.getLogger("ingest.http")
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` tries in all; waits `base_delay * 2**n`, at most `max_delay` seconds."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return float(min(max(retry_after, 0.0), self.max_delay))
        return float(min(self.base_delay * (2**attempt), self.max_delay))


def make_client(timeout: float | None = None) -> httpx.Client:
    return httpx.Client(
        timeout=DEFAULT_TIMEOUT if timeout is None else httpx.Timeout(timeout),
        follow_redirects=False,
    )


def _safe(url: httpx.URL) -> str:
    return str(url.copy_with(query=None))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _attempt(
    client: httpx.Client, url: str, params: Mapping[str, Any] | None, headers: Mapping[str, str]
) -> httpx.Response:
    try:
        response = client.get(url, params=params, headers=headers)
    except httpx.TimeoutException as exc:
        raise RetriableAdapterError(f"timed out: {type(exc).__name__}") from exc
    except httpx.TransportError as exc:
        raise RetriableAdapterError(f"transport error: {type(exc).__name__}: {exc}") from exc
    where = _safe(response.request.url)
    if response.status_code == 429 or response.status_code >= 500:
        raise RetriableAdapterError(
            f"GET {where} answered {response.status_code}", retry_after=_retry_after(response)
        )
    if response.status_code >= 400:
        raise FatalAdapterError(
            f"GET {where} answered {response.status_code}: {response.text[:200]!r}; check the "
            "source's URL and credentials in the configuration"
        )
    return response


def get_json(
    client: httpx.Client,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
) -> tuple[Any, httpx.Response]:
    """GET a JSON document, retrying transient failures; returns (body, response)."""
    policy = policy or RetryPolicy()
    for attempt in range(policy.attempts):
        try:
            response = _attempt(client, url, params, headers or {})
        except RetriableAdapterError as exc:
            if attempt + 1 >= policy.attempts:
                raise RetriableAdapterError(
                    f"giving up after {policy.attempts} attempts: {exc}"
                ) from exc
            wait = policy.delay(attempt, exc.retry_after)
            log.warning("%s; retrying in %.1fs", exc, wait)
            policy.sleep(wait)
            continue
        try:
            return response.json(), response
        except ValueError as exc:
            where = _safe(response.request.url)
            raise FatalAdapterError(f"GET {where} did not answer JSON: {exc}") from exc
    raise AssertionError("unreachable")  # pragma: no cover
