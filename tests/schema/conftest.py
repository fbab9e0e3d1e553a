"""Schema tests go through the real ASGI app, with a key per role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from cdp.app import create_app
from cdp.config import Settings
from cdp.db import unit_of_work
from cdp.services.keys import create_key

Gql = Callable[..., dict[str, Any]]


@pytest.fixture
def app_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def client_factory(settings: Settings) -> Iterator[Callable[..., TestClient]]:
    """Started test clients for apps whose settings differ from the default (closed after)."""
    clients: list[TestClient] = []

    def make(**changes: Any) -> TestClient:
        client = TestClient(create_app(settings.replace(**changes)))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def keys(session_factory: sessionmaker[Session]) -> dict[str, str]:
    with unit_of_work(session_factory) as session:
        return {
            role: create_key(session, role=role, name=f"{role} test key").key
            for role in ("admin", "app", "analyst")
        }


@pytest.fixture
def gql(app_client: TestClient, keys: dict[str, str]) -> Gql:
    """POST a GraphQL request as a role (admin by default); returns the JSON body."""

    def run(
        query: str, variables: dict[str, Any] | None = None, *, role: str | None = "admin"
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {keys[role]}"} if role else {}
        response = app_client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        body: dict[str, Any] = response.json()
        return body

    return run
