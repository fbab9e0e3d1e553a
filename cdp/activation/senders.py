"""Build the sender of a destination row (`cdp.activation._sender.Sender`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

from cdp import models
from cdp.activation._sender import Sender
from cdp.activation.filedrop import FileDropSender
from cdp.activation.mailchimp import MailchimpSender
from cdp.activation.webhook import WebhookSender
from cdp.errors import ConfigError

__all__ = ["ClientFactory", "default_client", "sender_for"]

ClientFactory = Callable[[], httpx.Client]
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def default_client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT, follow_redirects=False)


def _secret(destination: models.Destination, key: str, environ: Mapping[str, str]) -> str:
    variable = destination.config[key]
    value = environ.get(variable)
    if not value:
        raise ConfigError(
            [f"destination {destination.name!r}: {key} = {variable!r}, but it is not set"]
        )
    return value


def sender_for(
    destination: models.Destination,
    environ: Mapping[str, str],
    client_factory: ClientFactory = default_client,
) -> Sender:
    """The sender for this destination; `ConfigError` when a secret's variable is unset."""
    config = destination.config
    if destination.kind == "webhook":
        return WebhookSender(
            config["url"], _secret(destination, "secret_env", environ), client_factory()
        )
    if destination.kind == "file":
        return FileDropSender(Path(config["path"]), destination.name, config.get("format", "jsonl"))
    if destination.kind == "mailchimp":
        return MailchimpSender(
            config["list_id"],
            _secret(destination, "api_key_env", environ),
            client_factory(),
            base_url=config.get("base_url"),
            has_consent_purpose=destination.purpose is not None,
        )
    raise ConfigError([f"destination {destination.name!r}: unknown kind {destination.kind!r}"])
