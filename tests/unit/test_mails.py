"""The activation mail: in every language, for every staff role, with the link alone on
its line and the expiry in Belgian time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import get_args

import pytest

from app.domain.access import Role
from app.domain.localized import Lang
from app.domain.mails import activation_mail
from app.i18n import texts

STAFF_ROLES = (Role.DESK, Role.PARTNER_ADMIN, Role.REGION_ADMIN, Role.REPORTER, Role.REGISTRY)
URL = "https://pas.example.be/activate?token=abc-DEF_123"


@pytest.mark.parametrize("language", get_args(Lang))
@pytest.mark.parametrize("role", STAFF_ROLES)
def test_every_language_and_role_has_a_whole_mail(language: Lang, role: Role) -> None:
    message = activation_mail(
        name="Kim Kassa",
        email="kim@cc.example.be",
        role=role,
        url=URL,
        expires_at=datetime(2026, 12, 11, 23, 30, tzinfo=UTC),
        t=texts(language),
    )
    body = message.get_content()
    assert URL in body.splitlines()
    assert "Kim Kassa" in body
    assert "{" not in body
    assert "}" not in body
    # 23:30 UTC on 11 December is 00:30 on the 12th in Brussels.
    assert "12/12/2026" in body
    assert "00:30" in body
    assert message["Content-Language"] == language
    assert message["To"] == "Kim Kassa <kim@cc.example.be>"


def test_a_name_cannot_add_headers() -> None:
    message = activation_mail(
        name="Eve\r\nBcc: all@example.be",
        email="eve@example.be",
        role=Role.DESK,
        url=URL,
        expires_at=datetime(2026, 12, 11, tzinfo=UTC),
        t=texts("nl"),
    )
    assert "Bcc" not in message
    assert message["To"] == '"Eve Bcc: all@example.be" <eve@example.be>'
    assert "\nBcc:" not in message.as_string()
