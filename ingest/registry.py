"""The adapter registry: the built-in adapters plus any a package ships through the
`cdp.adapters` entry-point group, e.g. in its `pyproject.toml`:

    [project.entry-points."cdp.adapters"]
    "store.reviews" = "acme_reviews:ReviewsAdapter"

A name registered twice raises `AdapterConfigError`: two packages must not fight over one.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterable
from importlib.metadata import entry_points

from ingest.adapter import CHANNELS, Adapter
from ingest.adapters import (
    MetaLeadsAdapter,
    SegmentAdapter,
    SendGridAdapter,
    ShopifyOrdersAdapter,
    XMentionsAdapter,
)
from ingest.errors import AdapterConfigError

__all__ = [
    "ADAPTERS",
    "ENTRY_POINT_GROUP",
    "available_adapters",
    "build_registry",
    "get_adapter",
    "import_adapter",
]

ENTRY_POINT_GROUP = "cdp.adapters"


def build_registry(adapters: Iterable[type[Adapter]]) -> dict[str, type[Adapter]]:
    """A name -> class mapping; raises on a duplicate name or an invalid declaration."""
    registry: dict[str, type[Adapter]] = {}
    for adapter in adapters:
        check_declaration(adapter)
        if adapter.name in registry:
            raise AdapterConfigError(
                f"adapter name {adapter.name!r} is registered twice: by "
                f"{_where(registry[adapter.name])} and by {_where(adapter)}; rename one"
            )
        registry[adapter.name] = adapter
    return registry


def check_declaration(adapter: type[Adapter]) -> None:
    """Raise `AdapterConfigError` naming every missing or invalid class attribute."""
    problems = []
    if not isinstance(getattr(adapter, "name", None), str) or not adapter.name:
        problems.append("`name` must be a non-empty string such as 'store.reviews'")
    if getattr(adapter, "channel", None) not in CHANNELS:
        problems.append(f"`channel` must be one of {', '.join(CHANNELS)}")
    if not isinstance(getattr(adapter, "primary_key", None), str) or not adapter.primary_key:
        problems.append("`primary_key` must name the payload field holding the natural key")
    if adapter.is_sorted and adapter.cursor_field is None:
        problems.append("`is_sorted = True` needs a `cursor_field`")
    if adapter.to_observation is Adapter.to_observation:
        problems.append("`to_observation` is not implemented")
    if problems:
        raise AdapterConfigError(f"adapter {_where(adapter)} is invalid: " + "; ".join(problems))


def _where(adapter: type[Adapter]) -> str:
    return f"{adapter.__module__}.{adapter.__qualname__}"


ADAPTERS: dict[str, type[Adapter]] = build_registry(
    [SegmentAdapter, SendGridAdapter, ShopifyOrdersAdapter, MetaLeadsAdapter, XMentionsAdapter]
)


def available_adapters() -> dict[str, type[Adapter]]:
    """Built-in adapters plus those installed packages declare in `cdp.adapters`."""
    loaded = []
    for point in entry_points(group=ENTRY_POINT_GROUP):
        adapter = point.load()
        if not (isinstance(adapter, type) and issubclass(adapter, Adapter)):
            raise AdapterConfigError(
                f"entry point {point.name!r} = {point.value!r} is not an Adapter subclass"
            )
        loaded.append(adapter)
    return build_registry([*ADAPTERS.values(), *loaded])


def get_adapter(name: str) -> type[Adapter]:
    """A registered adapter by name, or one given as `module:Class` (a module importable
    from the working directory or `PYTHONPATH`: no packaging needed)."""
    if ":" in name:
        return import_adapter(name)
    adapters = available_adapters()
    if name not in adapters:
        raise AdapterConfigError(
            f"unknown adapter {name!r}; available: {', '.join(sorted(adapters))} "
            "(or use a mapping file with --mapping)"
        )
    return adapters[name]


def import_adapter(spec: str) -> type[Adapter]:
    """The `Adapter` subclass named `module:Class`, checked like a registered one."""
    module_name, _, class_name = spec.partition(":")
    if not module_name or not class_name:
        raise AdapterConfigError(f"adapter {spec!r}: expected module:Class, e.g. reviews:Reviews")
    added = os.getcwd() not in sys.path
    if added:  # a module next to cdp.toml, as `python -m` would find it
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise AdapterConfigError(f"adapter {spec!r}: cannot import {module_name!r}: {exc}") from exc
    finally:
        if added:
            sys.path.remove(os.getcwd())
    adapter = getattr(module, class_name, None)
    if not (isinstance(adapter, type) and issubclass(adapter, Adapter)):
        raise AdapterConfigError(f"adapter {spec!r}: {class_name!r} is not an Adapter subclass")
    check_declaration(adapter)
    return adapter
