from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient
from strawberry.extensions.validation_cache import _get_validate_cache

from cdp.db import unit_of_work
from schema._schema import CACHE_SIZE
from tests.schema.conftest import Gql
from tests.schema.factories import (
    make_identifier,
    make_profile,
    make_record,
    make_source,
)

Factory = Callable[..., TestClient]


def _post(client: TestClient, query: str) -> dict[str, Any]:
    body: dict[str, Any] = client.post("/graphql", json={"query": query}).json()
    return body


def test_deep_query_is_refused_when_over_depth_limit(client_factory: Factory) -> None:
    client = client_factory(open_mode=True, graphql_max_depth=3)

    body = _post(client, '{ profile(id: "x") { orders { nodes { items { name } } } } }')

    assert body["errors"][0]["message"] == "'anonymous' exceeds maximum operation depth of 3"


def test_many_aliases_are_refused_when_over_limit(client_factory: Factory) -> None:
    client = client_factory(open_mode=True, graphql_max_aliases=2)

    body = _post(client, "{ a: stats { profiles } b: stats { profiles } c: stats { profiles } }")

    assert body["errors"][0]["message"] == "3 aliases found. Allowed: 2"


def test_long_document_is_refused_when_over_token_limit(client_factory: Factory) -> None:
    client = client_factory(open_mode=True, graphql_max_tokens=20)

    body = _post(client, "{ stats { " + "profiles " * 20 + "} }")

    assert body["errors"][0]["message"] == (
        "Syntax Error: Document contains more than 20 tokens. Parsing aborted."
    )


def test_costly_query_is_refused_with_its_cost_when_over_budget(client_factory: Factory) -> None:
    client = client_factory(open_mode=True, graphql_max_cost=1000)
    query = "{ profiles(first: 100) { nodes { events(first: 100) { nodes { type } } } } }"

    body = _post(client, query)

    error = body["errors"][0]
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 20201, "budget": 1000}
    assert error["message"].startswith("query cost 20201 exceeds the budget of 1000")


def test_variable_page_size_costs_the_maximum_when_budgeting(client_factory: Factory) -> None:
    client = client_factory(open_mode=True, graphql_max_cost=150)
    query = "query($n: Int) { profiles(first: $n) { nodes { id } } }"

    body = client.post("/graphql", json={"query": query, "variables": {"n": 1}}).json()

    assert body["errors"][0]["extensions"]["cost"] == 1 + 100 + 100


def test_introspection_is_refused_when_switched_off(client_factory: Factory) -> None:
    client = client_factory(open_mode=True, graphql_introspection=False)

    body = _post(client, "{ __schema { types { name } } }")

    assert "introspection" in body["errors"][0]["message"].lower()


def test_field_suggestions_are_hidden_when_switched_off(client_factory: Factory) -> None:
    shown = client_factory(open_mode=True)
    hidden = client_factory(open_mode=True, graphql_field_suggestions=False)
    query = '{ profil(id: "x") { id } }'

    enum_query = '{ profileByIdentifier(kind: EMAL, value: "x") { id } }'

    assert "Did you mean" in _post(shown, query)["errors"][0]["message"]
    assert "Did you mean" in _post(shown, enum_query)["errors"][0]["message"]
    assert _post(hidden, query)["errors"][0]["message"] == (
        "Cannot query field 'profil' on type 'Query'."
    )
    assert _post(hidden, enum_query)["errors"][0]["message"] == (
        "Value 'EMAL' does not exist in 'IdentifierKind' enum."
    )


def test_slow_request_is_stopped_when_over_timeout(client_factory: Factory) -> None:
    client = client_factory(open_mode=True, graphql_timeout_seconds=1e-6)

    body = _post(client, "{ profiles { nodes { id } } }")

    assert body["errors"][0]["extensions"]["code"] == "TIMEOUT"
    assert body["data"] is None


def test_unexpected_error_is_masked_when_data_breaks_a_resolver(
    client_factory: Factory, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as session:
        profile = make_profile(session)
        record = make_record(session, source=make_source(session), profile=profile)
        # An identifier kind the schema does not know (an unknown channel is `OTHER` now).
        make_identifier(session, record=record, kind="passport", value="X1")
    client = client_factory(open_mode=True)

    body = _post(client, f'{{ profile(id: "{profile.id}") {{ id identifiers {{ kind }} }} }}')

    assert body["errors"] == [
        {
            "message": "Unexpected error.",
            "locations": [{"line": 1, "column": 32}],
            "path": ["profile", "identifiers"],
            "extensions": {"code": "INTERNAL"},
        }
    ]


def test_database_error_never_shows_sql_when_a_table_is_missing(
    client_factory: Factory, session_factory: sessionmaker[Session], db_url: str
) -> None:
    with unit_of_work(session_factory) as session:
        profile_id = make_profile(session).id
        session.execute(text("DROP TABLE consents"))
    client = client_factory(open_mode=True)

    response = client.post(
        "/graphql",
        json={"query": f'{{ profile(id: "{profile_id}") {{ consents {{ purpose }} }} }}'},
    )

    assert response.json()["errors"][0]["message"] == "Unexpected error."
    assert "consents" not in str(response.json()["errors"][0].get("extensions"))
    for secret in ("SELECT", "FROM", db_url.split("@")[-1], "Traceback"):
        assert secret not in response.text


def test_validation_cache_hits_when_same_document_is_sent_again(gql: Gql, backend: str) -> None:
    cache = _get_validate_cache(CACHE_SIZE)
    query = "{ stats { profiles sources } __typename }"
    gql(query)
    before = cache.cache_info()

    gql(query)
    gql(query)

    after = cache.cache_info()
    assert after.hits - before.hits == 2
    assert after.misses == before.misses


def test_nul_character_is_refused_in_literals_and_variables(gql: Gql, backend: str) -> None:
    literal = gql('{ profile(id: "a\\u0000b") { id } }')
    variable = gql(
        "query($input: MergeProfilesInput!) { mergeProfiles(input: $input) { __typename } }",
        {"input": {"winnerId": "a\x00", "otherId": "b"}},
    )

    assert literal["errors"][0]["message"] == (
        "a string value contains a NUL character (\\u0000), which text cannot hold; remove it"
    )
    assert variable["errors"][0]["message"] == (
        "variable $input.winnerId contains a NUL character (\\u0000), which text cannot hold; "
        "remove it"
    )
