"""`HttpAdapter`: the base of adapters that pull pages over HTTP (and read the same pages
from files). A subclass writes `pages(since)`, yielding each response page's records."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from ingest.adapter import Adapter, RawRecord, records_from_page
from ingest.errors import AdapterConfigError
from ingest.http import RetryPolicy, get_json, make_client

__all__ = ["HttpAdapter"]


class HttpAdapter(Adapter):
    """An adapter that pulls pages over HTTP; with `files`, it reads saved pages instead.

    Subclasses implement `pages(since)` yielding `(label, page_body)` and use `self.get` for
    every request (timeouts, retries, back-off). `required_settings` names the configuration
    keys a pull needs; they are checked before the first request.
    """

    file_format = "json_pages"
    required_settings: tuple[str, ...] = ()
    retry_policy = RetryPolicy()

    def fetch(self, since: str | None) -> Iterator[RawRecord]:
        if self.files:
            yield from super().fetch(since)
            return
        missing = [key for key in self.required_settings if not self.config.get(key)]
        if missing:
            raise AdapterConfigError(
                f"adapter {self.name!r} needs settings {', '.join(missing)} to pull; set them "
                "in the source's section of cdp.toml (or give files to read instead)"
            )
        for label, page in self.pages(since):
            yield from records_from_page(self.records_in_page(page), label)

    def pages(self, since: str | None) -> Iterator[tuple[str, Mapping[str, Any]]]:
        raise NotImplementedError

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[Any, httpx.Response]:
        if self.client is None:
            self.client = make_client(self.config.get("timeout"))
        return get_json(self.client, url, params=params, headers=headers, policy=self.retry_policy)
