"""The ingest exception tree, classified by what the runner does about each error.

IngestError                    root of every error ingest raises on purpose
├── AdapterConfigError         the adapter or source is configured wrongly: stop before reading
├── FatalAdapterError          the source failed in a way retrying cannot fix: stop the run
├── RetriableAdapterError      a transient failure (5xx, 429, timeout): back off and retry
└── SkippableRecordError       one record is bad: quarantine it with the reason, carry on

Only `SkippableRecordError` is about a record; the others are about the run. What a run has
committed before a fatal error stays committed, together with the checkpoint that covers it.
"""

from __future__ import annotations

__all__ = [
    "AdapterConfigError",
    "FatalAdapterError",
    "IngestError",
    "RetriableAdapterError",
    "SkippableRecordError",
]


class IngestError(Exception):
    """Root of every error ingest raises on purpose."""


class AdapterConfigError(IngestError):
    """An adapter, source or mapping is configured wrongly; the message says how to fix it."""


class FatalAdapterError(IngestError):
    """The source failed and retrying will not help (bad credentials, 404, broken contract)."""


class RetriableAdapterError(IngestError):
    """A transient failure; `retry_after` (seconds) is the server's hint when it gave one."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SkippableRecordError(IngestError):
    """One record is malformed; it goes to quarantine and the rest of the batch proceeds.

    Args:
        reason: what is wrong, e.g. "not an ISO 8601 timestamp".
        field: the offending field (dotted path), when one field is to blame.
        value: the offending value, shown with `repr` in the message.
    """

    _NO_VALUE = object()

    def __init__(self, reason: str, *, field: str | None = None, value: object = _NO_VALUE) -> None:
        self.reason = reason
        self.field = field
        self.value = value
        message = f"{field}: {reason}" if field else reason
        if value is not self._NO_VALUE:
            shown = repr(value)
            message += f" (got {shown[:200]}{'...' if len(shown) > 200 else ''})"
        super().__init__(message)
