"""The GraphQL fixtures of tests/schema (the real ASGI app, a key per role)."""

from tests.schema.conftest import app_client, gql, keys

__all__ = ["app_client", "gql", "keys"]
