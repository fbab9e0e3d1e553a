"""Ingest: the adapter SDK, built-in channel adapters, mapping files, pull and push runners."""

from __future__ import annotations

__all__: list[str] = []
