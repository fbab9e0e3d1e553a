"""The analyst examples preloaded in GraphiQL parse, and validate against the served schema.

An example whose root fields the schema does not have (yet) is skipped with their names; once
they exist, any other mismatch (a renamed field, a wrong argument) fails here.
"""

from __future__ import annotations

import pytest
from graphql import FieldNode, OperationDefinitionNode, parse, validate

from cdp.config import Settings
from cdp.web.graphiql import EXAMPLES, Example
from cdp.web.graphql import make_graphql_app


def _root_fields(example: Example) -> set[str]:
    document = parse(example.query)
    return {
        selection.name.value
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
        for selection in definition.selection_set.selections
        if isinstance(selection, FieldNode)
    }


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.title for e in EXAMPLES])
def test_example_validates_against_schema_when_its_root_fields_exist(example: Example) -> None:
    schema = make_graphql_app(Settings()).schema._schema
    document = parse(example.query)
    is_subscription = "subscription" in {
        d.operation.value for d in document.definitions if isinstance(d, OperationDefinitionNode)
    }
    query_type = schema.subscription_type if is_subscription else schema.query_type
    assert query_type is not None
    missing = sorted(_root_fields(example) - set(query_type.fields))
    if missing:
        pytest.skip(
            f"example {example.title!r}: the schema has no Query.{', Query.'.join(missing)} yet"
        )

    errors = validate(schema, document)

    assert [error.message for error in errors] == []
    assert [
        d.name.value
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode) and d.name
    ] == [example.title]
