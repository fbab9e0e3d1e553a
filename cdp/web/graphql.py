"""HTTP routes of the composition root (health, GraphQL, push endpoints)."""

from __future__ import annotations

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from cdp.config import Settings
from cdp.services.keys import InvalidKeyError
from schema import Context, build_schema, make_context


class GraphQLApp(GraphQL[Context, None]):
    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        state = request.app.state
        try:
            return await make_context(
                settings=state.settings,
                sessionmaker=state.sessionmaker,
                authorization=request.headers.get("authorization"),
            )
        except InvalidKeyError as error:
            raise HTTPException(401, str(error)) from None


def make_graphql_app(settings: Settings) -> GraphQLApp:
    return GraphQLApp(build_schema(settings), graphql_ide="graphiql")
