"""Create the FastAPI application. ``uvicorn --factory service.app:create_app`` serves it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from service import __version__
from service.active_model import ActiveModel
from service.auth import OPEN, ROLE_DOCS, role_of
from service.config import Settings, get_settings
from service.errors import install_error_handlers
from service.logs import configure_logging
from service.metrics import set_active_model
from service.middleware import DOCS_URLS, RequestObserver, RootPath
from service.retraining import fail_interrupted
from service.routes import classify, documents, health, info, models, review, web
from service.scorer import Scorer
from service.store.db import Database, database_url

log = logging.getLogger("gravewatch.api")

DESCRIPTION = """Tags passages of news and reports with the UN Security Council's six grave
violations against children in armed conflict, with calibrated scores and evidence spans
(character offsets into the submitted text, in code points). Errors are JSON:
`{"error": {"code": "...", "message": "..."}}`.

API keys go in `Authorization: Bearer <key>` (the Authorize button). Roles: reader < ingest <
reviewer < admin; each route names the role it needs. Classifying needs no key unless
`GRAVEWATCH_REQUIRE_API_KEY` is set; storing passages needs ingest."""


async def _follow_active_model(active: ActiveModel, every: float) -> None:
    """Poll models/ACTIVE and swap in a new model (loaded off the event loop)."""
    while True:
        await asyncio.sleep(every)
        previous = active.current.predictor.version if active.current else None
        if await asyncio.to_thread(active.refresh):
            set_active_model(active.current.predictor.version, previous)


ROUTERS = (classify, documents, review, models, info, health, web)


def app_paths() -> list[str]:
    """Every path the app answers, as templates (``/v1/documents/{doc_id}``): the schema's and
    docs', then its routers'."""
    routes = [route.path for module in ROUTERS for route in module.router.routes]
    return list(dict.fromkeys([*DOCS_URLS.values(), *routes]))


def _document_roles(schema: dict) -> None:
    """Name the role each route needs: ``x-required-role`` and a line of its description."""
    for route in (r for module in ROUTERS for r in module.router.routes):
        role = role_of(route) if isinstance(route, APIRoute) else None
        if role is None or not route.include_in_schema:
            continue
        for method in route.methods:
            operation = schema["paths"][route.path_format][method.lower()]
            if role == ROLE_DOCS[OPEN]:
                operation["security"] = [{}, *operation["security"]]  # a key is optional
            operation["x-required-role"] = role
            described = operation.get("description", "")
            operation["description"] = f"{described}\n\nRole: {role}.".lstrip()


def _openapi_with_limits(app: FastAPI, settings: Settings) -> dict:
    """The OpenAPI schema, with this deployment's size limits, its server URL under the proxy's
    prefix (GRAVEWATCH_ROOT_PATH, also for ``gravewatch openapi``, which has no request) and
    each route's role written into it."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            servers=[{"url": settings.root_path}] if settings.root_path else None,
        )
        _document_roles(schema)
        components = schema["components"]["schemas"]
        for name in ("ClassifyRequest", "BatchItem"):
            components[name]["properties"]["text"]["maxLength"] = settings.max_text_chars
        components["BatchRequest"]["properties"]["items"]["maxItems"] = settings.max_batch_items
        app.openapi_schema = schema
    return app.openapi_schema


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_format, settings.log_level)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        active = ActiveModel(settings.models_dir)
        if active.refresh():
            set_active_model(active.current.predictor.version, None)
        else:
            log.warning(
                "starting without a model",
                extra={"event": "no_model", "reason": active.last_error},
            )
        scorer = Scorer(
            lambda: active.current.predictor if active.current else None,
            max_batch=settings.max_batch_items,
        )
        scorer.start()
        store = Database(database_url(settings.database_url, settings.data_dir))
        await asyncio.to_thread(store.check)
        if not store.problem:
            await asyncio.to_thread(fail_interrupted, store)
        app.state.store = store
        app.state.settings = settings
        app.state.active_model = active
        app.state.scorer = scorer
        poller = asyncio.create_task(_follow_active_model(active, settings.model_poll_seconds))
        try:
            yield
        finally:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
            await scorer.stop()
            store.close()

    app = FastAPI(
        title="Gravewatch",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        **DOCS_URLS,
    )
    app.openapi = lambda: _openapi_with_limits(app, settings)
    # A 503 means no model yet (or the store is down): the poller looks for one this often.
    install_error_handlers(app, retry_after=math.ceil(settings.model_poll_seconds))
    for module in ROUTERS:
        app.include_router(module.router)
    app.add_middleware(RequestObserver, max_body_bytes=settings.max_request_bytes)
    if settings.root_path:  # outermost: every layer sees the prefix
        app.add_middleware(RootPath, prefix=settings.root_path)
    return app
