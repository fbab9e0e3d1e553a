"""Keyed hashes of identifiers: what the suppression list and erasure receipts hold.

A digest is HMAC-SHA256, under the configured privacy key (`CDP_PRIVACY_KEY`), of an
identifier's kind and normalised value. Without the key nobody can test a guessed email
against the list; with it, the platform can tell whether an arriving record carries an erased
identifier. The key reaches the database code through the engine it configured:
`cdp.db.create_db_engine(settings)` registers `settings.privacy_key` for the engine it makes.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from cdp.errors import CdpError

__all__ = [
    "PrivacyKeyError",
    "digest",
    "fingerprint",
    "key_for",
    "register_key",
    "subject_digest",
]

_KEYS: WeakKeyDictionary[Engine, bytes] = WeakKeyDictionary()


class PrivacyKeyError(CdpError):
    """No privacy key is known for the engine a session is bound to."""


def register_key(engine: Engine, key: str) -> None:
    """Make `key` the privacy key of sessions bound to `engine` (done by `cdp.db`)."""
    _KEYS[engine] = key.encode()


def key_for(session: Session) -> bytes:
    bind: Any = session.get_bind()
    engine = bind if isinstance(bind, Engine) else getattr(bind, "engine", None)
    key = None
    while engine is not None and key is None:
        key = _KEYS.get(engine)
        engine = getattr(engine, "_proxied", None)  # an engine with execution options
    if key is None:
        raise PrivacyKeyError(
            "no privacy key is configured for this database engine; build engines with "
            "cdp.db.create_db_engine(settings) (or create_async_db_engine), which register "
            "settings.privacy_key (CDP_PRIVACY_KEY)"
        )
    return key


def digest(key: bytes, kind: str, value: str) -> str:
    """The keyed hash of one normalised identifier (hex, 64 characters)."""
    return hmac.new(key, f"{kind}\x1f{value}".encode(), hashlib.sha256).hexdigest()


def subject_digest(key: bytes, profile_id: str) -> str:
    """The keyed hash of a profile id, as kept on an erasure receipt."""
    return digest(key, "profile", profile_id)


def fingerprint(key: bytes) -> str:
    """Names a key without revealing it (kept with each digest, so a digest made under an
    earlier key can be told apart after the key changes)."""
    return hmac.new(key, b"cdp privacy key fingerprint", hashlib.sha256).hexdigest()[:16]
