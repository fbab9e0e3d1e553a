"""Sources declared in `cdp.toml` (path from `settings.sources_file`):

    [sources.web]
    adapter = "web.segment"
    files = ["world/web/segment-events.jsonl"]      # optional: files (or globs) to read

    [sources.shop]
    adapter = "store.shopify"
    shop_url = "https://acme.myshopify.com"
    access_token_env = "SHOPIFY_ACCESS_TOKEN"       # `<setting>_env`: read from this variable

    [sources.pos]
    mapping = "examples/mappings/pos.toml"          # a mapping file instead of an adapter
    files = ["world/store/pos-receipts.csv"]
    phone_region = "GB"                             # phones without a country code
    duplicate_free = true                           # no two records are one person: identity
                                                    # links them only to other sources' records

    channels = ["callcenter"]                       # channels besides the built-in ones
                                                    # (top level, before any [table])

A source's `phone_region` overrides its mapping's, which overrides `CDP_DEFAULT_REGION`.
Relative paths are relative to the file. Secrets belong in the environment (`*_env`), so
`cdp.toml` can be committed; they are never stored in the database or logged.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from cdp.normalize import is_phone_region
from ingest.adapter import CHANNELS, Adapter
from ingest.errors import AdapterConfigError
from ingest.mapping import MappingAdapter, load_mapping
from ingest.registry import get_adapter

__all__ = ["SourceConfig", "build_adapter", "load_channels", "load_sources", "phone_region_of"]

_RESERVED = ("adapter", "mapping", "files", "phone_region")
_CHANNEL_NAME = re.compile(r"^[a-z][a-z0-9_]{0,19}$")


@dataclass(frozen=True)
class SourceConfig:
    name: str
    adapter: str | None
    mapping: Path | None
    files: tuple[Path, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    phone_region: str | None = None
    channels: tuple[str, ...] = ()
    """The channels `cdp.toml` declares (a mapping may name one of them)."""

    @property
    def label(self) -> str:
        return self.adapter or f"mapping {self.mapping}"


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise AdapterConfigError(f"{str(path)!r} does not parse as TOML: {exc}") from exc


def load_channels(path: Path) -> tuple[str, ...]:
    """The channels `path` declares besides the built-in ones (`channels = ["callcenter"]`);
    an absent file declares none."""
    declared = _read(path).get("channels", [])
    if not isinstance(declared, list):
        raise AdapterConfigError(f"{str(path)!r}: channels must be a list of names")
    bad = [n for n in declared if not isinstance(n, str) or not _CHANNEL_NAME.match(n)]
    if bad:
        raise AdapterConfigError(
            f"{str(path)!r}: channels {', '.join(map(repr, bad))}: a channel name is lower-case "
            "letters, digits and '_', starting with a letter, at most 20 characters"
        )
    return tuple(name for name in dict.fromkeys(declared) if name not in CHANNELS)


def load_sources(path: Path) -> dict[str, SourceConfig]:
    """The sources declared in `path`; an absent file declares none."""
    data = _read(path)
    if not data:
        return {}
    channels = load_channels(path)
    sources = data.get("sources", {})
    if not isinstance(sources, dict):
        raise AdapterConfigError(f"{str(path)!r}: [sources] must be a table of sources")
    problems: list[str] = []
    found = {}
    for name, table in sources.items():
        try:
            found[name] = _source(name, table, path.parent, channels)
        except AdapterConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise AdapterConfigError(f"{str(path)!r} is invalid: " + "; ".join(problems))
    return found


def _source(name: str, table: Any, base: Path, channels: tuple[str, ...]) -> SourceConfig:
    if not isinstance(table, dict):
        raise AdapterConfigError(f"[sources.{name}] must be a table")
    adapter, mapping = table.get("adapter"), table.get("mapping")
    if (adapter is None) == (mapping is None):
        raise AdapterConfigError(f"[sources.{name}] needs exactly one of adapter = or mapping =")
    files = table.get("files", [])
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise AdapterConfigError(f"[sources.{name}] files must be a list of paths")
    region = table.get("phone_region")
    if region is not None and (not isinstance(region, str) or not is_phone_region(region.upper())):
        raise AdapterConfigError(
            f"[sources.{name}] phone_region = {region!r}: expected a region code such as "
            "'US', 'AU' or 'CN'"
        )
    if not isinstance(table.get("duplicate_free", False), bool):
        raise AdapterConfigError(
            f"[sources.{name}] duplicate_free = {table['duplicate_free']!r}: expected true or "
            "false (true: no two records of this source are one person, so identity only "
            "links them to other sources' records)"
        )
    return SourceConfig(
        name=name,
        adapter=str(adapter) if adapter is not None else None,
        mapping=(base / str(mapping)) if mapping is not None else None,
        files=tuple(path for f in files for path in _expand(base, f)),
        settings={k: v for k, v in table.items() if k not in _RESERVED},
        phone_region=region.upper() if isinstance(region, str) else None,
        channels=channels,
    )


def _expand(base: Path, pattern: str) -> list[Path]:
    """A path, or the sorted matches of a glob (`shopify-orders-*.json`)."""
    if not any(ch in pattern for ch in "*?["):
        return [base / pattern]
    return sorted(base.glob(pattern))


def resolve_settings(source: SourceConfig, environ: Mapping[str, str]) -> dict[str, Any]:
    """The source's settings with every `<key>_env` replaced by the variable's value."""
    resolved: dict[str, Any] = {}
    for key, value in source.settings.items():
        if key.endswith("_env"):
            if str(value) not in environ:
                raise AdapterConfigError(
                    f"source {source.name!r}: {key} names the environment variable "
                    f"{value!r}, which is not set"
                )
            resolved[key.removesuffix("_env")] = environ[str(value)]
        else:
            resolved[key] = value
    return resolved


def build_adapter(
    source: SourceConfig,
    environ: Mapping[str, str],
    *,
    files: Sequence[Path] | None = None,
    client: httpx.Client | None = None,
) -> Adapter:
    """The adapter instance for a configured source (`files` overrides the declared ones)."""
    chosen = tuple(files) if files is not None else source.files
    if source.mapping is not None:
        mapped = MappingAdapter(
            load_mapping(source.mapping, source.channels), files=chosen, client=client
        )
        mapped.phone_region = source.phone_region or mapped.phone_region
        # Stored with the source (`sources.config`): identity reads `duplicate_free` there.
        mapped.config = {**source.settings, **mapped.config}
        return mapped
    assert source.adapter is not None
    adapter_class = get_adapter(source.adapter)
    return adapter_class(resolve_settings(source, environ), files=chosen, client=client)


def phone_region_of(adapter: Adapter, source: SourceConfig | None, default_region: str) -> str:
    """The region a source's phones without a country code are read in: the source's
    `phone_region` in `cdp.toml`, else its mapping's, else `default_region`."""
    if source is not None and source.phone_region:
        return source.phone_region
    mapped = adapter.phone_region if isinstance(adapter, MappingAdapter) else None
    return mapped or default_region
