"""Row ids as the service makes them (random version 4 UUIDs), from a seeded generator."""

from __future__ import annotations

import random
import uuid

_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (0x4000 << 64) | (0x8000 << 48)


def new_id(rng: random.Random) -> uuid.UUID:
    """A random version 4 UUID, as the service makes, but from a seeded generator."""
    return uuid.UUID(int=rng.getrandbits(128) & _V4_CLEAR | _V4_SET)


class SortedIds:
    """Random v4 ids for one chunk, handed out in ascending order.

    The ids are as random as `new_id`'s; only their order within a chunk follows the rows,
    so the primary key, the child tables' foreign key lookups and their indexes see each
    chunk in key order, which spares the server most page misses. Past the expected count
    it falls back to unordered ids.
    """

    def __init__(self, rng: random.Random, count: int) -> None:
        self._rng = rng
        self._ints = sorted(rng.getrandbits(128) & _V4_CLEAR | _V4_SET for _ in range(count))
        self._next = 0

    def take(self) -> uuid.UUID:
        if self._next < len(self._ints):
            self._next += 1
            return uuid.UUID(int=self._ints[self._next - 1])
        return new_id(self._rng)
