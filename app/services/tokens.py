"""Short-lived signed bearer tokens (JWT, HS256) for API clients.

A token only says which client it was issued to and until when. Roles and revocation come
from the database: read on every request, or on PostgreSQL kept per process until the
database's notice that the client changed (app.db.clients.GrantsCache), so revoking a
client stops its tokens in every process as soon as the notice of its commit arrives.
"""

from __future__ import annotations

import time
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


# Tokens whose signature and claims were checked, with their client and expiry: a desk
# sends the same token for its whole lifetime, and checking the HMAC and the claims again
# cost as much as the rest of a quote's authentication. Expiry is still checked each time;
# revocation never depended on the token (it comes with the grants, app.db.clients).
_VERIFIED: dict[tuple[str, str], tuple[str, int]] = {}
_MAX_VERIFIED = 10_000


def client_of_token(token: str, *, key: str, now: float | None = None) -> str:
    """The client id a valid token was issued to; `Unauthorized` for anything else."""
    known = _VERIFIED.get((token, key))
    if known is not None:
        client_id, expires = known
        if (time.time() if now is None else now) < expires:
            return client_id
        del _VERIFIED[(token, key)]
        raise _expired()
    subject, expires = _verify(token, key)
    if len(_VERIFIED) >= _MAX_VERIFIED:
        _VERIFIED.clear()
    _VERIFIED[(token, key)] = (subject, expires)
    return subject


def _expired() -> Unauthorized:
    return Unauthorized(
        "The access token has expired; request a new one.",
        code="token-expired",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def _verify(token: str, key: str) -> tuple[str, int]:
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
        raise _expired() from None
    except jwt.PyJWTError:
        raise _invalid() from None
    subject, expires = claims["sub"], claims["exp"]
    if not isinstance(subject, str) or not isinstance(expires, int):
        raise _invalid()
    return subject, expires


def _invalid() -> Unauthorized:
    return Unauthorized(
        "The access token is not valid.",
        code="invalid-token",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
