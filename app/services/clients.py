"""API clients: create, revoke, exchange credentials for a token, resolve a principal."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import utcnow
from app.db import clients as db_clients
from app.db import organisations as db_organisations
from app.db import partners as db_partners
from app.db import regions as db_regions
from app.db.clients import GrantsCache
from app.domain.access import Grant, Principal
from app.errors import Conflict, NotFound, Unauthorized, Unprocessable
from app.services.secrets import (
    hash_secret_off_loop,
    needs_rehash,
    new_secret,
    verify_secret_off_loop,
)
from app.services.tokens import SigningKeys, client_of_token, issue_token
from app.settings import Settings

CLIENT_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


@dataclass(frozen=True, slots=True)
class NewClient:
    client_id: str
    client_secret: str
    name: str
    grants: tuple[Grant, ...]


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int


async def create_client(
    session: AsyncSession,
    *,
    name: str,
    grants: Sequence[Grant],
    client_id: str | None = None,
    client_secret: str | None = None,
) -> NewClient:
    """Create a client with a random secret (or a given one, for demo and bootstrap)."""
    client_id = client_id or f"client-{secrets.token_hex(8)}"
    if not CLIENT_ID_PATTERN.match(client_id):
        raise Unprocessable("client_id must be 3-64 lowercase letters, digits, '.', '_' or '-'")
    await _check_tenants_exist(session, grants)
    if await db_clients.client_exists(session, client_id):
        raise Conflict(f"client {client_id} already exists", code="already-exists")
    secret = client_secret or new_secret()
    await db_clients.insert_client(
        session,
        client_id=client_id,
        name=name,
        secret_hash=await hash_secret_off_loop(secret),
        grants=tuple(grants),
        now=utcnow(),
    )
    return NewClient(client_id, secret, name, tuple(grants))


async def _check_tenants_exist(session: AsyncSession, grants: Sequence[Grant]) -> None:
    for index, grant in enumerate(grants):
        if grant.region_id and not await db_regions.get_regions(
            session, region_ids=[_tenant_uuid(grant.region_id, index, "region_id")]
        ):
            raise _unknown_tenant(index, "region_id")
        if grant.partner_id and not await db_partners.existing_partner_ids(
            session, [_tenant_uuid(grant.partner_id, index, "partner_id")]
        ):
            raise _unknown_tenant(index, "partner_id")
        if grant.organisation_id and not await db_organisations.existing_organisation_ids(
            session, [_tenant_uuid(grant.organisation_id, index, "organisation_id")]
        ):
            raise _unknown_tenant(index, "organisation_id")


def _tenant_uuid(value: str, index: int, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise _unknown_tenant(index, field) from None


def _unknown_tenant(index: int, field: str) -> Unprocessable:
    what = field.removesuffix("_id")
    return Unprocessable(
        f"grants[{index}].{field} names no existing {what}",
        extra={"errors": [{"pointer": f"/grants/{index}/{field}", "detail": f"unknown {what}"}]},
    )


async def revoke_client(
    session: AsyncSession, client_id: str, grants_cache: GrantsCache | None
) -> None:
    if not await db_clients.revoke(session, client_id, utcnow()):
        raise NotFound(f"no active client {client_id}")
    # Every process learns it from the database's notice when the revocation commits; this
    # one need not wait for it. A read of the old grants between now and the commit is
    # forgotten again by that notice.
    if grants_cache is not None:
        grants_cache.forget(client_id)


async def issue_client_token(
    session: AsyncSession, settings: Settings, *, client_id: str, client_secret: str
) -> IssuedToken:
    secret_hash = await db_clients.secret_hash_of_active(session, client_id)
    if not await verify_secret_off_loop(secret_hash, client_secret):
        raise Unauthorized(
            "Unknown client, wrong secret or revoked client.",
            code="invalid-client",
            extra={"error": "invalid_client"},
            headers={"WWW-Authenticate": 'Basic realm="openpas"'},
        )
    assert secret_hash is not None
    if needs_rehash(secret_hash):
        await db_clients.update_secret_hash(
            session, client_id, await hash_secret_off_loop(client_secret)
        )
    token = issue_token(
        client_id,
        key=settings.token_signing_key,
        key_id=settings.token_key_id,
        ttl_seconds=settings.token_ttl_seconds,
        now=utcnow(),
    )
    return IssuedToken(token, settings.token_ttl_seconds)


async def principal_of_token(
    session: AsyncSession, settings: Settings, token: str, grants_cache: GrantsCache | None
) -> Principal:
    client_id = client_of_token(token, key=signing_keys(settings))
    grants = await db_clients.active_grants(session, client_id, grants_cache)
    if grants is None:
        raise Unauthorized(
            "The client of this token has been revoked.",
            code="invalid-token",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return Principal(client_id=client_id, grants=grants)


# Per settings object (one per process): the keys are read on every authenticated request.
_KEYS: dict[int, tuple[Settings, SigningKeys]] = {}


def signing_keys(settings: Settings) -> SigningKeys:
    """The keys and bounds the settings give tokens (app.services.tokens)."""
    known = _KEYS.get(id(settings))
    if known is not None and known[0] is settings:
        return known[1]
    until = settings.token_previous_key_until
    keys = SigningKeys(
        key=settings.token_signing_key,
        key_id=settings.token_key_id,
        previous_key=settings.token_previous_signing_key or None,
        previous_key_id=settings.token_previous_key_id or None,
        previous_until=None if until is None else until.timestamp(),
        max_lifetime_seconds=settings.token_max_lifetime_seconds,
        leeway_seconds=settings.token_clock_leeway_seconds,
    )
    if len(_KEYS) > 100:
        _KEYS.clear()
    _KEYS[id(settings)] = (settings, keys)
    return keys


async def read_client(session: AsyncSession, client_id: str) -> db_clients.ClientRow:
    found = await db_clients.get_client(session, client_id[:64])
    if found is None:
        raise NotFound(f"no client {client_id[:64]}")
    return found


async def update_client(
    session: AsyncSession,
    client_id: str,
    *,
    name: str | None,
    grants: Sequence[Grant] | None,
    grants_cache: GrantsCache | None,
) -> db_clients.ClientRow:
    """Rename a client or replace its grants (admin). Every process forgets the client's
    grants when the change commits; this one at once."""
    await read_client(session, client_id)
    if grants is not None:
        await _check_tenants_exist(session, grants)
    await db_clients.update_client(
        session, client_id, name=name, grants=None if grants is None else tuple(grants)
    )
    if grants_cache is not None:
        grants_cache.forget(client_id)
    return await read_client(session, client_id)
