"""Request dependencies: the database session, the settings, the authenticated principal.

`Authorized(roles)` is the gate every protected route passes: a valid token of a client
that is not revoked, with one of the route's roles. The tenant (region, partner) of the
resource is checked by the use case that loads it, through `app.services.access.ensure`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import OAuth2
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.clients import GrantsCache
from app.db.engine import allow_long_statements, unit_of_work
from app.db.migrations import current_revision, head_revision
from app.domain.access import Principal, Role
from app.errors import Forbidden, ServiceUnavailable, Unauthorized
from app.services.clients import principal_of_token
from app.settings import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: it commits when the route returns and rolls back when it
    raises, before the answer is sent (see SessionDep); services only flush. A session that
    never began a transaction — most quotes (app.db.driver) — has nothing to commit."""
    async with unit_of_work(request.app.state.sessionmaker) as session:
        yield session


async def get_grants_cache(request: Request) -> GrantsCache:
    cache: GrantsCache = request.app.state.grants_cache
    return cache


GrantsCacheDep = Annotated[GrantsCache, Depends(get_grants_cache)]

# scope="function": the commit runs when the route returns, so an answer is only sent for
# work that is committed (a failing commit is answered as an error, not after a 201).
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def long_statements(session: SessionDep, request: Request) -> None:
    """Dependency of the routes whose statements may run long (reports, imports): their
    transaction gets OPENPAS_DB_LONG_STATEMENT_TIMEOUT_MS instead of the server's short
    statement timeout."""
    settings: Settings = request.app.state.settings
    await allow_long_statements(session, settings.db_long_statement_timeout_ms)


_oauth2 = OAuth2(
    flows=OAuthFlows(clientCredentials=OAuthFlowClientCredentials(tokenUrl="/v1/oauth/token")),
    scheme_name="client_credentials",
    auto_error=False,
)


async def _principal(
    request: Request, session: AsyncSession, authorization: str | None
) -> Principal:
    """The client behind the bearer token, with its grants; 401 for anything else."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized(
            "This call needs a bearer token from POST /v1/oauth/token.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = await principal_of_token(
        session, await get_settings(request), token.strip(), request.app.state.grants_cache
    )
    request.state.client_id = principal.client_id
    return principal


class Authorized:
    """Dependency: the caller has one of `roles` (admin has every role).

    Whether the caller may act on *this* resource — its region or partner — is decided by
    the use case, which loads the resource anyway (`app.services.access.ensure`).

    It reads the token itself rather than through a dependency of its own: FastAPI
    resolves every dependency of every request anew, and on the desk's path each level
    cost more than checking the roles.
    """

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(
        self,
        request: Request,
        session: SessionDep,
        authorization: Annotated[str | None, Depends(_oauth2)],
    ) -> Principal:
        principal = await _principal(request, session, authorization)
        if not principal.has_role(self.roles):
            raise Forbidden("Your client has no role that allows this call.")
        return principal


_SCHEMA_RECHECK_SECONDS = 2.0


async def require_schema_at_head(request: Request) -> None:
    """Business routes wait until the database schema is at the code's migration head.

    Serving on an old schema would write half-understood rows; the check is cached once
    at head and re-read at most every two seconds while behind.
    """
    state = request.app.state
    if state.schema_at_head:
        return
    # Concurrent first requests wait for one check instead of failing while it runs.
    async with state.schema_lock:
        now = time.monotonic()
        if not state.schema_at_head and now - state.schema_checked_at >= _SCHEMA_RECHECK_SECONDS:
            state.schema_checked_at = now
            try:
                state.schema_at_head = await current_revision(state.engine) == head_revision()
            except Exception:  # any database failure means: not ready
                state.schema_at_head = False
    if not state.schema_at_head:
        raise ServiceUnavailable(
            "The database schema is not at the current migration; run `openpas migrate`.",
            code="schema-not-migrated",
            headers={"Retry-After": "5"},
        )


# For a route that authenticates in its own way (GET /v1/me also takes a staff session).
bearer_scheme = _oauth2
principal_of_bearer = _principal
