from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse


async def healthz(request: Request) -> JSONResponse:
    """200 when the database answers, 503 with the reason when it does not."""
    engine = request.app.state.engine
    body: dict[str, object] = {"backend": engine.dialect.name}
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as exc:
        body.update(status="unavailable", database="unreachable", error=type(exc).__name__)
        return JSONResponse(body, status_code=503)
    body.update(status="ok", database="ok")
    return JSONResponse(body)
