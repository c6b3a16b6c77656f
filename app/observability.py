"""Structured JSON logs and Prometheus metrics.

Log lines carry the request id, the client id, the route *template* (never the raw path,
which may hold a card number) and never a request body, a secret or an INSZ.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from typing import Any

import structlog
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

# The request being answered, for every log line written meanwhile. One variable of our
# own, set and reset per request: structlog's bind/clear_contextvars copy the whole context
# twice per request, which cost more than the rest of this middleware.
_request_id: ContextVar[str | None] = ContextVar("openpas_request_id", default=None)

# Liveness, readiness and metrics: asked by machines every few seconds.
PROBE_ROUTES = frozenset({"/health", "/ready", "/metrics"})

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "openpas_http_requests_total",
    "HTTP requests by method, route template and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "openpas_http_request_duration_seconds",
    "HTTP request latency by method and route template.",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=REGISTRY,
)

# Counted where deliveries are sent: in `openpas worker` (served on its own metrics port,
# OPENPAS_WORKER_METRICS_PORT) or in the `make run` process that runs the worker inside.
webhook_deliveries_total = Counter(
    "openpas_webhook_deliveries_total",
    "Webhook delivery attempts by outcome (delivered, failed, gave_up, skipped).",
    ["outcome"],
    registry=REGISTRY,
)
webhook_pending = Gauge(
    "openpas_webhook_pending_deliveries",
    "Webhook deliveries not yet accepted by their receiver.",
    registry=REGISTRY,
)
webhook_oldest_pending = Gauge(
    "openpas_webhook_oldest_pending_seconds",
    "Age of the oldest webhook delivery not yet accepted (the queue's age).",
    registry=REGISTRY,
)
webhook_attempts = Histogram(
    "openpas_webhook_delivery_attempt_number",
    "Which attempt of its delivery each webhook request was.",
    buckets=(1, 2, 3, 5, 8, 13, 21, 34),
    registry=REGISTRY,
)


def configure_logging(level: str) -> None:
    """One JSON line per event, for our own logs and for uvicorn's and SQLAlchemy's."""
    shared: list[Any] = [
        _add_request_id,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.stdlib.LoggerFactory(),
        # Not cached: reconfiguring (tests, a level change) must reach existing loggers.
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    global _access
    _access = _access_logger(logging.getLevelName(level))
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Our access line replaces uvicorn's, which would log raw paths (card numbers).
    logging.getLogger("uvicorn.access").disabled = True
    # Every /ready reads the migration state; Alembic would log two lines per probe.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLevelName(level)))


def _add_request_id(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    request_id = _request_id.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


def _access_logger_name(
    _: Any, __: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    event["logger"] = "openpas.access"
    return event


def _access_logger(level: int) -> Any:
    """The access line's own short chain, straight to stdout: the same JSON fields as every
    other line (request id, level, logger, timestamp), at a third of the CPU of the stdlib
    chain the other lines take (≈ 10 µs against ≈ 30) — it runs on every request."""
    return structlog.wrap_logger(
        structlog.WriteLogger(sys.stdout),
        processors=[
            _add_request_id,
            structlog.processors.add_log_level,
            _access_logger_name,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )


# Made anew by every configure_logging, so a new level or stdout reaches the access line
# as it reaches every other line.
_access: Any = _access_logger(logging.INFO)


def metrics_payload() -> bytes:
    """All processes' metrics when several workers share PROMETHEUS_MULTIPROC_DIR."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


ErrorResponder = Callable[[Request, Exception], Awaitable[Response]]


class RequestContextMiddleware:
    """Request id, one access log line and the metrics for every HTTP request.

    It is also where an unexpected exception ends, answered by `on_error` (which logs it
    its own way). Left to Starlette, the exception would be answered and then raised again
    to the server, which logs it in full — message included, and a database error's
    message quotes the values it choked on — and the access line would say 500 for what
    was answered 503.
    """

    def __init__(self, app: ASGIApp, on_error: ErrorResponder) -> None:
        self.app = app
        self.on_error = on_error
        # The metrics' children per label values, looked up once: `labels()` checks and
        # joins its arguments on every call.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = b""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value
                break
        request_id = incoming.decode("latin-1")
        if not _REQUEST_ID.match(request_id):
            # 32 hex digits, as a uuid4's hex, without building a UUID object every request.
            request_id = secrets.token_hex(16)
        bound = _request_id.set(request_id)
        started = time.perf_counter()
        status = 500
        started_response = False
        request_id_header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status = message["status"]
                started_response = True
                message["headers"] = [*message.get("headers", ()), request_id_header]
            await send(message)

        try:
            try:
                await self.app(scope, receive, send_with_id)
            except Exception as exc:
                response = await self.on_error(Request(scope, receive), exc)
                if not started_response:
                    await response(scope, receive, send_with_id)
                # Else the client got part of an answer: the connection is closed unfinished.
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method: str = scope["method"]
            key = (method, route, status)
            children = self._children.get(key)
            if children is None:
                children = self._children.setdefault(
                    key,
                    (REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route)),
                )
            children[0].inc()
            children[1].observe(elapsed)
            state: Any = scope.get("state", {})
            # A probe that succeeds is counted above and logged only at DEBUG: an
            # orchestrator asks every few seconds, and a line per answer would bury the
            # requests people read the log for (and cost every probe a write).
            log = _access.debug if route in PROBE_ROUTES and status < 500 else _access.info
            log(
                "request",
                method=method,
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
                client_id=state.get("client_id") if isinstance(state, dict) else None,
            )
            _request_id.reset(bound)


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    # Unmatched paths are not labelled by their raw text: that would let anyone grow
    # the metrics without bound (and paths may carry card numbers).
    return path if isinstance(path, str) else "<unmatched>"
