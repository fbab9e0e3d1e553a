from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from schema import Context, build_schema


class GraphQLApp(GraphQL[Context, None]):
    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        state = request.app.state
        return Context(settings=state.settings, sessionmaker=state.sessionmaker)


def make_graphql_app() -> GraphQLApp:
    return GraphQLApp(build_schema(), graphql_ide="graphiql")
