"""Activation mails: with an SMTP server configured, a new staff member gets the one-time
link by mail — after the account is saved, in the creator's language, from the configured
sender, with links on the public address — and a mail that cannot be sent changes nothing."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
import structlog
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import Role
from app.main import create_app
from tests.api.test_staff import activate, log_in
from tests.conftest import client_for, make_settings
from tests.factories import a_partner, a_region, bearer_for

PUBLIC_URL = "https://pas.kortrijk.example"
SENDER = "OpenPas Kortrijk <pas@kortrijk.example>"


@dataclass
class Inbox:
    """What a real SMTP server on loopback received."""

    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


async def _app_with_smtp(database_url: str, port: int) -> FastAPI:
    return create_app(
        make_settings(
            database_url,
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_security="none",
            smtp_from=SENDER,
            smtp_timeout_seconds=2,
            public_url=PUBLIC_URL + "/",
        )
    )


@pytest.fixture
async def mailing_client(
    database_url: str, session: AsyncSession, inbox: tuple[Inbox, int]
) -> AsyncIterator[httpx.AsyncClient]:
    app = await _app_with_smtp(database_url, inbox[1])
    async with client_for(app, session) as client:
        yield client
    await app.state.engine.dispose()


@pytest.fixture
async def browser(mailing_client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=mailing_client._transport, base_url="https://testserver"
    ) as browser:
        yield browser


async def _partner_admin(session: AsyncSession) -> tuple[str, dict[str, str]]:
    region = await a_region(session)
    partner_id = await a_partner(session, region)
    return partner_id, await bearer_for(session, Role.PARTNER_ADMIN, partner_id=partner_id)


async def test_a_new_staff_member_gets_the_link_by_mail_in_the_creators_language(
    session: AsyncSession,
    mailing_client: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    inbox: tuple[Inbox, int],
) -> None:
    partner_id, admin = await _partner_admin(session)
    response = await mailing_client.post(
        f"/v1/partners/{partner_id}/staff",
        headers={**admin, "Accept-Language": "fr-BE, fr;q=0.9"},
        json={"name": "Camille Caisse", "email": "Camille@CC.example.be", "role": "desk"},
    )
    assert response.status_code == 201, response.text
    staff = response.json()
    assert staff["activation_mailed"] is True
    link = staff["activation_url"]
    assert link.startswith(f"{PUBLIC_URL}/activate?token=")

    [(mail_from, recipients, message)] = inbox[0].messages
    assert mail_from == "pas@kortrijk.example"
    assert recipients == ["camille@cc.example.be"]
    assert message["To"] == "Camille Caisse <camille@cc.example.be>"
    assert message["From"] == SENDER
    assert message["Subject"] == "Activez votre compte OpenPas"
    assert message["Content-Language"] == "fr"
    body = message.get_content()
    assert "Bonjour Camille Caisse," in body
    assert "pour le guichet" in body
    assert link in body.splitlines()  # alone on its line, so a mail reader makes it a link
    assert "mot de passe" in body

    # The mailed link works, once.
    activated = await activate(browser, link.replace(PUBLIC_URL, "http://testserver"))
    assert activated.status_code == 303
    assert (await log_in(browser, "camille@cc.example.be")).status_code == 303


async def test_dutch_is_the_language_of_a_mail_when_the_creator_names_none(
    session: AsyncSession, mailing_client: httpx.AsyncClient, inbox: tuple[Inbox, int]
) -> None:
    region = await a_region(session)
    admin = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)
    response = await mailing_client.post(
        f"/v1/regions/{region.id}/staff",
        headers=admin,
        json={"name": "Rik Rapport", "email": "rik@stad.example.be", "role": "reporter"},
    )
    assert response.status_code == 201, response.text
    [(_, _, message)] = inbox[0].messages
    assert message["Subject"] == "Activeer je OpenPas-account"
    assert "voor de cijfers" in message.get_content()


async def test_an_account_that_is_not_saved_is_not_announced(
    session: AsyncSession, mailing_client: httpx.AsyncClient, inbox: tuple[Inbox, int]
) -> None:
    partner_id, admin = await _partner_admin(session)
    body = {"name": "Kim Kassa", "email": "kim@cc.example.be", "role": "desk"}
    first = await mailing_client.post(f"/v1/partners/{partner_id}/staff", headers=admin, json=body)
    assert first.status_code == 201
    again = await mailing_client.post(f"/v1/partners/{partner_id}/staff", headers=admin, json=body)
    assert again.status_code == 409
    assert again.json()["code"] == "already-exists"
    assert len(inbox[0].messages) == 1


async def test_without_smtp_nothing_is_mailed_and_the_answer_says_so(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    partner_id, admin = await _partner_admin(session)
    response = await client.post(
        f"/v1/partners/{partner_id}/staff",
        headers=admin,
        json={"name": "Kim Kassa", "email": "kim@cc.example.be", "role": "desk"},
    )
    assert response.status_code == 201
    assert response.json()["activation_mailed"] is False
    assert response.json()["activation_url"].startswith("http://testserver/activate?token=")


async def test_a_mail_server_that_is_down_leaves_the_account_and_logs_no_link(
    database_url: str, session: AsyncSession
) -> None:
    app = await _app_with_smtp(database_url, free_port())  # nothing listens there
    partner_id, admin = await _partner_admin(session)
    try:
        async with client_for(app, session) as client:
            with structlog.testing.capture_logs() as logs:
                response = await client.post(
                    f"/v1/partners/{partner_id}/staff",
                    headers=admin,
                    json={"name": "Kim Kassa", "email": "kim@cc.example.be", "role": "desk"},
                )
    finally:
        await app.state.engine.dispose()
    assert response.status_code == 201, response.text
    token = response.json()["activation_url"].split("token=")[1]
    [failure] = [entry for entry in logs if entry["event"] == "mail_not_sent"]
    assert failure["kind"] == "staff_activation"
    assert failure["recipient_domain"] == "cc.example.be"
    assert token not in repr(logs)
    assert "kim@" not in repr(logs)
