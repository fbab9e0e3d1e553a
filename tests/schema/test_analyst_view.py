"""Every field an analyst can reach, scanned for the demo world's emails and phones.

The queries are generated from the schema (every field of every type reachable from the
roots, except the admin-only raw `payload`), so a field added later is scanned too. The same
queries as admin must find the personal data: that is what proves the scan can see it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from graphql import (
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    get_named_type,
    is_abstract_type,
    is_non_null_type,
    is_object_type,
    parse,
)
from graphql.pyutils import Undefined
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from cdp import models
from cdp.app import create_app
from cdp.cli import cli
from cdp.config import Settings
from cdp.db import unit_of_work
from cdp.services.keys import create_key
from schema import build_schema
from schema._limits import query_cost

ADMIN_ONLY = frozenset({"payload"})
SKIPPED = frozenset({"edges"})  # the same nodes as `nodes`
MAX_DEPTH = 6
# Root fields asked for as they are (small pages where the whole selection is costly).
ARGS = {
    "reviewList": "(first: 3)",
    "feedbackList": "(first: 20)",
    "feedbackAnalytics": "",
    "overview": "",
    "stats": "",
}


def _has_required_args(field: GraphQLField) -> bool:
    return any(
        is_non_null_type(arg.type) and arg.default_value is Undefined for arg in field.args.values()
    )


def selection(
    schema: GraphQLSchema,
    named: GraphQLNamedType,
    path: tuple[str, ...] = (),
    depth: int = MAX_DEPTH,
) -> str:
    """Every field of `named` the generator can ask for without arguments, recursively."""
    if is_abstract_type(named):
        parts = [
            f"... on {member.name} {{ {selection(schema, member, path, depth)} }}"
            for member in schema.get_possible_types(named)
        ]
        return "__typename " + " ".join(parts)
    assert isinstance(named, GraphQLObjectType)
    fields: list[str] = ["__typename"]
    for name, field in named.fields.items():
        if name in ADMIN_ONLY or name in SKIPPED or _has_required_args(field):
            continue
        inner = get_named_type(field.type)
        if is_object_type(inner) or is_abstract_type(inner):
            if inner.name in path or len(path) >= depth:
                continue
            sub = selection(schema, inner, (*path, named.name), depth)
            fields.append(f"{name} {{ {sub} }}")
        else:
            fields.append(name)
    return " ".join(fields)


def _cost(settings: Settings, document: str) -> int:
    schema = build_schema(settings)._schema
    operation = parse(document).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return query_cost(schema, operation, {}, settings)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif value is not None:
        yield str(value)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


class World:
    def __init__(self, session: Session) -> None:
        identifiers = session.execute(
            select(models.Identifier.kind, models.Identifier.value).where(
                models.Identifier.kind.in_(("email", "phone"))
            )
        ).all()
        self.emails = {v.lower() for k, v in identifiers if k == "email"}
        # The national number: a phone's digits after the country code (10 for US numbers).
        self.phones = {_digits(v)[-10:] for k, v in identifiers if k == "phone"}
        self.profiles = list(
            session.scalars(select(models.Profile.id).where(models.Profile.status == "active"))
        )
        self.family = next(
            name
            for name in session.scalars(select(models.Profile.family_name))
            if name and len(name) > 3
        )

    def leaks(self, body: Any) -> list[str]:
        found = []
        for text in _strings(body):
            lowered = text.lower()
            digits = _digits(text)
            found += [f"{email} in {text[:80]!r}" for email in self.emails if email in lowered]
            if len(digits) >= 10:
                found += [f"{phone} in {text[:80]!r}" for phone in self.phones if phone in digits]
        return found


@pytest.fixture
def world(db_url: str, tmp_path: Path, session_factory: sessionmaker[Session]) -> World:
    args = ["demo", "--no-serve", "--people", "60", "--world", str(tmp_path / "world")]
    result = CliRunner().invoke(cli, args, env={"CDP_DATABASE_URL": db_url})
    assert result.exit_code == 0, result.output
    with session_factory() as session:
        return World(session)


def _queries(settings: Settings, world: World) -> Iterator[tuple[str, dict[str, Any]]]:
    schema = build_schema(settings)._schema
    query = schema.query_type
    assert query is not None

    def root(name: str) -> str:
        return selection(schema, get_named_type(query.fields[name].type), ("Query",))

    for profile_id in world.profiles:
        yield f"query($id: ID!) {{ profile(id: $id) {{ {root('profile')} }} }}", {"id": profile_id}
        yield (
            f"query($id: ID!) {{ explainProfile(id: $id) {{ {root('explainProfile')} }} }}",
            {"id": profile_id},
        )
    left, right = world.profiles[:2]
    yield (
        f"query($l: ID!, $r: ID!) {{ compare(left: $l, right: $r) {{ {root('compare')} }} }}",
        {"l": left, "r": right},
    )
    yield (
        f"query($t: String!) {{ searchProfiles(text: $t, first: 5) "
        f"{{ {root('searchProfiles')} }} }}",
        {"t": world.family},
    )
    for name, args in ARGS.items():
        yield f"{{ {name}{args} {{ {root(name)} }} }}", {}
    # Every other root field that needs no argument, so a field added later is scanned too
    # (in small pages where it takes `first`; one the role may not use answers FORBIDDEN).
    asked = {"profile", "explainProfile", "compare", "searchProfiles", "profiles", *ARGS}
    for name, field in query.fields.items():
        if name in asked or _has_required_args(field):
            continue
        args = "(first: 3)" if "first" in field.args else ""
        inner = get_named_type(field.type)
        if not (is_object_type(inner) or is_abstract_type(inner)):
            yield f"{{ {name}{args} }}", {}
            continue
        # The deepest selection the cost budget allows (a list of lists of profiles is
        # costly); profiles themselves are scanned whole above.
        for depth in range(MAX_DEPTH, 0, -1):
            sub = selection(schema, inner, ("Query",), depth)
            if _cost(settings, f"{{ {name}{args} {{ {sub} }} }}") <= settings.graphql_max_cost:
                yield f"{{ {name}{args} {{ {sub} }} }}", {}
                break
    profiles_nodes = selection(schema, schema.get_type("Profile"), ("Query", "ProfileConnection"))  # type: ignore[arg-type]
    yield f"{{ profiles(first: 5) {{ nodes {{ {profiles_nodes} }} }} }}", {}


def _run(
    settings: Settings, world: World, session_factory: sessionmaker[Session], role: str
) -> list[dict[str, Any]]:
    with unit_of_work(session_factory) as session:
        key = create_key(session, role=role, name=f"{role} scan").key
    bodies = []
    with TestClient(create_app(settings)) as client:
        for query, variables in _queries(settings, world):
            response = client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {key}"},
            )
            body = response.json()
            codes = {e.get("extensions", {}).get("code") for e in body.get("errors", ())}
            if (
                codes
                and codes <= {"FORBIDDEN", "BAD_USER_INPUT"}
                and not any((body.get("data") or {}).values())
            ):
                continue  # not for this role, or it needs an argument: nothing reached
            assert "errors" not in body, (query[:200], body["errors"][:2])
            bodies.append(body)
    return bodies


def test_analyst_reaches_no_email_or_phone_and_street_when_reading_every_field(
    settings: Settings, world: World, session_factory: sessionmaker[Session]
) -> None:
    bodies = _run(settings, world, session_factory, "analyst")

    leaks = [leak for body in bodies for leak in world.leaks(body)]
    assert leaks == [], leaks[:10]
    addresses = [
        body["data"]["profile"]["address"]
        for body in bodies
        if "profile" in body["data"] and body["data"]["profile"] is not None
    ]
    filled = [a for a in addresses if a is not None]
    assert len(filled) >= len(addresses) / 2  # structured addresses fill the typed field
    assert all(a["line1"] in (None, "***") and a["city"] for a in filled)


def test_admin_sees_the_emails_and_phones_the_scan_looks_for(
    settings: Settings, world: World, session_factory: sessionmaker[Session]
) -> None:
    bodies = _run(settings, world, session_factory, "admin")

    leaks = [leak for body in bodies for leak in world.leaks(body)]
    assert len({leak.split(" in ")[0] for leak in leaks}) >= len(world.emails) * 0.9
