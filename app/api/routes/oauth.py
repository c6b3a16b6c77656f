"""OAuth 2.0 client credentials: trade a client id and secret for a bearer token."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request, Response

from app.api.deps import SessionDep, SettingsDep
from app.api.models import ResponseModel
from app.api.problems import problem_responses
from app.api.rate_limits import TOKEN_PER_ADDRESS, TOKEN_PER_CLIENT, RateLimits
from app.errors import BadRequest, Unauthorized
from app.services.clients import issue_client_token

router = APIRouter(prefix="/v1/oauth", tags=["auth"])


class TokenResponse(ResponseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the OAuth token type
    expires_in: int


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, sep, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("Malformed HTTP Basic credentials.", code="invalid-client") from None
    if not sep:
        raise Unauthorized("Malformed HTTP Basic credentials.", code="invalid-client")
    return client_id, secret


def _invalid_request(detail: str) -> BadRequest:
    # RFC 6749 §5.2: a missing, repeated or malformed parameter is `invalid_request`, 400.
    return BadRequest(detail, code="invalid-token-request", extra={"error": "invalid_request"})


@router.post(
    "/token",
    operation_id="createToken",
    response_model=TokenResponse,
    responses=problem_responses(
        400,
        401,
        413,
        429,
        codes={400: ("invalid-token-request", "unsupported-grant-type"), 401: ("invalid-client",)},
    ),
    summary="Get an access token (client credentials)",
)
async def token(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    # Optional here and checked below, so that an OAuth client gets the error RFC 6749
    # names (400 invalid_request) rather than a validation problem it cannot read.
    grant_type: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
) -> TokenResponse:
    limits: RateLimits = request.app.state.rate_limits
    # Before anything is checked: each request may cost a secret check (≈ 0.1 s of CPU).
    await limits.hit(TOKEN_PER_ADDRESS, request.client.host if request.client else "-")
    if grant_type is None:
        raise _invalid_request(
            "Send grant_type=client_credentials as a form field "
            "(Content-Type: application/x-www-form-urlencoded)."
        )
    for name, value, longest in (
        ("grant_type", grant_type, 64),
        ("client_id", client_id, 64),
        ("client_secret", client_secret, 256),
    ):
        if value is not None and len(value) > longest:
            raise _invalid_request(f"{name}: at most {longest} characters.")
    if grant_type != "client_credentials":
        raise BadRequest(
            "Only grant_type=client_credentials is supported.",
            code="unsupported-grant-type",
            extra={"error": "unsupported_grant_type"},
        )
    basic = _basic_credentials(request)
    if basic is not None:
        if client_id is not None or client_secret is not None:
            raise _invalid_request(
                "Give the client credentials once: as HTTP Basic or as form fields, not both."
            )
        client_id, client_secret = basic
    if not client_id or not client_secret:
        raise Unauthorized(
            "Give client_id and client_secret as form fields or as HTTP Basic credentials.",
            code="invalid-client",
            extra={"error": "invalid_client"},
        )
    await limits.hit(TOKEN_PER_CLIENT, client_id)
    issued = await issue_client_token(
        session, settings, client_id=client_id, client_secret=client_secret
    )
    # RFC 6749 §5.1: a token response must not be cached anywhere.
    response.headers["Cache-Control"] = "no-store"
    return TokenResponse(access_token=issued.access_token, expires_in=issued.expires_in)
