"""Limits against abusive queries, and what clients see when something goes wrong.

Validation rules (depth, aliases, cost, introspection) are built once per schema and added
by one extension class (`schema._schema`) holding the same rule classes for every request.
That keeps strawberry's validation cache working: it is keyed on (schema, document, rules), and an
extension given as a factory that builds its rules per request (e.g. `lambda:
QueryDepthLimiter(10)`) makes a new rule class each time, so the cache never hits.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    ValidationRule,
    get_named_type,
    is_list_type,
    is_non_null_type,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from sqlalchemy.exc import DataError
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

import identity
from cdp.config import Settings
from cdp.errors import ConflictError, InvalidInputError, NotFoundError
from cdp.services.search import SEARCH_CANDIDATES

__all__ = [
    "NoNulCharactersRule",
    "apply_error_policy",
    "make_rules",
    "nul_in_variables",
    "query_cost",
]

log = logging.getLogger("schema")
BOUNDED_LIST_FACTOR = 10
# Fields whose work is not a few rows: each costs this much more than 1 per occurrence.
# A search scores up to SEARCH_CANDIDATES profiles; an aggregate reads whole tables (the
# cost of a page of 100 profiles with 25 fields), so 20 of them fill the default budget.
AGGREGATE_COST = 2_500
FIELD_COSTS: dict[tuple[str, str], int] = {
    ("Query", "searchProfiles"): SEARCH_CANDIDATES,
    **{
        ("Overview", name): AGGREGATE_COST
        for name in (
            "totals",
            "profilesByChannel",
            "profilesByChannelCount",
            "profilesByRecordCount",
            "mergeStats",
        )
    },
    ("Query", "feedbackAnalytics"): AGGREGATE_COST,
    ("Query", "reviewList"): AGGREGATE_COST,
    # Counts over whole tables, open without a key outside production.
    ("Query", "stats"): AGGREGATE_COST,
    # A segment evaluated over every active profile; campaign figures over their events.
    ("Query", "segmentPreview"): AGGREGATE_COST,
    ("Query", "segmentBreakdown"): AGGREGATE_COST,
    ("Query", "campaigns"): AGGREGATE_COST,
    ("Query", "campaign"): AGGREGATE_COST,
}
_EXPECTED = (InvalidInputError, NotFoundError, ConflictError, identity.IdentityError)
_NOT_FOUND = (NotFoundError, identity.ProfileNotFoundError, identity.RecordNotFoundError)
_CONFLICT = (ConflictError, identity.IdentityConflictError)


def make_rules(settings: Settings) -> tuple[type[ValidationRule], ...]:
    """The validation rules for these settings, built once (see the module docstring)."""
    rules: list[type[ValidationRule]] = [
        NoNulCharactersRule,
        depth_rule(settings.graphql_max_depth, None, None),
        max_aliases_rule(settings.graphql_max_aliases),
        _cost_rule(settings),
    ]
    if not settings.graphql_introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)


NUL_MESSAGE = "contains a NUL character (\\u0000), which text cannot hold; remove it"


class NoNulCharactersRule(ValidationRule):
    """Refuses string literals with NUL characters (PostgreSQL text cannot store them)."""

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if "\x00" in node.value:
            self.report_error(GraphQLError(f"a string value {NUL_MESSAGE}", node))


def nul_in_variables(variables: Any, path: str = "") -> str | None:
    """The path of the first variable value holding a NUL character, if any."""
    if isinstance(variables, str):
        return path if "\x00" in variables else None
    if isinstance(variables, dict):
        items: Any = variables.items()
    elif isinstance(variables, list):
        items = enumerate(variables)
    else:
        return None
    for key, value in items:
        found = nul_in_variables(value, f"{path}.{key}" if path else f"${key}")
        if found is not None:
            return found
    return None


def _cost_rule(settings: Settings) -> type[ValidationRule]:
    budget = settings.graphql_max_cost

    class QueryCostRule(ValidationRule):
        """Refuses an operation whose worst-case cost exceeds the per-request budget."""

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            document = self.context.document
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            cost = query_cost(self.context.schema, node, fragments, settings)
            if cost > budget:
                self.report_error(
                    GraphQLError(
                        f"query cost {cost} exceeds the budget of {budget}; ask for smaller "
                        "pages (`first`) or fewer nested lists",
                        node,
                        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "budget": budget},
                    )
                )

    return QueryCostRule


def query_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    settings: Settings,
) -> int:
    """Worst-case number of fields resolved: each field costs 1 per parent it appears under
    (plus its `FIELD_COSTS` entry: searches and aggregates), and a list multiplies its
    children by its page size (`first`: the literal, the maximum for a variable, the default
    when absent; a plain list counts as 10)."""
    root = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]
    if root is None:
        return 0
    return _selection_cost(schema, operation.selection_set, root, 1, fragments, settings, ())


def _selection_cost(
    schema: GraphQLSchema,
    selection_set: SelectionSetNode,
    parent: GraphQLNamedType,
    multiplier: int,
    fragments: dict[str, FragmentDefinitionNode],
    settings: Settings,
    seen: tuple[str, ...],
) -> int:
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            extra = FIELD_COSTS.get((parent.name, selection.name.value), 0)
            total += multiplier * (1 + extra)
            fields = getattr(parent, "fields", None) or {}
            definition = fields.get(selection.name.value)
            if definition is None or selection.selection_set is None:
                continue
            factor = _page_factor(selection, definition, parent, settings)
            total += _selection_cost(
                schema,
                selection.selection_set,
                get_named_type(definition.type),
                multiplier * factor,
                fragments,
                settings,
                seen,
            )
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = schema.get_type(condition.name.value) if condition else parent
            total += _selection_cost(
                schema,
                selection.selection_set,
                target or parent,
                multiplier,
                fragments,
                settings,
                seen,
            )
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is None or name in seen:
                continue
            target = schema.get_type(fragment.type_condition.name.value) or parent
            total += _selection_cost(
                schema,
                fragment.selection_set,
                target,
                multiplier,
                fragments,
                settings,
                (*seen, name),
            )
    return total


def _page_factor(
    node: FieldNode, definition: Any, parent: GraphQLNamedType, settings: Settings
) -> int:
    if "first" in definition.args:
        for argument in node.arguments or ():
            if argument.name.value == "first":
                if isinstance(argument.value, IntValueNode):
                    return max(1, min(int(argument.value.value), settings.graphql_max_page_size))
                return settings.graphql_max_page_size
        return settings.graphql_default_page_size
    output = definition.type.of_type if is_non_null_type(definition.type) else definition.type
    if is_list_type(output) and not parent.name.endswith("Connection"):
        return BOUNDED_LIST_FACTOR
    return 1


def apply_error_policy(result: Any) -> None:
    """Unexpected errors reach clients as "Unexpected error." (logged here in full); errors the
    client can act on (validation, bad input, permissions, limits) keep their message."""
    errors = getattr(result, "errors", None)
    if result is not None and errors:
        result.errors = [_client_error(error) for error in errors]


def _client_error(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return error
    if isinstance(original, DataError):
        # A value the database cannot store (too long for its column, say): the client's to
        # fix, but the driver's message names tables and SQL, so it is replaced.
        return GraphQLError(
            "a value in the request cannot be stored (too long or out of range for its field)",
            error.nodes,
            path=error.path,
            extensions={"code": "BAD_USER_INPUT"},
        )
    if isinstance(original, _EXPECTED):
        code = (
            "NOT_FOUND"
            if isinstance(original, _NOT_FOUND)
            else "CONFLICT"
            if isinstance(original, _CONFLICT)
            else "BAD_USER_INPUT"
        )
        return GraphQLError(str(original), error.nodes, path=error.path, extensions={"code": code})
    log.error("unexpected error at %s", error.path, exc_info=original)
    return GraphQLError(
        "Unexpected error.", error.nodes, path=error.path, extensions={"code": "INTERNAL"}
    )


class TimeLimit:
    """Wraps execution in a deadline; used by `CdpSchema.execute`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def run(self, coroutine: Any) -> Any:
        async with asyncio.timeout(self.seconds):
            return await coroutine
