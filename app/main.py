"""The FastAPI application: routers, error handlers, middleware, lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.telemetry import TelemetryConfig
from pydantic.json_schema import models_json_schema

from app.api.deps import require_schema_at_head
from app.api.limits import BodySizeLimitMiddleware
from app.api.openapi import (
    ROLES,
    api_routes,
    document_examples,
    document_links,
    document_roles,
    enforced_roles,
    fix_number_bounds,
    require_headers,
)
from app.api.problems import (
    PROBLEM_MEDIA_TYPE,
    Problem,
    document_generic_codes,
    install_problem_handlers,
    problem_responses,
    unexpected_error,
)
from app.api.rate_limits import RateLimits
from app.api.routes import (
    checkins,
    clients,
    eligibility,
    feeds,
    groups,
    imports,
    me,
    oauth,
    offers,
    ops,
    organisations,
    partners,
    passholders,
    quotes,
    regions,
    reports,
    sales,
    schemes,
    staff,
    webhooks,
)
from app.db.engine import Timeouts, create_engine, create_grants_cache, create_sessionmaker
from app.mail import Mailer
from app.observability import RequestContextMiddleware, configure_logging
from app.settings import Settings, get_settings
from app.web import api_docs
from app.web import install as install_web

# The problem documents of the error responses: the plain one, and those that carry more.
PROBLEM_MODELS = (Problem, sales.SaleConflict)

# Bulk imports may send large files; every other body stays small.
LARGE_BODY_PATHS = ("/v1/imports/",)

DESCRIPTION = """
OpenPas answers one question for a ticket desk, a partner's website or a regional system:
*does this person get a reduced price here, and what do they pay?*

Money is in integer cents (fields ending `_cents`), dates are ISO 8601, ids are opaque
strings. Every error is an RFC 9457 `application/problem+json` document with a stable `code`
and an `end_user_message` in Dutch (French, English or German with `Accept-Language`).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    engine = create_engine(
        settings.database_url, pool_size=settings.db_pool_size, timeouts=database_timeouts(settings)
    )
    grants_cache = create_grants_cache(settings.database_url)
    rate_limits = RateLimits.from_settings(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await rate_limits.close()
        await grants_cache.close()
        await engine.dispose()

    app = FastAPI(
        title="OpenPas",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        # OpenPas reports through Prometheus (/metrics) and its JSON access log. FastAPI's
        # native OpenTelemetry would otherwise ask the global providers on every request
        # whether anyone listens — a fifth of what /health costs — for nobody.
        telemetry=NO_OPENTELEMETRY,
        # FastAPI's own /docs and /redoc load their scripts from a CDN: see app.web.api_docs.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.grants_cache = grants_cache
    app.state.rate_limits = rate_limits
    app.state.mailer = Mailer.of(settings)
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.schema_at_head = False
    app.state.schema_checked_at = float("-inf")
    app.state.schema_lock = asyncio.Lock()

    install_problem_handlers(app)
    # The probes join the app's own route table rather than being included: FastAPI (0.165)
    # matches an included router's requests through a wrapper per router, a fifth of what
    # /health costs (docs/performance.md). They have no dependencies, so nothing that
    # include_router would wire (dependency overrides, shared dependencies) is lost.
    app.router.routes.extend(ops.router.routes)
    business = [Depends(require_schema_at_head)]
    # The desk's routes first: a request is matched against the routers in this order, and
    # quotes and sales are most of the traffic.
    for module in (
        quotes,
        sales,
        oauth,
        clients,
        regions,
        schemes,
        partners,
        offers,
        eligibility,
        passholders,
        imports,
        feeds,
        reports,
        organisations,
        groups,
        checkins,
        staff,
        me,
        webhooks,
    ):
        app.include_router(module.router, dependencies=business)

    # The web desk and the dashboard (server-rendered pages on the same use cases).
    install_web(app)
    api_docs.install(app)

    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        large_max_bytes=settings.max_import_body_bytes,
        large_paths=LARGE_BODY_PATHS,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "Accept-Language"],
            expose_headers=["X-Request-ID", "ETag"],
        )
    app.add_middleware(RequestContextMiddleware, on_error=unexpected_error)
    app.openapi = lambda: _openapi_with_problem(app)  # type: ignore[method-assign]
    return app


NO_OPENTELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def database_timeouts(settings: Settings) -> Timeouts:
    return Timeouts(
        pool_seconds=settings.db_pool_timeout_seconds,
        connect_seconds=settings.db_connect_timeout_seconds,
        statement_ms=settings.db_statement_timeout_ms,
        lock_ms=settings.db_lock_timeout_ms,
        idle_in_transaction_ms=settings.db_idle_in_transaction_timeout_ms,
    )


def _openapi_with_problem(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, plus the Problem document every error response refers to."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    _, problems = models_json_schema(
        [(model, "serialization") for model in PROBLEM_MODELS],
        ref_template="#/components/schemas/{model}",
    )
    for name, definition in problems.get("$defs", {}).items():
        # The models a problem refers to (a sale's fresh quote) are FastAPI's already.
        components.setdefault(name, definition)
    roles = {route.operation_id: enforced_roles(route) for route in api_routes(app.routes)}
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            require_headers(operation)
            document_roles(operation, roles.get(operation.get("operationId")))
            _document_common_problems(path, operation)
    document_examples(schema)
    fix_number_bounds(schema)
    document_links(schema)
    app.openapi_schema = schema
    return schema


def _document_common_problems(path: str, operation: dict[str, Any]) -> None:
    """Errors any operation can answer, documented once here rather than on every route,
    and the generic codes of each status beside the operation's own."""
    statuses = [500]
    if operation.get("requestBody"):
        statuses += [400, 413, 422]  # undecodable, too large, invalid
    elif operation.get("parameters"):
        statuses += [422]
    if path.startswith("/v1/"):
        statuses += [503]  # schema not migrated yet
    responses = operation.setdefault("responses", {})
    for status, response in problem_responses(*statuses).items():
        existing = responses.get(str(status))
        if existing is None or PROBLEM_MEDIA_TYPE not in existing.get("content", {}):
            # Replaces FastAPI's default 422 schema: ours is a problem document.
            responses[str(status)] = response
    bearer = ROLES in operation
    for status, response in responses.items():
        if status.isdigit() and int(status) >= 400:
            document_generic_codes(response, int(status), bearer=bearer)
