"""Which database failures are the database's (503, retry) rather than ours (500)."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import exc as sa_exc
from starlette.requests import Request

from app.api.problems import unexpected_error


def _wrapped(error: Exception) -> sa_exc.DBAPIError:
    """As SQLAlchemy hands an asyncpg server error on: a plain DBAPIError (not an
    OperationalError), the asyncpg error as its cause."""
    wrapped = sa_exc.DBAPIError("SELECT 1", None, error)
    wrapped.__cause__ = error
    return wrapped


def _request() -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [], "app": None})


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        # No connection free in the pool within its timeout.
        (sa_exc.TimeoutError("QueuePool limit reached"), 503, "database-unavailable"),
        # SQLSTATE 53300 too_many_connections, on connect, through SQLAlchemy and bare.
        (_wrapped(asyncpg.exceptions.TooManyConnectionsError()), 503, "database-unavailable"),
        (asyncpg.exceptions.TooManyConnectionsError(), 503, "database-unavailable"),
        # 57P03 cannot_connect_now (starting up), 53100 disk_full.
        (_wrapped(asyncpg.exceptions.CannotConnectNowError()), 503, "database-unavailable"),
        (_wrapped(asyncpg.exceptions.DiskFullError()), 503, "database-unavailable"),
        # statement_timeout (57014), lock_timeout (55P03): the database is busy.
        (_wrapped(asyncpg.exceptions.QueryCanceledError()), 503, "database-busy"),
        (asyncpg.exceptions.LockNotAvailableError(), 503, "database-busy"),
        # Our own mistakes stay 500s.
        (_wrapped(asyncpg.exceptions.UndefinedColumnError()), 500, "internal-error"),
        (ValueError("a bug"), 500, "internal-error"),
    ],
)
async def test_database_failures_are_answered_by_whose_they_are(
    error: Exception, status: int, code: str
) -> None:
    answer = await unexpected_error(_request(), error)
    assert answer.status_code == status
    assert code.encode() in bytes(answer.body)
    if status == 503:
        assert int(answer.headers["retry-after"]) >= 1
