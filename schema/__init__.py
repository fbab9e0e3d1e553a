"""The GraphQL layer: strawberry types, resolvers, loaders, context. Thin over `cdp` services."""

from __future__ import annotations

from schema._context import Context
from schema._schema import build_schema

__all__ = ["Context", "build_schema"]
