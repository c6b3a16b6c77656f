"""API clients (admin): create with grants, read, change, revoke."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import ConfigDict, Field, model_validator

from app.api.deps import Authorized, GrantsCacheDep, SessionDep
from app.api.models import IdText, Name, RequestModel, ResponseModel, not_null
from app.api.problems import problem_responses
from app.api.round_trip import ReadOnly, check_read_only
from app.db.clients import ClientRow
from app.domain.access import (
    ORGANISATION_ROLES,
    PARTNER_ROLES,
    REGION_ROLES,
    Grant,
    GrantError,
    Principal,
    Role,
)
from app.errors import Unprocessable
from app.services import clients as service

router = APIRouter(prefix="/v1/clients", tags=["clients"])

AdminOnly = Annotated[Principal, Depends(Authorized(Role.ADMIN))]


_TENANTS = ("region_id", "partner_id", "organisation_id")


def _grant_shape(roles: Iterable[Role], tenant: str | None) -> dict[str, Any]:
    """The JSON Schema of a grant of one of `roles`: its tenant given, no other one."""
    return {
        "properties": {
            "role": {"enum": sorted(role.value for role in roles)},
            **{name: {"type": "null"} for name in _TENANTS if name != tenant},
            **({tenant: {"type": "string"}} if tenant else {}),
        },
        "required": ["role", tenant] if tenant else ["role"],
    }


def _grant_shapes(*shapes: tuple[Iterable[Role], str | None]) -> dict[str, Any]:
    """`if` the role is one of a shape's `then` that shape: a union discriminated by `role`,
    in a form a generator of typed clients reads as one model (a top-level `oneOf` it would
    read as a union of types)."""
    *firsts, (last_roles, last_tenant) = shapes
    schema = _grant_shape(last_roles, last_tenant)
    for roles, tenant in reversed(firsts):
        schema = {
            "if": {"properties": {"role": {"enum": sorted(role.value for role in roles)}}},
            "then": _grant_shape(roles, tenant),
            "else": schema,
        }
    return schema


class GrantIn(RequestModel):
    # The shapes `Grant` checks (app.domain.access), one per kind of tenant, so that the
    # document refuses what the server refuses (a desk grant on a region, say).
    model_config = ConfigDict(
        json_schema_extra=_grant_shapes(
            ([Role.ADMIN], None),
            (REGION_ROLES, "region_id"),
            (PARTNER_ROLES, "partner_id"),
            (ORGANISATION_ROLES, "organisation_id"),
        )
    )

    role: Role
    region_id: IdText | None = None
    partner_id: IdText | None = None
    organisation_id: IdText | None = None

    @model_validator(mode="after")
    def _tenant_fits_role(self) -> GrantIn:
        try:
            self.to_grant()
        except GrantError as error:
            raise ValueError(str(error)) from None
        return self

    def to_grant(self) -> Grant:
        return Grant(
            role=self.role,
            region_id=self.region_id,
            partner_id=self.partner_id,
            organisation_id=self.organisation_id,
        )


class ClientIn(RequestModel):
    name: Name
    grants: Annotated[list[GrantIn], Field(min_length=1, max_length=20)]


class GrantOut(ResponseModel):
    role: Role
    region_id: str | None
    partner_id: str | None
    organisation_id: str | None = None


class ClientCreated(ResponseModel):
    client_id: str
    client_secret: str = Field(description="Shown once; store it safely.")
    name: str
    grants: list[GrantOut]


@router.post(
    "",
    operation_id="createClient",
    status_code=201,
    response_model=ClientCreated,
    responses=problem_responses(401, 403, 409, 413, 422, codes={409: ("already-exists",)}),
    summary="Create an API client (its secret is shown once)",
)
async def create_client(
    body: ClientIn, session: SessionDep, _: AdminOnly, response: Response
) -> ClientCreated:
    created = await service.create_client(
        session, name=body.name, grants=[g.to_grant() for g in body.grants]
    )
    response.headers["Cache-Control"] = "no-store"
    return ClientCreated(
        client_id=created.client_id,
        client_secret=created.client_secret,
        name=created.name,
        grants=[
            GrantOut(
                role=g.role,
                region_id=g.region_id,
                partner_id=g.partner_id,
                organisation_id=g.organisation_id,
            )
            for g in created.grants
        ],
    )


@router.delete(
    "/{client_id}",
    operation_id="revokeClient",
    status_code=204,
    responses=problem_responses(401, 403, 404),
    summary="Revoke an API client; its tokens stop working at once",
)
async def revoke_client(
    client_id: str, session: SessionDep, grants_cache: GrantsCacheDep, _: AdminOnly
) -> Response:
    await service.revoke_client(session, client_id, grants_cache)
    return Response(status_code=204)


class ClientOut(ResponseModel):
    client_id: str
    name: str
    grants: list[GrantOut]
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ClientRow) -> ClientOut:
        return cls(
            client_id=row.client_id,
            name=row.name,
            grants=[
                GrantOut(
                    role=g.role,
                    region_id=g.region_id,
                    partner_id=g.partner_id,
                    organisation_id=g.organisation_id,
                )
                for g in row.grants
            ],
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )


CLIENT_EXAMPLE = {
    "client_id": "kassa-schouwburg",
    "name": "Kassa Schouwburg",
    "grants": [
        {
            "role": "desk",
            "region_id": None,
            "partner_id": "e84f74d8-12c7-5e26-aa54-e7215ff2204a",
            "organisation_id": None,
        }
    ],
    "created_at": "2026-12-04T09:30:00Z",
    "revoked_at": None,
}
_EXAMPLE: dict[int | str, Any] = {
    200: {
        "description": "Successful response",
        "content": {"application/json": {"example": CLIENT_EXAMPLE}},
    }
}


class ClientPatch(RequestModel):
    """A client's name or grants (replaced as a whole); a client as GET answers it may be
    sent back whole, with its read-only fields unchanged. The secret never changes here."""

    model_config = ConfigDict(json_schema_extra=not_null("name", "grants"))

    name: Name | None = None
    grants: Annotated[list[GrantIn], Field(min_length=1, max_length=20)] | None = None
    client_id: ReadOnly
    created_at: ReadOnly
    revoked_at: ReadOnly


CLIENT_READ_ONLY = ("client_id", "created_at", "revoked_at")


@router.get(
    "/{client_id}",
    response_model=ClientOut,
    operation_id="getClient",
    responses={**problem_responses(401, 403, 404), **_EXAMPLE},
    summary="One API client and its grants (never its secret)",
    description="Roles: `admin`.",
)
async def read_client(client_id: str, session: SessionDep, _: AdminOnly) -> ClientOut:
    return ClientOut.of(await service.read_client(session, client_id))


@router.patch(
    "/{client_id}",
    response_model=ClientOut,
    operation_id="updateClient",
    responses={
        **problem_responses(401, 403, 404, 422, codes={422: ("read-only-field",)}),
        **_EXAMPLE,
    },
    summary="Rename a client or replace its grants",
    description=(
        "`name` and `grants` (replaced as a whole; every server process uses the new grants"
        " from the moment the change commits). The read-only fields (`client_id`,"
        " `created_at`, `revoked_at`) are accepted unchanged and refused changed (422"
        " `read-only-field`). Roles: `admin`."
    ),
)
async def update_client(
    client_id: str,
    body: ClientPatch,
    session: SessionDep,
    grants_cache: GrantsCacheDep,
    _: AdminOnly,
) -> ClientOut:
    current = ClientOut.of(await service.read_client(session, client_id))
    check_read_only(body, current, CLIENT_READ_ONLY)
    for name in ("name", "grants"):
        if name in body.model_fields_set and getattr(body, name) is None:
            raise Unprocessable(
                f"{name} cannot be removed.",
                extra={"errors": [{"pointer": f"/{name}", "detail": "may not be null"}]},
            )
    row = await service.update_client(
        session,
        client_id,
        name=body.name,
        grants=None if body.grants is None else [g.to_grant() for g in body.grants],
        grants_cache=grants_cache,
    )
    return ClientOut.of(row)
