"""Destinations in GraphQL through the real ASGI app: admin manages, analyst reads, app may not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from cdp.app import create_app
from cdp.config import Settings
from cdp.db import unit_of_work
from cdp.services.keys import create_key
from tests.activation.conftest import SECRET

FIELDS = """... on Destination { name kind url purpose events declaredIn enabled
  health { delivered dead pending lagSeconds } }
  ... on Problem { __typename message }"""
CREATE = f"mutation($i: DestinationInput!) {{ createDestination(input: $i) {{ {FIELDS} }} }}"
REPLACE = f"mutation($i: DestinationInput!) {{ replaceDestination(input: $i) {{ {FIELDS} }} }}"


@pytest.fixture
def gql(
    settings: Settings, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    monkeypatch.setenv("GQL_HOOK_SECRET", SECRET)
    with unit_of_work(session_factory) as session:
        keys = {r: create_key(session, role=r, name=r).key for r in ("admin", "app", "analyst")}
    with TestClient(create_app(settings.replace(embedded_worker=False))) as client:

        def run(query: str, variables: dict[str, Any] | None = None, role: str = "admin") -> Any:
            response = client.post(
                "/graphql",
                json={"query": query, "variables": variables or {}},
                headers={"Authorization": f"Bearer {keys[role]}"},
            )
            return response.json()

        yield run


def _hook(**changes: Any) -> dict[str, Any]:
    return {"name": "crm", "kind": "WEBHOOK", "url": "https://hooks.example.com/x",
            "secretEnv": "GQL_HOOK_SECRET", "events": ["Signed Up"], **changes}  # fmt: skip


def test_an_admin_creates_replaces_and_deletes_a_destination_when_settings_are_valid(
    gql: Any,
) -> None:
    created = gql(CREATE, {"i": _hook()})["data"]["createDestination"]
    replaced = gql(REPLACE, {"i": _hook(purpose="email_marketing")})["data"]["replaceDestination"]
    listed = gql("{ destinations { name purpose health { pending } } }", role="analyst")
    deleted = gql(
        'mutation { deleteDestination(name: "crm") { ... on DestinationDeleted { name } } }'
    )

    assert created["name"] == "crm"
    assert created["kind"] == "WEBHOOK"
    assert created["declaredIn"] == "graphql"
    assert created["health"] == {"delivered": 0, "dead": 0, "pending": 0, "lagSeconds": 0.0}
    assert replaced["purpose"] == "email_marketing"
    assert listed["data"]["destinations"] == [
        {"name": "crm", "purpose": "email_marketing", "health": {"pending": 0}}
    ]
    assert deleted["data"]["deleteDestination"] == {"name": "crm"}
    assert gql("{ destinations { name } }")["data"]["destinations"] == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"url": "ftp://x"}, "'ftp://x' is not an http(s) URL"),
        ({"secretEnv": "UNSET_VARIABLE"}, "secret_env = 'UNSET_VARIABLE', but that variable"),
        ({"name": "bad name!"}, "the name must be letters"),
        ({"rateLimit": 0}, "rate_limit = 0.0"),
    ],
    ids=["url", "secret", "name", "rate"],
)
def test_a_bad_setting_is_an_invalid_input_naming_it_when_creating(
    gql: Any, changes: dict[str, Any], expected: str
) -> None:
    result = gql(CREATE, {"i": _hook(**changes)})["data"]["createDestination"]

    assert result["__typename"] == "InvalidInput"
    assert expected in result["message"]


def test_a_second_destination_of_the_same_name_is_a_conflict_when_created(gql: Any) -> None:
    gql(CREATE, {"i": _hook()})

    again = gql(CREATE, {"i": _hook()})["data"]["createDestination"]

    assert again["__typename"] == "Conflict"


def test_only_admins_manage_destinations_when_other_roles_try(gql: Any) -> None:
    as_app = gql(CREATE, {"i": _hook()}, role="app")["data"]["createDestination"]
    as_analyst = gql(CREATE, {"i": _hook()}, role="analyst")["data"]["createDestination"]
    listing = gql("{ destinations { name } }", role="app")

    assert as_app["__typename"] == as_analyst["__typename"] == "Forbidden"
    assert listing["errors"][0]["message"]
