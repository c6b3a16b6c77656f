"""Which asyncpg failures mean "the database is gone" (503) and which are ours (500)."""

from __future__ import annotations

import asyncpg
import pytest

from app.db.driver import connection_lost


class _Connection:
    def __init__(self, closed: bool) -> None:
        self.closed = closed

    def is_closed(self) -> bool:
        return self.closed


@pytest.mark.parametrize(
    "failure",
    [
        ConnectionRefusedError(111, "refused"),
        OSError(113, "no route to host"),
        TimeoutError(),
        asyncpg.exceptions.AdminShutdownError("terminating connection"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.TooManyConnectionsError("too many clients"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
    ],
)
def test_an_unreachable_database_is_lost_whatever_the_connection_says(
    failure: BaseException,
) -> None:
    assert connection_lost(failure)
    assert connection_lost(failure, _Connection(closed=False))


def test_a_client_side_error_is_lost_only_when_its_connection_closed() -> None:
    failure = asyncpg.InterfaceError("cannot perform operation: another operation is in progress")
    assert not connection_lost(failure, _Connection(closed=False))
    assert connection_lost(failure, _Connection(closed=True))
    # Without its connection it is ours (500): a lost one was classified where it happened.
    assert not connection_lost(failure)


@pytest.mark.parametrize(
    "failure",
    [
        asyncpg.DataError("invalid input for query argument $1"),
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
        ValueError("ours"),
    ],
)
def test_a_statement_the_database_refused_is_not_a_lost_connection(
    failure: BaseException,
) -> None:
    assert not connection_lost(failure, _Connection(closed=False))
    assert not connection_lost(failure)
