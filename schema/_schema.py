"""`build_schema(settings)`: the strawberry schema with its limits, caches and error policy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult

from cdp.config import Settings
from schema._identity import IdentityMutation
from schema._limits import (
    NUL_MESSAGE,
    TimeLimit,
    apply_error_policy,
    make_rules,
    nul_in_variables,
)
from schema._mutation import FeedbackMutation
from schema._query import Query
from schema._results import EXCEPTION_HANDLERS

__all__ = ["CACHE_SIZE", "CdpSchema", "build_schema"]

CACHE_SIZE = 512


@strawberry.type(description="The root of every write.")
class Mutation(FeedbackMutation, IdentityMutation):
    pass


class CdpSchema(strawberry.Schema):
    """The strawberry schema plus: variables with NUL characters are refused before execution,
    execution stops at the request timeout with a `TIMEOUT` error, and only unexpected errors
    are logged (by `apply_error_policy`), with every suggestion trimmed when suggestions are off."""

    time_limit: TimeLimit
    has_suggestions: bool = True

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Unexpected errors are logged with their traceback by `apply_error_policy`; the rest
        # (validation, permissions, bad input, limits) are the client's business, not the log's.
        # Strawberry's own switch only trims "Cannot query field" messages; this trims every
        # hint (arguments, enum values, types) when suggestions are off.
        if not self.has_suggestions:
            for error in errors:
                error.message = error.message.split(" Did you mean")[0]

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        variables = kwargs.get("variable_values", args[1] if len(args) > 1 else None)
        where = nul_in_variables(variables)
        if where is not None:
            error = GraphQLError(f"variable {where} {NUL_MESSAGE}")
            return ExecutionResult(data=None, errors=[error])
        try:
            return await self.time_limit.run(super().execute(*args, **kwargs))  # type: ignore[no-any-return]
        except TimeoutError:
            seconds = self.time_limit.seconds
            error = GraphQLError(
                f"the request took longer than {seconds:g}s and was stopped; ask for less "
                "(smaller pages, fewer nested lists)",
                extensions={"code": "TIMEOUT"},
            )
            return ExecutionResult(data=None, errors=[error])


def build_schema(settings: Settings) -> CdpSchema:
    """The GraphQL schema; limits, introspection and suggestions come from `settings`."""
    rules = make_rules(settings)
    max_tokens = settings.graphql_max_tokens
    # strawberry's parser and validation caches (module-level LRUs shared by every instance of
    # the same size), called from one extension: each extension costs per request, in its
    # construction and in the context managers wrapping each of its hooks.
    parse = ParserCache(maxsize=CACHE_SIZE).cached_parse_document
    validate = ValidationCache(maxsize=CACHE_SIZE).cached_validate_document

    class Pipeline(SchemaExtension):
        """Token limit, cached parse, the validation rules (the same rule classes for every
        request, so the validation cache can hit), cached validation, and the error policy."""

        def on_operation(self) -> Iterator[None]:
            context = self.execution_context
            context.parse_options["max_tokens"] = max_tokens
            context.validation_rules = (*context.validation_rules, *rules)
            yield
            apply_error_policy(context.result)

        def on_parse(self) -> Iterator[None]:
            context = self.execution_context
            context.graphql_document = parse(context.query, **context.parse_options)
            yield

        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            context.pre_execution_errors = validate(
                context.schema._schema, context.graphql_document, context.validation_rules
            )
            yield

    schema = CdpSchema(
        query=Query,
        mutation=Mutation,
        extensions=[Pipeline],
        exception_handlers=EXCEPTION_HANDLERS,
        config=StrawberryConfig(disable_field_suggestions=not settings.graphql_field_suggestions),
    )
    schema.time_limit = TimeLimit(settings.graphql_timeout_seconds)
    schema.has_suggestions = settings.graphql_field_suggestions
    return schema
