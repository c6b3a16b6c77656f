"""Operations: liveness, readiness (database and migrations), Prometheus metrics."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from app.api.models import ResponseModel
from app.observability import metrics_payload
from app.services.readiness import schema_state

router = APIRouter(tags=["ops"])


class Health(ResponseModel):
    status: Literal["ok"]


class Readiness(ResponseModel):
    status: Literal["ready", "not_ready"]
    database: Literal["ok", "unreachable"]
    schema_revision: str | None
    expected_revision: str
    reason: str | None


@router.get(
    "/health",
    operation_id="getHealth",
    response_model=Health,
    summary="Liveness: the process answers",
)
async def health() -> Health:
    return Health(status="ok")


@router.get(
    "/ready",
    operation_id="getReadiness",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready, with the reason"}},
    summary="Readiness: database reachable and migrations at head",
)
async def ready(request: Request) -> JSONResponse:
    state = await schema_state(request.app.state.engine)
    if state.unreachable is not None:
        body = Readiness(
            status="not_ready",
            database="unreachable",
            schema_revision=None,
            expected_revision=state.expected,
            reason=f"database unreachable ({state.unreachable})",
        )
        return JSONResponse(body.model_dump(), status_code=503)
    at_head = state.at_head
    request.app.state.schema_at_head = at_head
    body = Readiness(
        status="ready" if at_head else "not_ready",
        database="ok",
        schema_revision=state.current,
        expected_revision=state.expected,
        reason=None
        if at_head
        else "database schema is not at the migration head; run `openpas migrate`",
    )
    return JSONResponse(body.model_dump(), status_code=200 if at_head else 503)


@router.get(
    "/metrics",
    operation_id="getMetrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    summary="Prometheus metrics",
)
async def metrics() -> Response:
    return Response(metrics_payload(), media_type="text/plain; version=0.0.4; charset=utf-8")
