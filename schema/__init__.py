"""The GraphQL layer: strawberry types, resolvers, loaders, context. Thin over `cdp` services.

schema = build_schema(settings)
context = await make_context(settings=settings, sessionmaker=sessions,
                             authorization=request.headers.get("authorization"))
"""

from __future__ import annotations

from schema._context import Context, make_context, read_sessions
from schema._examples import example_queries
from schema._schema import build_schema

__all__ = ["Context", "build_schema", "example_queries", "make_context", "read_sessions"]
