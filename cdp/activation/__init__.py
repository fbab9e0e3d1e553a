"""Activation: what the platform knows reaches the tools that act on it.

- `outbox`: changes (events, segment entries and exits, trait changes, flow messages) written
  in the transaction that made them;
- `dispatch`, `deliver`, `worker`: fan-out to destinations, retries with backoff and jitter,
  a rate limit per destination, dead letters, consent per destination purpose;
- `webhook`, `filedrop`, `mailchimp`: the destinations' senders; `signing`: webhook signatures;
- `declared`: destinations declared in cdp.toml; `health`: counts, lag, replay.

See docs/activation.md.
"""

from __future__ import annotations

from cdp.activation.declared import DestinationSpec, load_destinations, sync_declared
from cdp.activation.health import DestinationHealth, health, list_deliveries, replay
from cdp.activation.outbox import Change, capture_records, emit
from cdp.activation.worker import TickReport, Worker, default_poll

__all__ = [
    "Change",
    "DestinationHealth",
    "DestinationSpec",
    "TickReport",
    "Worker",
    "capture_records",
    "default_poll",
    "emit",
    "health",
    "list_deliveries",
    "load_destinations",
    "replay",
    "sync_declared",
]
