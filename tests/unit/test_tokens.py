"""Verified tokens are remembered per process; expiry and the signature still decide."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from app.errors import Unauthorized
from app.services.tokens import SigningKeys, client_of_token, issue_token

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


# Bounded tokens: what the server accepts does not depend on who signed it.

NEW = "unit-test-new-signing-key-0123456789abcd"


def _signed(claims: Mapping[str, object], key: str = KEY, kid: str | None = None) -> str:
    import jwt

    base: dict[str, object] = {"iss": "openpas", "aud": "openpas-api", "sub": "desk-x"}
    return jwt.encode(
        {**base, **claims}, key, algorithm="HS256", headers=None if kid is None else {"kid": kid}
    )


def test_a_token_signed_with_the_key_but_living_a_year_is_refused() -> None:
    now = int(time.time())
    year = _signed({"iat": now, "exp": now + 365 * 86_400})
    with pytest.raises(Unauthorized) as refused:
        client_of_token(year, key=SigningKeys(KEY, max_lifetime_seconds=3600))
    assert refused.value.code == "invalid-token"
    assert "longer" in refused.value.detail
    hour = _signed({"iat": now, "exp": now + 3600})
    assert client_of_token(hour, key=SigningKeys(KEY, max_lifetime_seconds=3600)) == "desk-x"


def test_a_token_issued_in_the_future_or_not_valid_yet_is_refused() -> None:
    now = int(time.time())
    keys = SigningKeys(KEY, leeway_seconds=30)
    for claims in (
        {"iat": now + 600, "exp": now + 900},
        {"iat": now, "nbf": now + 600, "exp": now + 900},
    ):
        with pytest.raises(Unauthorized) as refused:
            client_of_token(_signed(claims), key=keys)
        assert refused.value.code == "invalid-token"
        assert "not valid yet" in refused.value.detail
    # Within the leeway (another machine's clock a little ahead) it holds.
    assert client_of_token(_signed({"iat": now + 10, "exp": now + 900}), key=keys) == "desk-x"


def test_a_token_without_iat_is_refused() -> None:
    now = int(time.time())
    with pytest.raises(Unauthorized) as refused:
        client_of_token(_signed({"exp": now + 900}), key=KEY)
    assert refused.value.code == "invalid-token"


def test_after_a_rotation_the_previous_key_is_accepted_until_the_overlap_ends() -> None:
    now = time.time()
    old = issue_token("desk-r", key=KEY, key_id="2026-11", ttl_seconds=900, now=datetime.now(UTC))
    new = issue_token("desk-r", key=NEW, key_id="2026-12", ttl_seconds=900, now=datetime.now(UTC))
    keys = SigningKeys(
        NEW,
        key_id="2026-12",
        previous_key=KEY,
        previous_key_id="2026-11",
        previous_until=now + 300,
    )
    assert client_of_token(new, key=keys) == "desk-r"
    assert client_of_token(old, key=keys) == "desk-r"
    # Remembered, but only until the overlap ends (the token itself holds for 900 s).
    assert client_of_token(old, key=keys, now=now + 299) == "desk-r"
    with pytest.raises(Unauthorized):
        client_of_token(old, key=keys, now=now + 301)
    # A process that never saw it refuses it after the overlap too.
    fresh_process = SigningKeys(
        NEW, key_id="2026-12", previous_key=KEY, previous_key_id="2026-11", previous_until=now - 1
    )
    with pytest.raises(Unauthorized) as refused:
        client_of_token(old, key=fresh_process)
    assert refused.value.code == "invalid-token"
    assert client_of_token(new, key=fresh_process) == "desk-r"


def test_a_token_naming_an_unknown_key_or_signed_by_another_key_than_its_kid_is_refused() -> None:
    keys = SigningKeys(
        NEW, key_id="b", previous_key=KEY, previous_key_id="a", previous_until=time.time() + 300
    )
    stranger = issue_token("desk-s", key=NEW, key_id="c", ttl_seconds=60, now=datetime.now(UTC))
    with pytest.raises(Unauthorized):
        client_of_token(stranger, key=keys)
    # Signed with the new key but claiming to be of the old one: the old key checks it.
    mislabelled = issue_token("desk-s", key=NEW, key_id="a", ttl_seconds=60, now=datetime.now(UTC))
    with pytest.raises(Unauthorized):
        client_of_token(mislabelled, key=keys)


def test_the_settings_refuse_a_ttl_over_the_ceiling_and_a_previous_key_without_its_end() -> None:
    from tests.conftest import make_settings

    with pytest.raises(ValueError, match="exceeds"):
        make_settings("postgresql://x/y", token_ttl_seconds=7200, token_max_lifetime_seconds=3600)
    with pytest.raises(ValueError, match="PREVIOUS_KEY_UNTIL"):
        make_settings("postgresql://x/y", token_previous_signing_key=NEW, token_previous_key_id="0")
    with pytest.raises(ValueError, match="time zone"):
        make_settings(
            "postgresql://x/y",
            token_previous_signing_key=NEW,
            token_previous_key_id="0",
            token_previous_key_until="2026-12-04T10:00:00",
        )


def test_tokens_issued_under_the_settings_name_their_key_and_the_previous_one_is_honoured() -> None:
    import jwt

    from app.services.clients import signing_keys
    from tests.conftest import TEST_TOKEN_KEY, make_settings

    until = datetime.fromtimestamp(time.time() + 600, UTC)
    settings = make_settings(
        "postgresql://x/y",
        token_key_id="2026-12",
        token_previous_signing_key=NEW,
        token_previous_key_id="2026-11",
        token_previous_key_until=until.isoformat(),
    )
    keys = signing_keys(settings)
    assert keys.key == TEST_TOKEN_KEY
    assert keys.previous_until == pytest.approx(until.timestamp())
    old = issue_token("desk-p", key=NEW, key_id="2026-11", ttl_seconds=60, now=datetime.now(UTC))
    assert client_of_token(old, key=keys) == "desk-p"
    current = issue_token(
        "desk-p", key=TEST_TOKEN_KEY, key_id="2026-12", ttl_seconds=60, now=datetime.now(UTC)
    )
    assert jwt.get_unverified_header(current)["kid"] == "2026-12"
    assert client_of_token(current, key=keys) == "desk-p"
