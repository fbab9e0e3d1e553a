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

Relative paths are relative to the file. Secrets belong in the environment (`*_env`), so
`cdp.toml` can be committed; they are never stored in the database or logged.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ingest.adapter import Adapter
from ingest.errors import AdapterConfigError
from ingest.mapping import MappingAdapter, load_mapping
from ingest.registry import get_adapter

__all__ = ["SourceConfig", "build_adapter", "load_sources"]

_RESERVED = ("adapter", "mapping", "files")


@dataclass(frozen=True)
class SourceConfig:
    name: str
    adapter: str | None
    mapping: Path | None
    files: tuple[Path, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.adapter or f"mapping {self.mapping}"


def load_sources(path: Path) -> dict[str, SourceConfig]:
    """The sources declared in `path`; an absent file declares none."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise AdapterConfigError(f"{str(path)!r} does not parse as TOML: {exc}") from exc
    sources = data.get("sources", {})
    if not isinstance(sources, dict):
        raise AdapterConfigError(f"{str(path)!r}: [sources] must be a table of sources")
    problems: list[str] = []
    found = {}
    for name, table in sources.items():
        try:
            found[name] = _source(name, table, path.parent)
        except AdapterConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise AdapterConfigError(f"{str(path)!r} is invalid: " + "; ".join(problems))
    return found


def _source(name: str, table: Any, base: Path) -> SourceConfig:
    if not isinstance(table, dict):
        raise AdapterConfigError(f"[sources.{name}] must be a table")
    adapter, mapping = table.get("adapter"), table.get("mapping")
    if (adapter is None) == (mapping is None):
        raise AdapterConfigError(f"[sources.{name}] needs exactly one of adapter = or mapping =")
    files = table.get("files", [])
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise AdapterConfigError(f"[sources.{name}] files must be a list of paths")
    return SourceConfig(
        name=name,
        adapter=str(adapter) if adapter is not None else None,
        mapping=(base / str(mapping)) if mapping is not None else None,
        files=tuple(path for f in files for path in _expand(base, f)),
        settings={k: v for k, v in table.items() if k not in _RESERVED},
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
        return MappingAdapter(load_mapping(source.mapping), files=chosen, client=client)
    assert source.adapter is not None
    adapter_class = get_adapter(source.adapter)
    return adapter_class(resolve_settings(source, environ), files=chosen, client=client)
