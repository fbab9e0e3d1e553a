"""The composition root of the web app: `create_app(settings)` builds the ASGI application."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Mount, Route, WebSocketRoute

from cdp.activation.live import Hub, listen_conninfo
from cdp.activation.runner import BackgroundWorker
from cdp.config import Settings, configure_logging, load_settings, mask_url
from cdp.db import (
    create_async_db_engine,
    create_async_read_engine,
    dispose_read_engine,
    make_async_sessionmaker,
)
from cdp.feedback.taxonomy import taxonomy_for
from cdp.services.keys import KeyCache
from cdp.web import overview
from cdp.web.browser_sdks import cross_origin, sdk_settings_routes
from cdp.web.feedback_intake import make_feedback_intake
from cdp.web.graphiql import STATIC_ROUTE_NAME, graphiql_page, static_files
from cdp.web.graphql import make_graphql_app
from cdp.web.health import healthz
from cdp.web.limits import BodyLimit, install_log_filters
from cdp.web.overview import overview_page
from cdp.web.push import push_routes
from cdp.web.push_groups import PushGroups
from cdp.web.resolver import BackgroundResolver

__all__ = ["create_app", "create_app_from_environment"]

log = logging.getLogger("cdp.app")


def create_app(settings: Settings) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = create_async_db_engine(settings)
        read_engine = create_async_read_engine(settings, engine)
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessionmaker = make_async_sessionmaker(engine)
        app.state.readers = make_async_sessionmaker(read_engine)
        app.state.key_cache = KeyCache()
        app.state.push_groups = PushGroups(
            app.state.sessionmaker, default_region=settings.default_region
        )
        app.state.feedback_intake = make_feedback_intake(
            app.state.sessionmaker,
            default_region=settings.default_region,
            taxonomy=taxonomy_for(settings.feedback_topics_file),
        )
        log.info("serving on %s database %s", engine.dialect.name, mask_url(settings.database_url))
        app.state.live_hub = hub = Hub()
        if engine.dialect.name == "postgresql":
            hub.start_listening(listen_conninfo(settings))
        background = BackgroundWorker(settings) if settings.runs_embedded_worker else None
        if background is not None:
            background.start()
        if settings.environment == "prod":
            # The schema, models and libraries are built for good: freezing them takes them
            # out of every later garbage collection, whose full passes would otherwise walk
            # them all (about 15% of the CPU of a small query).
            gc.collect()
            gc.freeze()
        # pushes are resolved in the background, starting with what an earlier run left
        app.state.resolver = resolver = BackgroundResolver(settings)
        resolver.start()
        try:
            yield
        finally:
            await asyncio.to_thread(resolver.stop)
            if background is not None:
                background.stop()
            await hub.close()
            await dispose_read_engine(read_engine)
            await engine.dispose()

    install_log_filters()
    graphql = BodyLimit(
        make_graphql_app(settings),
        settings.graphql_max_body_bytes,
        setting="CDP_GRAPHQL_MAX_BODY_BYTES",
    )
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/graphql", graphql, methods=["GET", "POST"], name="graphql"),
        WebSocketRoute("/graphql", graphql, name="graphql_ws"),
        Route("/graphiql", graphiql_page, methods=["GET"]),
        Mount("/graphiql/static", GZipMiddleware(static_files()), name=STATIC_ROUTE_NAME),
        Route("/overview", overview_page, methods=["GET"]),
        Mount(
            "/overview/static",
            GZipMiddleware(overview.static_files()),
            name=overview.STATIC_ROUTE_NAME,
        ),
        *(cross_origin(r) if r.path.startswith("/v1/") else r for r in push_routes()),
        *sdk_settings_routes(),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def create_app_from_environment() -> Starlette:
    """The app for the settings in the `CDP_*` environment variables: what each worker process
    of `cdp serve --workers N` builds (uvicorn starts workers from an import string)."""
    settings = load_settings()
    configure_logging(settings)
    return create_app(settings)
