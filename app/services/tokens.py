"""Short-lived signed bearer tokens (JWT, HS256) for API clients.

A token only says which client it was issued to and until when. Roles and revocation come
from the database: read on every request, or on PostgreSQL kept per process until the
database's notice that the client changed (app.db.clients.GrantsCache), so revoking a
client stops its tokens in every process as soon as the notice of its commit arrives.

The server bounds what it accepts, whoever signed it: a token must say when it was issued
(`iat`, not in the future), may say from when it holds (`nbf`), and may not live longer
than the server's own ceiling (`exp - iat`), so a leaked key cannot mint year-long tokens
that outlive its replacement. Tokens name their key (`kid`): after a rotation the previous
key is still accepted until a stated moment, so tokens issued just before it keep working
for the rest of their short life, and not a second longer.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from app.errors import Unauthorized

ISSUER = "openpas"
AUDIENCE = "openpas-api"
ALGORITHM = "HS256"
DEFAULT_MAX_LIFETIME_SECONDS = 3600
DEFAULT_LEEWAY_SECONDS = 30


@dataclass(frozen=True, slots=True)
class SigningKeys:
    """The keys a process signs and accepts tokens with, and the bounds it holds them to."""

    key: str
    key_id: str | None = None
    previous_key: str | None = None
    previous_key_id: str | None = None
    # Until when (seconds since the epoch) a token of the previous key is accepted.
    previous_until: float | None = None
    max_lifetime_seconds: int = DEFAULT_MAX_LIFETIME_SECONDS
    # Clocks of two machines differ a little: an `iat` or `nbf` this far ahead still holds.
    leeway_seconds: int = DEFAULT_LEEWAY_SECONDS


def issue_token(
    client_id: str, *, key: str, ttl_seconds: int, now: datetime, key_id: str | None = None
) -> str:
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": client_id,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl_seconds)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    headers = None if key_id is None else {"kid": key_id}
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers=headers)


# Tokens whose signature and claims were checked, with their client and until when they
# hold: a desk sends the same token for its whole lifetime, and checking the HMAC and the
# claims again cost as much as the rest of a quote's authentication. Expiry is still
# checked each time (the earlier of `exp` and the end of the previous key's overlap);
# revocation never depended on the token (it comes with the grants, app.db.clients).
_VERIFIED: dict[tuple[str, SigningKeys], tuple[str, float]] = {}
_MAX_VERIFIED = 10_000


def client_of_token(token: str, *, key: str | SigningKeys, now: float | None = None) -> str:
    """The client id a valid token was issued to; `Unauthorized` for anything else."""
    keys = key if isinstance(key, SigningKeys) else SigningKeys(key)
    at = time.time() if now is None else now
    known = _VERIFIED.get((token, keys))
    if known is not None:
        client_id, holds_until = known
        if at < holds_until:
            return client_id
        del _VERIFIED[(token, keys)]
        raise _expired()
    subject, holds_until = _verify(token, keys, at)
    if len(_VERIFIED) >= _MAX_VERIFIED:
        _VERIFIED.clear()
    _VERIFIED[(token, keys)] = (subject, holds_until)
    return subject


def _expired() -> Unauthorized:
    return Unauthorized(
        "The access token has expired; request a new one.",
        code="token-expired",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def _signing_key(token: str, keys: SigningKeys, at: float) -> tuple[str, float]:
    """The key that must have signed `token` (by its `kid`), and until when it is accepted."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError:
        raise _invalid() from None
    if kid is None or kid == keys.key_id:
        # No kid: a token of the current key issued before tokens named their key.
        return keys.key, float("inf")
    if (
        kid == keys.previous_key_id
        and keys.previous_key
        and keys.previous_until is not None
        and at < keys.previous_until
    ):
        return keys.previous_key, keys.previous_until
    raise _invalid()


def _verify(token: str, keys: SigningKeys, at: float) -> tuple[str, float]:
    key, key_until = _signing_key(token, keys, at)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=keys.leeway_seconds,
            # Checked below against `at` (the caller's clock), not PyJWT's own.
            options={
                "require": ["exp", "iat", "sub", "aud", "iss"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.PyJWTError:
        raise _invalid() from None
    subject, expires, issued = claims["sub"], claims["exp"], claims["iat"]
    not_before = claims.get("nbf", issued)
    if not isinstance(subject, str) or not all(
        isinstance(value, int) and not isinstance(value, bool)
        for value in (expires, issued, not_before)
    ):
        raise _invalid()
    if issued > at + keys.leeway_seconds or not_before > at + keys.leeway_seconds:
        # Issued in the future, or not valid yet: not a token this server would issue now.
        raise _invalid("The access token is not valid yet.")
    if expires - issued > keys.max_lifetime_seconds:
        raise _invalid("The access token lives longer than this server allows.")
    if at >= expires:
        raise _expired()
    return subject, min(float(expires), key_until)


def _invalid(detail: str = "The access token is not valid.") -> Unauthorized:
    return Unauthorized(
        detail,
        code="invalid-token",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
