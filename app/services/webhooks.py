"""Webhook use cases: subscriptions for the API, and sending a subscription's deliveries
for the worker.

A subscription belongs to the grant that made it: a region's registry or admin (the whole
change feed of the region), or a partner's admin (its own sales). Whoever may act on that
tenant sees it; anyone else gets 404, as if it did not exist.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import standardwebhooks
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import cursors
from app.clock import utcnow
from app.db import audit as audit_db
from app.db import clients as client_db
from app.db import partners as partner_db
from app.db import regions as region_db
from app.db import webhooks as db
from app.db.webhooks import DeliveryRow, SubscriptionRow
from app.domain.access import REGION_ROLES, Principal, Role, Tenant
from app.domain.webhooks import (
    PING,
    SUBSCRIBER_ROLES,
    Owner,
    gives_up,
    payload_data,
    receives,
    refused_events,
    retry_delay,
)
from app.errors import NotFound, Unprocessable
from app.observability import webhook_attempts, webhook_deliveries_total
from app.services.access import ensure
from app.settings import Settings
from app.webhooks import net

log = structlog.get_logger("openpas.webhooks")

# Checks a URL: its target and address, or net.UrlRefused. Tests swap in nothing: their
# loopback receiver passes the real check (OPENPAS_WEBHOOK_ALLOW_PRIVATE=1 or demo mode).
UrlCheck = Callable[[str], Awaitable[tuple[Any, Any]]]


# How soon a job looks again when a writer that counted on it is still running: a sale's
# transaction ends within milliseconds.
_WRITER_WAIT = timedelta(milliseconds=250)


def url_check(settings: Settings) -> UrlCheck:
    # The demo runs on a laptop with a receiver beside it, and holds no real people: it
    # allows loopback and private addresses too (never link-local or metadata ones).
    allow_private = settings.webhook_allow_private or settings.demo

    async def check(url: str) -> tuple[Any, Any]:
        return await net.checked_target(url, demo=settings.demo, allow_private=allow_private)

    return check


def new_secret() -> str:
    # Standard Webhooks' format: "whsec_" and 24 random bytes in base64.
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def owner_of(row: SubscriptionRow) -> Owner:
    return Owner(Role(row.role), row.region_id, row.partner_id)


def _tenant(row: SubscriptionRow) -> Tenant:
    return Tenant(region_id=row.region_id, partner_id=row.partner_id)


async def _owner_for(
    session: AsyncSession, principal: Principal, region_id: str | None, partner_id: str | None
) -> Owner:
    """The grant a new subscription belongs to: the caller's one subscriber grant, or the
    one the body names when it has several."""
    candidates: list[Owner] = []
    for grant in principal.grants:
        if grant.role is Role.ADMIN and (region_id or partner_id):
            if partner_id is not None:
                partner = await partner_db.get_partner(session, uuid.UUID(partner_id))
                if partner is None:
                    raise _unknown("partner_id")
                return Owner(Role.PARTNER_ADMIN, partner.region_id, partner.id)
            assert region_id is not None
            if not await region_db.get_regions(session, region_ids=[uuid.UUID(region_id)]):
                raise _unknown("region_id")
            return Owner(Role.REGION_ADMIN, region_id, None)
        if grant.role not in SUBSCRIBER_ROLES:
            continue
        if grant.role in REGION_ROLES and grant.region_id:
            if partner_id is None and region_id in (None, grant.region_id):
                candidates.append(Owner(grant.role, grant.region_id, None))
        elif grant.partner_id and region_id is None and partner_id in (None, grant.partner_id):
            partner = await partner_db.get_partner(session, uuid.UUID(grant.partner_id))
            if partner is not None:
                candidates.append(Owner(grant.role, partner.region_id, partner.id))
    if len(candidates) != 1:
        raise Unprocessable(
            "Give region_id or partner_id: the subscription belongs to one of this client's"
            " grants.",
            extra={"errors": [{"pointer": "/region_id", "detail": "required"}]},
        )
    return candidates[0]


def _unknown(field: str) -> Unprocessable:
    return Unprocessable(
        f"No such {field.removesuffix('_id')}.",
        extra={"errors": [{"pointer": f"/{field}", "detail": "unknown"}]},
    )


def _check_events(owner: Owner, events: Sequence[str]) -> None:
    refused = refused_events(owner.role, events)
    if refused:
        raise Unprocessable(
            f"This grant cannot subscribe to: {', '.join(refused)}.",
            code="webhook-events-refused",
            extra={"errors": [{"pointer": "/events", "detail": f"refused: {e}"} for e in refused]},
        )


async def _check_url(check: UrlCheck, url: str) -> None:
    try:
        await check(url)
    except net.UrlRefused as refused:
        raise Unprocessable(
            f"OpenPas will not send webhooks to this URL: {refused}.",
            code="webhook-url-refused",
            extra={"errors": [{"pointer": "/url", "detail": str(refused)}]},
        ) from None


@dataclass(frozen=True, slots=True)
class Created:
    subscription: SubscriptionRow
    secret: str


async def create_subscription(
    session: AsyncSession,
    principal: Principal,
    check: UrlCheck,
    *,
    url: str,
    events: Sequence[str],
    description: str | None,
    region_id: str | None,
    partner_id: str | None,
) -> Created:
    owner = await _owner_for(session, principal, region_id, partner_id)
    _check_events(owner, events)
    await _check_url(check, url)
    secret = new_secret()
    row = await db.insert_subscription(
        session,
        {
            "id": uuid.uuid4(),
            "client_id": principal.client_id,
            "role": owner.role.value,
            "region_id": uuid.UUID(owner.region_id),
            "partner_id": None if owner.partner_id is None else uuid.UUID(owner.partner_id),
            "url": url,
            "events": sorted(set(events)),
            "description": description,
            "secret": secret,
            "created_at": utcnow(),
        },
    )
    return Created(row, secret)


def valid_id(text: str | None) -> str | None:
    """An id as this API hands them out; anything else names nothing (404 where a path
    names it)."""
    if text is None:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise NotFound("No such webhook.") from None


async def read_subscription(
    session: AsyncSession, principal: Principal, subscription_id: str
) -> SubscriptionRow:
    row = await db.get_subscription(session, str(valid_id(subscription_id)))
    if row is None:
        raise NotFound("No such webhook.")
    ensure(principal, SUBSCRIBER_ROLES, _tenant(row), hide=True)
    return row


async def list_subscriptions(
    session: AsyncSession, principal: Principal, *, limit: int, after_id: str | None
) -> list[SubscriptionRow]:
    return await db.list_subscriptions(
        session,
        everything=principal.is_admin,
        region_ids=sorted(principal.region_ids(SUBSCRIBER_ROLES)),
        partner_ids=sorted(principal.partner_ids(SUBSCRIBER_ROLES)),
        limit=limit,
        after_id=after_id,
    )


async def update_subscription(
    session: AsyncSession,
    principal: Principal,
    check: UrlCheck,
    subscription_id: str,
    changes: dict[str, Any],
) -> SubscriptionRow:
    """`url`, `events`, `description`, and `enabled` (true re-enables a disabled
    subscription and sends what waited; false disables it by hand)."""
    row = await read_subscription(session, principal, subscription_id)
    values: dict[str, Any] = {}
    if "events" in changes:
        _check_events(owner_of(row), changes["events"])
        values["events"] = sorted(set(changes["events"]))
    if "url" in changes:
        await _check_url(check, changes["url"])
        values["url"] = changes["url"]
    if "description" in changes:
        values["description"] = changes["description"]
    now = utcnow()
    if changes.get("enabled") is True and row.disabled_at is not None:
        values |= {"disabled_at": None, "disabled_reason": None}
        await db.restart_retries(session, row.id, now)
        await db.wake(session, row.id, now, reschedule=True)
    elif changes.get("enabled") is False and row.disabled_at is None:
        values |= {"disabled_at": now, "disabled_reason": f"disabled by {principal.client_id}"}
    if not values:
        return row
    return await db.update_subscription(session, row.id, values)


async def disable_subscription(
    session: AsyncSession, subscription_id: str, reason: str
) -> SubscriptionRow | None:
    """For the operator's CLI: no grant involved."""
    if await db.get_subscription(session, subscription_id) is None:
        return None
    return await db.update_subscription(
        session, subscription_id, {"disabled_at": utcnow(), "disabled_reason": reason}
    )


async def delete_subscription(
    session: AsyncSession, principal: Principal, subscription_id: str
) -> None:
    row = await read_subscription(session, principal, subscription_id)
    await db.delete_subscription(session, row.id)


async def rotate_secret(
    session: AsyncSession, principal: Principal, settings: Settings, subscription_id: str
) -> tuple[SubscriptionRow, str]:
    """A new secret; the current one keeps signing (beside the new one) for the overlap."""
    row = await read_subscription(session, principal, subscription_id)
    secret = new_secret()
    expires = utcnow() + timedelta(seconds=settings.webhook_secret_overlap_seconds)
    updated = await db.update_subscription(
        session,
        row.id,
        {"secret": secret, "previous_secret": row.secret, "previous_secret_expires_at": expires},
    )
    return updated, secret


async def ping(session: AsyncSession, principal: Principal, subscription_id: str) -> DeliveryRow:
    row = await read_subscription(session, principal, subscription_id)
    now = utcnow()
    delivery = await db.insert_ping(session, row.id, now)
    if row.disabled_at is None:
        await db.wake(session, row.id, now, reschedule=True)
    return delivery


async def list_deliveries(
    session: AsyncSession,
    principal: Principal,
    subscription_id: str,
    *,
    limit: int,
    status: str | None,
) -> list[DeliveryRow]:
    row = await read_subscription(session, principal, subscription_id)
    return await db.list_deliveries(session, row.id, limit=limit, status=status)


async def retry_delivery(
    session: AsyncSession, principal: Principal, subscription_id: str, delivery_id: str
) -> DeliveryRow:
    row = await read_subscription(session, principal, subscription_id)
    return await requeue(session, row, delivery_id)


async def requeue(session: AsyncSession, row: SubscriptionRow, delivery_id: str) -> DeliveryRow:
    try:
        delivery_id = str(uuid.UUID(delivery_id))
    except ValueError:
        raise NotFound("No such delivery.") from None
    found = await db.get_delivery(session, row.id, delivery_id)
    if found is None:
        raise NotFound("No such delivery.")
    now = utcnow()
    delivery = await db.requeue_delivery(session, found.id, now)
    if row.disabled_at is None:
        await db.wake(session, row.id, now, reschedule=True)
    return delivery


# --- sending -----------------------------------------------------------------------------


def feed_cursor(delivery: DeliveryRow) -> str | None:
    """The change-feed cursor of the delivery's event, as `GET /v1/changes` hands it out
    (`after=` it, a receiver reads what came next)."""
    if delivery.event_seq is None:
        return None
    return cursors.feed_cursor(delivery.txid, delivery.event_seq)


def body_of(row: SubscriptionRow, delivery: DeliveryRow) -> bytes:
    body = {
        "type": delivery.type,
        "id": delivery.id,
        "cursor": feed_cursor(delivery),
        "occurred_at": delivery.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": payload_data(owner_of(row), delivery.entity_id, delivery.data),
    }
    return json.dumps(body, separators=(",", ":")).encode()


def signed_headers(
    row: SubscriptionRow, delivery: DeliveryRow, body: bytes, now: datetime
) -> dict[str, str]:
    """Standard Webhooks headers; during a rotation's overlap the previous secret signs
    too (several space-separated signatures: a receiver with either secret verifies)."""
    msg_id = f"msg_{delivery.id}"
    keys = [row.secret]
    if (
        row.previous_secret is not None
        and row.previous_secret_expires_at is not None
        and row.previous_secret_expires_at > now
    ):
        keys.append(row.previous_secret)
    text = body.decode()
    signatures = [standardwebhooks.Webhook(key).sign(msg_id, now, text) for key in keys]
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


class Sender:
    """What a worker needs to send: sessions, settings, one HTTP client, the URL check
    and the source of jitter."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        client: httpx.AsyncClient,
        jitter: Callable[[], float] = lambda: secrets.randbelow(1_000_000) / 1_000_000,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.client = client
        self.jitter = jitter


async def send_due(sender: Sender, subscription_id: str) -> None:
    """Send the subscription's pending deliveries in cursor order, one at a time, until
    none is due. The first that fails is scheduled again and holds back the others."""
    while await _send_head(sender, subscription_id):
        pass


async def _send_head(sender: Sender, subscription_id: str) -> bool:
    """One delivery: True when the next may follow at once."""
    settings = sender.settings
    async with sender.sessionmaker() as session, session.begin():
        row = await db.claim_subscription(session, subscription_id)
        if row is None or row.disabled_at is not None:
            return False  # gone, disabled, or another sender holds it (and goes on)
        if not await _owner_still_may(session, row):
            reason = "the client that subscribed was revoked or no longer holds its grant"
            await db.update_subscription(
                session, row.id, {"disabled_at": utcnow(), "disabled_reason": reason}
            )
            log.warning("webhook.disabled", subscription_id=row.id, reason=reason)
            return False
        writers = await db.writers_in_flight(session, row.id)
        head = await db.head(session, row.id)
        if head is None:
            if writers:
                # A writer that saw this job waiting counted on it: look again once it has
                # committed, or its delivery would wait for the subscription's next event.
                await db.wake(session, row.id, utcnow() + _WRITER_WAIT, reschedule=False)
            return False
        delivery = head.delivery
        now = utcnow()
        if not head.settled:
            # An older transaction may still add an earlier event: look again shortly.
            await db.wake(session, row.id, now + timedelta(seconds=1), reschedule=False)
            return False
        if delivery.next_attempt_at > now:
            await db.wake(session, row.id, delivery.next_attempt_at, reschedule=False)
            return False
        owner = owner_of(row)
        if delivery.type != PING and not receives(
            owner, delivery.type, row.region_id, delivery.data
        ):
            # Never sent: the trigger's rule and the domain's disagree (a defect), or the
            # subscription's grant no longer covers it.
            webhook_deliveries_total.labels(outcome="skipped").inc()
            await db.record_attempt(
                session,
                delivery.id,
                {"status": "skipped", "last_error": "not readable by the subscription's grant"},
            )
            return True
        try:
            target, address = await url_check(settings)(row.url)
        except net.UrlRefused as refused:
            answer = net.Answer(None, f"refused: {refused}")
        else:
            body = body_of(row, delivery)
            answer = await net.post(
                sender.client,
                row.url,
                target,
                address,
                body,
                signed_headers(row, delivery, body, now),
                max_response_bytes=settings.webhook_max_response_bytes,
            )
        webhook_attempts.observe(delivery.attempts + 1)
        done = utcnow()
        if answer.ok:
            webhook_deliveries_total.labels(outcome="delivered").inc()
            await db.record_attempt(
                session,
                delivery.id,
                {
                    "status": "delivered",
                    "last_response_code": answer.status,
                    "last_error": None,
                    "delivered_at": done,
                    "first_failed_at": None,
                },
            )
            await _audit(session, row, delivery, done)
            log.info("webhook.delivered", subscription_id=row.id, delivery_id=delivery.id)
            return True
        first_failed = delivery.first_failed_at or now
        error = answer.error or f"HTTP {answer.status}"
        values: dict[str, Any] = {
            "last_response_code": answer.status,
            "last_error": error[:500],
            "first_failed_at": first_failed,
        }
        window = timedelta(seconds=settings.webhook_retry_window_seconds)
        if gives_up(first_failed, done, window):
            webhook_deliveries_total.labels(outcome="gave_up").inc()
            await db.record_attempt(session, delivery.id, values)
            reason = f"deliveries failed for {window}: {error}"[:500]
            await db.update_subscription(
                session, row.id, {"disabled_at": done, "disabled_reason": reason}
            )
            log.warning("webhook.disabled", subscription_id=row.id, reason=reason)
            return False
        delay = retry_delay(
            delivery.attempts + 1,
            base=timedelta(seconds=settings.webhook_backoff_base_seconds),
            cap=window,
            jitter=sender.jitter(),
        )
        values["next_attempt_at"] = done + delay
        webhook_deliveries_total.labels(outcome="failed").inc()
        await db.record_attempt(session, delivery.id, values)
        await db.wake(session, row.id, done + delay, reschedule=False)
        log.info(
            "webhook.failed",
            subscription_id=row.id,
            delivery_id=delivery.id,
            status=answer.status,
            error=answer.error,
            retry_in_seconds=round(delay.total_seconds(), 1),
        )
        return False


async def _owner_still_may(session: AsyncSession, row: SubscriptionRow) -> bool:
    """A subscription sends only while the client that made it could still read what it
    sends: not revoked, and still holding the grant (or admin)."""
    client = await client_db.get_client(session, row.client_id)
    if client is None or client.revoked_at is not None:
        return False
    holder = Principal(client_id=client.client_id, grants=client.grants)
    return holder.may({Role(row.role)}, _tenant(row))


async def _audit(
    session: AsyncSession, row: SubscriptionRow, delivery: DeliveryRow, now: datetime
) -> None:
    """A delivery that names passholders told the subscriber about them: audited like a
    read of the change feed (a partner's delivery names nobody)."""
    if Role(row.role) not in REGION_ROLES:
        return
    named = [str(holder) for holder in delivery.data.get("passholder_ids", ())]
    if "passholder_id" in delivery.data:
        named.append(str(delivery.data["passholder_id"]))
    if delivery.type.startswith("passholder."):
        named.append(delivery.entity_id)
    await audit_db.record(
        session,
        client_id=row.client_id,
        action="webhook.delivered",
        subjects=list(dict.fromkeys((holder, row.region_id) for holder in named)),
        now=now,
    )
