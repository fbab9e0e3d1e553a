"""The traits step of `cdp.refresh.steps()`: recompute the touched profiles' traits with the
stored models (None: every profile, refitting them)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.orm import Session

from cdp.value.compute import compute_traits
from cdp.value.settings import ValueSettings, cached_value_settings

__all__ = ["refresh_traits", "settings_from_environment"]


def settings_from_environment() -> ValueSettings:
    """The value settings named by `CDP_VALUE_CONFIG` (read once per process; `cdp.config`
    validated the file at start-up)."""
    path = os.environ.get("CDP_VALUE_CONFIG") or ""
    return cached_value_settings(Path(path) if path else None)


def refresh_traits(session: Session, profile_ids: Sequence[str] | None) -> None:
    compute_traits(session, profile_ids, settings=settings_from_environment())
