"""Who am I: the caller's own grants, for an API client or a staff member's session."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request

from app.api.deps import SessionDep, bearer_scheme, principal_of_bearer
from app.api.models import ResponseModel
from app.api.problems import problem_responses
from app.api.routes.clients import GrantOut
from app.domain.access import Principal, Role
from app.services import staff as staff_service
from app.web.common import SESSION_COOKIE

router = APIRouter(prefix="/v1", tags=["clients"])


class MeOut(ResponseModel):
    client_id: str
    kind: Literal["client", "staff"]
    grants: list[GrantOut]


async def _caller(
    request: Request,
    session: SessionDep,
    authorization: Annotated[str | None, Depends(bearer_scheme)],
) -> tuple[Principal, Literal["client", "staff"]]:
    """The bearer token's client; without a token, the staff member of the web session."""
    token = request.cookies.get(SESSION_COOKIE)
    if authorization is None and token:
        found = await staff_service.session_of_token(session, token)
        if found is not None:
            request.state.client_id = found.principal.client_id
            return found.principal, "staff"
    return await principal_of_bearer(request, session, authorization), "client"


# Every grant may ask who it is (app.api.openapi documents it from this).
_caller.__dict__["authorized_roles"] = frozenset(Role)


@router.get(
    "/me",
    response_model=MeOut,
    operation_id="getMe",
    responses={
        **problem_responses(401),
        200: {
            "description": "The caller and its grants",
            "content": {
                "application/json": {
                    "example": {
                        "client_id": "kassa-schouwburg",
                        "kind": "client",
                        "grants": [
                            {
                                "role": "desk",
                                "region_id": None,
                                "partner_id": "e84f74d8-12c7-5e26-aa54-e7215ff2204a",
                                "organisation_id": None,
                            }
                        ],
                    }
                }
            },
        },
    },
    summary="The caller's own grants",
    description=(
        "Any authenticated caller: an API client (bearer token) or a staff member logged in"
        " to the web desk or dashboard (session cookie; a staff member is `staff:<id>` with"
        " the one grant of the account)."
    ),
)
async def read_me(
    caller: Annotated[tuple[Principal, Literal["client", "staff"]], Depends(_caller)],
) -> MeOut:
    principal, kind = caller
    return MeOut(
        client_id=principal.client_id,
        kind=kind,
        grants=[
            GrantOut(
                role=g.role,
                region_id=g.region_id,
                partner_id=g.partner_id,
                organisation_id=g.organisation_id,
            )
            for g in principal.grants
        ],
    )
