"""Webhook subscriptions: the change feed pushed, signed with Standard Webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import Field

from app.api.deps import Authorized, SessionDep, SettingsDep
from app.api.models import (
    ID_SCHEMA,
    MAX_PAGE_SIZE,
    IdText,
    RequestModel,
    ResponseModel,
    parse_reference,
)
from app.api.problems import problem_responses
from app.db.webhooks import DeliveryRow, SubscriptionRow
from app.domain.access import Principal, Role
from app.services import webhooks as service

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

Subscriber = Annotated[
    Principal, Depends(Authorized(Role.REGION_ADMIN, Role.REGISTRY, Role.PARTNER_ADMIN))
]
Url = Annotated[str, Field(min_length=8, max_length=2000)]
Events = Annotated[list[Annotated[str, Field(max_length=40)]], Field(min_length=1, max_length=50)]
Description = Annotated[str, Field(max_length=500)]

_URL_CODES = ("webhook-url-refused", "webhook-events-refused")


class WebhookIn(RequestModel):
    url: Url
    events: Events
    description: Description | None = None
    # Only for a client with several subscriber grants (or an admin): whose it is.
    region_id: IdText | None = None
    partner_id: IdText | None = None


class WebhookPatch(RequestModel):
    url: Url | None = None
    events: Events | None = None
    description: Description | None = None
    enabled: bool | None = None


class WebhookOut(ResponseModel):
    id: str
    url: str
    events: list[str]
    description: str | None
    role: str
    region_id: str
    partner_id: str | None
    created_at: datetime
    enabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    previous_secret_expires_at: datetime | None

    @classmethod
    def of(cls, row: SubscriptionRow) -> WebhookOut:
        return cls(
            id=row.id,
            url=row.url,
            events=list(row.events),
            description=row.description,
            role=row.role,
            region_id=row.region_id,
            partner_id=row.partner_id,
            created_at=row.created_at,
            enabled=row.disabled_at is None,
            disabled_at=row.disabled_at,
            disabled_reason=row.disabled_reason,
            previous_secret_expires_at=row.previous_secret_expires_at,
        )


class WebhookCreated(WebhookOut):
    secret: str = Field(description="Shown once: verify the signatures with it.")


class WebhookPage(ResponseModel):
    items: list[WebhookOut]
    next_cursor: str | None


class DeliveryOut(ResponseModel):
    id: str
    type: str
    cursor: str | None
    status: str
    attempts: int
    last_response_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    occurred_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, row: DeliveryRow) -> DeliveryOut:
        return cls(
            id=row.id,
            type=row.type,
            cursor=service.feed_cursor(row),
            status=row.status,
            attempts=row.attempts,
            last_response_code=row.last_response_code,
            last_error=row.last_error,
            next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
            occurred_at=row.occurred_at,
            delivered_at=row.delivered_at,
        )


class DeliveryPage(ResponseModel):
    items: list[DeliveryOut]


_NO_STORE = {"Cache-Control": "no-store"}


@router.post(
    "",
    operation_id="createWebhook",
    status_code=201,
    response_model=WebhookCreated,
    responses=problem_responses(401, 403, 413, 422, codes={422: _URL_CODES}),
    summary="Subscribe to events (the signing secret is shown once)",
)
async def create_webhook(
    body: WebhookIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: Subscriber,
    response: Response,
) -> WebhookCreated:
    created = await service.create_subscription(
        session,
        principal,
        service.url_check(settings),
        url=body.url,
        events=body.events,
        description=body.description,
        region_id=None
        if body.region_id is None
        else parse_reference(body.region_id, pointer="/region_id"),
        partner_id=None
        if body.partner_id is None
        else parse_reference(body.partner_id, pointer="/partner_id"),
    )
    response.headers.update(_NO_STORE)
    return WebhookCreated(**WebhookOut.of(created.subscription).model_dump(), secret=created.secret)


@router.get(
    "",
    operation_id="listWebhooks",
    response_model=WebhookPage,
    responses=problem_responses(401, 403, 422),
    summary="The subscriptions this client's grants cover",
)
async def list_webhooks(
    session: SessionDep,
    principal: Subscriber,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
    after: Annotated[str | None, Query(max_length=64, json_schema_extra=ID_SCHEMA)] = None,
) -> WebhookPage:
    after_id = None if after is None else parse_reference(after, parameter="after")
    rows = await service.list_subscriptions(session, principal, limit=limit, after_id=after_id)
    items = [WebhookOut.of(row) for row in rows]
    return WebhookPage(items=items, next_cursor=items[-1].id if len(items) == limit else None)


@router.get(
    "/{webhook_id}",
    operation_id="getWebhook",
    response_model=WebhookOut,
    responses=problem_responses(401, 403, 404),
    summary="One subscription (never its secret)",
)
async def read_webhook(webhook_id: str, session: SessionDep, principal: Subscriber) -> WebhookOut:
    return WebhookOut.of(await service.read_subscription(session, principal, webhook_id))


@router.patch(
    "/{webhook_id}",
    operation_id="updateWebhook",
    response_model=WebhookOut,
    responses=problem_responses(401, 403, 404, 422, codes={422: _URL_CODES}),
    summary="Change the URL, events or description; enable or disable",
)
async def update_webhook(
    webhook_id: str,
    body: WebhookPatch,
    session: SessionDep,
    settings: SettingsDep,
    principal: Subscriber,
) -> WebhookOut:
    changes: dict[str, Any] = {
        name: getattr(body, name)
        for name in body.model_fields_set
        if getattr(body, name) is not None
    }
    if "description" in body.model_fields_set:
        changes["description"] = body.description
    row = await service.update_subscription(
        session, principal, service.url_check(settings), webhook_id, changes
    )
    return WebhookOut.of(row)


@router.delete(
    "/{webhook_id}",
    operation_id="deleteWebhook",
    status_code=204,
    responses=problem_responses(401, 403, 404),
    summary="Unsubscribe; pending deliveries are dropped",
)
async def delete_webhook(webhook_id: str, session: SessionDep, principal: Subscriber) -> Response:
    await service.delete_subscription(session, principal, webhook_id)
    return Response(status_code=204)


@router.post(
    "/{webhook_id}/ping",
    operation_id="pingWebhook",
    status_code=202,
    response_model=DeliveryOut,
    responses=problem_responses(401, 403, 404),
    summary="Send a signed `webhook.ping`, in order after what is pending",
)
async def ping_webhook(webhook_id: str, session: SessionDep, principal: Subscriber) -> DeliveryOut:
    return DeliveryOut.of(await service.ping(session, principal, webhook_id))


@router.get(
    "/{webhook_id}/deliveries",
    operation_id="listWebhookDeliveries",
    response_model=DeliveryPage,
    responses=problem_responses(401, 403, 404),
    summary="Deliveries, newest first: status, attempts, last response, next attempt",
)
async def list_deliveries(
    webhook_id: str,
    session: SessionDep,
    principal: Subscriber,
    status: Literal["pending", "delivered", "skipped"] | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 100,
) -> DeliveryPage:
    rows = await service.list_deliveries(session, principal, webhook_id, limit=limit, status=status)
    return DeliveryPage(items=[DeliveryOut.of(row) for row in rows])


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/retry",
    operation_id="retryWebhookDelivery",
    status_code=202,
    response_model=DeliveryOut,
    responses=problem_responses(401, 403, 404),
    summary="Send a delivery again now (it goes first: the later ones wait for it)",
)
async def retry_delivery(
    webhook_id: str, delivery_id: str, session: SessionDep, principal: Subscriber
) -> DeliveryOut:
    return DeliveryOut.of(await service.retry_delivery(session, principal, webhook_id, delivery_id))


class RotatedSecret(ResponseModel):
    secret: str = Field(description="Shown once.")
    previous_secret_expires_at: datetime = Field(
        description="Until then deliveries carry a signature with the previous secret too."
    )


@router.post(
    "/{webhook_id}/rotate-secret",
    operation_id="rotateWebhookSecret",
    response_model=RotatedSecret,
    responses=problem_responses(401, 403, 404),
    summary="A new signing secret; the previous one keeps signing for the overlap",
)
async def rotate_secret(
    webhook_id: str,
    session: SessionDep,
    settings: SettingsDep,
    principal: Subscriber,
    response: Response,
) -> RotatedSecret:
    row, secret = await service.rotate_secret(session, principal, settings, webhook_id)
    assert row.previous_secret_expires_at is not None
    response.headers.update(_NO_STORE)
    return RotatedSecret(secret=secret, previous_secret_expires_at=row.previous_secret_expires_at)
