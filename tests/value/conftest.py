"""The GraphQL fixtures of the schema tests (a started app and a key per role)."""

from __future__ import annotations

from tests.schema.conftest import app_client, gql, keys

__all__ = ["app_client", "gql", "keys"]
