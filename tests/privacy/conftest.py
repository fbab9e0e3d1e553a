from __future__ import annotations

from tests.schema.conftest import app_client, gql, keys

__all__ = ["app_client", "gql", "keys"]
