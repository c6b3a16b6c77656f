"""Short-lived signed bearer tokens (JWT, HS256) for API clients.

A token only says which client it was issued to and until when. Roles and revocation are
read from the database on every request, so revoking a client stops its tokens at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import jwt

from app.errors import Unauthorized

ISSUER = "openpas"
AUDIENCE = "openpas-api"
ALGORITHM = "HS256"


def issue_token(client_id: str, *, key: str, ttl_seconds: int, now: datetime) -> str:
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": client_id,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl_seconds)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def client_of_token(token: str, *, key: str) -> str:
    """The client id a valid token was issued to; `Unauthorized` for anything else."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized(
            "The access token has expired; request a new one.",
            code="token-expired",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from None
    except jwt.PyJWTError:
        raise Unauthorized(
            "The access token is not valid.",
            code="invalid-token",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from None
    subject = claims["sub"]
    if not isinstance(subject, str):
        raise Unauthorized("The access token is not valid.", code="invalid-token")
    return subject
