"""API clients (admin): create with grants, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import Field, model_validator

from app.api.deps import Authorized, GrantsCacheDep, SessionDep
from app.api.models import Name, RequestModel, ResponseModel
from app.api.problems import problem_responses
from app.domain.access import Grant, GrantError, Principal, Role
from app.services import clients as service

router = APIRouter(prefix="/v1/clients", tags=["clients"])

AdminOnly = Annotated[Principal, Depends(Authorized(Role.ADMIN))]


class GrantIn(RequestModel):
    role: Role
    region_id: Annotated[str, Field(max_length=64)] | None = None
    partner_id: Annotated[str, Field(max_length=64)] | None = None
    organisation_id: Annotated[str, Field(max_length=64)] | None = None

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
    status_code=201,
    response_model=ClientCreated,
    responses=problem_responses(401, 403, 409, 413, 422),
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
    status_code=204,
    responses=problem_responses(401, 403, 404),
    summary="Revoke an API client; its tokens stop working at once",
)
async def revoke_client(
    client_id: str, session: SessionDep, grants_cache: GrantsCacheDep, _: AdminOnly
) -> Response:
    await service.revoke_client(session, client_id, grants_cache)
    return Response(status_code=204)
