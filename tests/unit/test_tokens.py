"""Verified tokens are remembered per process; expiry and the signature still decide."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from app.errors import Unauthorized
from app.services.tokens import client_of_token, issue_token

KEY = "unit-test-signing-key-0123456789abcdef"


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    token = issue_token("desk-1", key=KEY, ttl_seconds=60, now=datetime.now(UTC))
    assert client_of_token(token, key=KEY) == "desk-1"
    assert client_of_token(token, key=KEY, now=time.time() + 30) == "desk-1"
    with pytest.raises(Unauthorized) as refused:
        client_of_token(token, key=KEY, now=time.time() + 61)
    assert refused.value.code == "token-expired"


def test_a_remembered_token_does_not_open_the_door_for_another_key_or_a_changed_token() -> None:
    token = issue_token("desk-2", key=KEY, ttl_seconds=60, now=datetime.now(UTC))
    assert client_of_token(token, key=KEY) == "desk-2"
    with pytest.raises(Unauthorized) as other_key:
        client_of_token(token, key=KEY.replace("unit", "else"))
    assert other_key.value.code == "invalid-token"
    header, claims, signature = token.split(".")
    # A character in the middle: the last one is partly padding, and changing it may not
    # change the decoded signature at all.
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    forged = ".".join([header, claims, signature[:middle] + flipped + signature[middle + 1 :]])
    with pytest.raises(Unauthorized) as changed:
        client_of_token(forged, key=KEY)
    assert changed.value.code == "invalid-token"
