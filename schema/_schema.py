"""`build_schema(settings)`: the strawberry schema with its limits, caches and error policy."""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from typing import Any, cast

import strawberry
from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLResolveInfoHelpers,
    specified_rules,
)
from graphql import execute as graphql_execute
from strawberry.exceptions import MissingQueryError
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.schema.schema import (
    DEFAULT_ALLOWED_OPERATION_TYPES,
    StrawberryGraphQLCoreExecutionContext,
)
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.utils.await_maybe import await_maybe
from strawberry.utils.operation import get_first_operation, get_operation_type

from cdp.config import Settings
from cdp.errors import shorten
from schema._destinations import DestinationMutation
from schema._flows import FlowMutation
from schema._identity import IdentityMutation
from schema._limits import (
    NUL_MESSAGE,
    TimeLimit,
    apply_error_policy,
    make_rules,
    nul_in_variables,
)
from schema._mutation import FeedbackMutation
from schema._privacy import PrivacyMutation
from schema._query import Query
from schema._results import EXCEPTION_HANDLERS
from schema._segments import SegmentMutation
from schema._subscriptions import Subscription

__all__ = ["CACHE_SIZE", "CdpSchema", "build_schema"]

CACHE_SIZE = 512


class Executor(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, without the reference cycle graphql-core's makes.

    graphql-core's executor keeps the helpers it hands resolvers (`info.async_helpers`) as
    bound methods of itself, so every executor, and everything it holds (the context, the
    variables, the collected fields: about 44 objects for a profile by identifier), outlives
    its request until the cyclic garbage collector finds it. Under load that made the
    collector's passes the largest single pause of a request (a full pass about 12 ms, a
    middle one 1.5 ms) and about a tenth of a server process's CPU. These helpers reach the
    executor through a weak reference instead, so the request's objects are freed as soon as
    it ends. The executor is alive whenever they are called: they are called by its own
    resolvers while it executes (and a subscription's copies share the original's, which the
    subscription holds).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        executor = weakref.ref(self)

        def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
            return cast("Executor", executor()).gather_async_work(values)

        def track(values: Sequence[Awaitable[Any]]) -> None:
            cast("Executor", executor()).track_async_work(values)

        self.async_helpers = GraphQLResolveInfoHelpers(gather=gather, track=track)


@strawberry.type(description="The root of every write.")
class Mutation(
    FeedbackMutation,
    IdentityMutation,
    DestinationMutation,
    SegmentMutation,
    PrivacyMutation,
    FlowMutation,
):
    pass


class CdpSchema(strawberry.Schema):
    """The strawberry schema plus: variables with NUL characters are refused before execution,
    execution stops at the request timeout with a `TIMEOUT` error, and only unexpected errors
    are logged (by `apply_error_policy`), with every suggestion trimmed when suggestions are off.

    `execute` (what the HTTP view and every async caller use) runs the operation straight
    through graphql-core: the cached parse with the token limit, the operation type check,
    the cached validation with the schema's rules, execution with strawberry's execution
    context (so resolvers, permissions and exception handlers are strawberry's), then error
    processing and the error policy. That is what `strawberry.Schema.execute` does with this
    schema's one extension (`Pipeline` in `build_schema`), without building an execution
    context, an extension runner and its hook context managers per request (about a fifth of
    the CPU of a small query). Strawberry's other entry points (`execute_sync`, `subscribe`)
    keep running the extension.
    """

    time_limit: TimeLimit
    has_suggestions: bool = True
    parse_document: Callable[..., DocumentNode]
    validate_document: Callable[..., list[GraphQLError]]
    max_tokens: int
    rules: tuple[type[ASTValidationRule], ...]

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Unexpected errors are logged with their traceback by `apply_error_policy`; the rest
        # (validation, permissions, bad input, limits) are the client's business, not the log's.
        # Strawberry's own switch only trims "Cannot query field" messages; this trims every
        # hint (arguments, enum values, types) when suggestions are off.
        for error in errors:
            if not self.has_suggestions:
                error.message = error.message.split(" Did you mean")[0]
            # A literal or variable value can be echoed whole (graphql-core prints literals).
            error.message = shorten(error.message)

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        where = nul_in_variables(variable_values)
        if where is not None:
            error = GraphQLError(f"variable {where} {NUL_MESSAGE}")
            return ExecutionResult(data=None, errors=[error])
        try:
            result = await self.time_limit.run(
                self._run(
                    query,
                    variable_values,
                    context_value,
                    root_value,
                    operation_name,
                    DEFAULT_ALLOWED_OPERATION_TYPES
                    if allowed_operation_types is None
                    else allowed_operation_types,
                    operation_extensions,
                )
            )
        except TimeoutError:
            seconds = self.time_limit.seconds
            error = GraphQLError(
                f"the request took longer than {seconds:g}s and was stopped; ask for less "
                "(smaller pages, fewer nested lists)",
                extensions={"code": "TIMEOUT"},
            )
            return ExecutionResult(data=None, errors=[error])
        apply_error_policy(result)
        return cast("ExecutionResult", result)

    async def _run(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None,
        context_value: Any,
        root_value: Any,
        operation_name: str | None,
        allowed_operation_types: Iterable[OperationType],
        operation_extensions: dict[str, Any] | None,
    ) -> ExecutionResult:
        if not query:
            raise MissingQueryError
        try:
            try:
                document = self.parse_document(query, max_tokens=self.max_tokens)
            except GraphQLError as error:
                return self._refused([error])
            except Exception as error:  # noqa: BLE001 (as strawberry: the message is the client's)
                return self._refused([GraphQLError(str(error), original_error=error)])
            try:
                operation_type = get_operation_type(document, operation_name)
            except RuntimeError as error:
                raise CannotGetOperationTypeError(operation_name) from error
            if operation_type not in allowed_operation_types:
                raise InvalidOperationTypeError(operation_type)
            errors = self.validate_document(self._schema, document, self.rules)
            if errors:
                return self._refused(errors)
            if operation_name is None:
                first = get_first_operation(document)
                operation_name = first.name.value if first and first.name else None
            result = await await_maybe(
                graphql_execute(
                    self._schema,
                    document,
                    root_value=root_value,
                    variable_values=variable_values,
                    operation_name=operation_name,
                    context_value=context_value,
                    is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
                    executor_class=self.execution_context_class,
                    operation_extensions=operation_extensions,
                )
            )
        except (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError):
            raise
        except GraphQLError as error:
            return self._refused([error])
        except Exception as error:  # noqa: BLE001 (as strawberry: the error policy masks it)
            return self._refused([GraphQLError(str(error), original_error=error)])
        if result.errors:
            self._process_errors(result.errors)
        return ExecutionResult(data=result.data, errors=result.errors)

    def _refused(self, errors: list[GraphQLError]) -> ExecutionResult:
        """The result of an operation that never executed."""
        self._process_errors(errors)
        return PreExecutionError(data=None, errors=errors)


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
        subscription=Subscription,
        extensions=[Pipeline],
        execution_context_class=Executor,
        exception_handlers=EXCEPTION_HANDLERS,
        config=StrawberryConfig(disable_field_suggestions=not settings.graphql_field_suggestions),
    )
    schema.time_limit = TimeLimit(settings.graphql_timeout_seconds)
    schema.has_suggestions = settings.graphql_field_suggestions
    schema.parse_document = parse
    schema.validate_document = validate
    schema.max_tokens = max_tokens
    # The rules `Pipeline` gives every request: strawberry's defaults, then ours.
    schema.rules = (*specified_rules, *rules)
    return schema
