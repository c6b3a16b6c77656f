"""Staff accounts: created by the tenant's admin, activated once, logged in with a cookie
that ends on logout, on expiry and on deactivation; failed logins are slowed and locked in
the database; staff act with exactly their grant, and the audit log names them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import audit_log, login_failures, staff_members, staff_sessions
from app.db.tables import sales as sales_table
from app.domain.access import Grant, Principal, Role
from app.domain.staff import ACCOUNT_LOCK_AFTER, SESSION_IDLE
from app.services.staff import DEMO_STAFF_DOMAIN, create_staff
from app.services.staff import activate as activate_staff
from tests.api.test_desk import kortrijk_world
from tests.factories import a_partner, a_region, bearer_for, catalog_scheme, with_schemes

PASSWORD = "een lange zin als wachtwoord"


@pytest.fixture
async def browser(client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """Like a browser on https (outside demo mode the cookies are Secure), on the same
    app and test transaction as `client`."""
    async with httpx.AsyncClient(
        transport=client._transport, base_url="https://testserver", follow_redirects=False
    ) as browser:
        yield browser


def form_token(page: httpx.Response, name: str = "form_token") -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def new_staff(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    path: str,
    role: str,
    email: str = "kassa@cc.example.be",
) -> dict[str, Any]:
    response = await client.post(
        path, headers=headers, json={"name": "Kim Kassa", "email": email, "role": role}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def activate(
    browser: httpx.AsyncClient, url: str, password: str = PASSWORD
) -> httpx.Response:
    path = url.removeprefix("http://testserver")
    page = await browser.get(path)
    assert page.status_code == 200, page.text
    token = re.search(r"token=([^&]+)", path)
    assert token
    return await browser.post(
        "/activate",
        data={
            "token": token.group(1),
            "password": password,
            "password_again": password,
            "form_token": form_token(page),
        },
    )


async def log_in(
    browser: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> httpx.Response:
    page = await browser.get("/login")
    return await browser.post(
        "/login",
        data={"email": email, "password": password, "form_token": form_token(page), "next": ""},
    )


async def a_desk_member(
    session: AsyncSession, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> tuple[Any, dict[str, Any]]:
    world = await kortrijk_world(session, client)
    admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=world.partner_id)
    staff = await new_staff(client, admin, f"/v1/partners/{world.partner_id}/staff", "desk")
    assert (await activate(browser, staff["activation_url"])).status_code == 303
    response = await log_in(browser, staff["email"])
    assert response.status_code == 303, response.text
    return world, staff


async def test_a_partner_admin_adds_desk_staff_with_a_one_time_activation_link(
    session: AsyncSession, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    region = await a_region(session)
    partner_id = await a_partner(session, region)
    admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=partner_id)
    staff = await new_staff(client, admin, f"/v1/partners/{partner_id}/staff", "desk")
    assert staff["role"] == "desk"
    assert staff["partner_id"] == partner_id
    assert staff["activation_url"].startswith("http://testserver/activate?token=")
    stored = (
        await session.execute(sa.select(staff_members).where(staff_members.c.id == staff["id"]))
    ).one()
    token = staff["activation_url"].split("token=")[1]
    assert token not in str(stored._mapping.values())  # only its hash is kept
    assert stored.password_hash is None

    assert (await activate(browser, staff["activation_url"])).headers["location"] == (
        "/login?notice=activated"
    )
    again = await activate_again(browser, staff["activation_url"])
    assert again.status_code == 401
    assert "activatielink is onbekend, al gebruikt of verlopen" in again.text


async def activate_again(browser: httpx.AsyncClient, url: str) -> httpx.Response:
    return await browser.get(url.removeprefix("http://testserver"))


async def test_staff_are_added_only_by_the_admin_of_their_tenant(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    region = await a_region(session)
    partner_id = await a_partner(session, region)
    other_partner = await a_partner(session, region, name="Ander")
    other_admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=other_partner)
    desk = await bearer_for(session, Role.DESK, partner_id=partner_id)
    body = {"name": "Kim", "email": "kim@cc.example.be", "role": "desk"}
    path = f"/v1/partners/{partner_id}/staff"
    assert (await client.post(path, headers=other_admin, json=body)).status_code == 403
    assert (await client.post(path, headers=desk, json=body)).status_code == 403
    region_admin = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)
    reporter_body = {"name": "Rik", "email": "rik@stad.example.be", "role": "reporter"}
    created = await client.post(
        f"/v1/regions/{region.id}/staff", headers=region_admin, json=reporter_body
    )
    assert created.status_code == 201, created.text
    assert created.json()["region_id"] == region.id
    other_region = await a_region(session)
    assert (
        await client.post(
            f"/v1/regions/{other_region.id}/staff",
            headers=region_admin,
            json={**reporter_body, "email": "x@stad.example.be"},
        )
    ).status_code == 403
    wrong_role = await client.post(path, headers=region_admin, json={**body, "role": "reporter"})
    assert wrong_role.status_code == 422
    twice = await client.post(
        f"/v1/regions/{region.id}/staff", headers=region_admin, json=reporter_body
    )
    assert twice.status_code == 409


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("te-kort-ww", "minstens 12 tekens"),
        ("qwerty123456", "te bekend"),
        ("Password2026!", "te bekend"),
    ],
)
async def test_a_short_or_common_password_is_refused_at_activation(
    session: AsyncSession,
    client: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    password: str,
    message: str,
) -> None:
    region = await a_region(session)
    partner_id = await a_partner(session, region)
    admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=partner_id)
    staff = await new_staff(client, admin, f"/v1/partners/{partner_id}/staff", "desk")
    refused = await activate(browser, staff["activation_url"], password)
    assert refused.status_code == 422
    assert message in refused.text
    # The link still works: nothing was spent.
    assert (await activate(browser, staff["activation_url"])).status_code == 303


async def test_the_session_cookie_is_httponly_samesite_and_secure(
    session: AsyncSession, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    world = await kortrijk_world(session, client)
    admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=world.partner_id)
    staff = await new_staff(client, admin, f"/v1/partners/{world.partner_id}/staff", "desk")
    await activate(browser, staff["activation_url"])
    response = await log_in(browser, staff["email"])
    assert response.headers["location"] == "/desk/"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("openpas_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" in cookie
    assert (await browser.get("/desk/")).status_code == 200


async def test_a_form_without_the_sessions_csrf_token_is_refused(
    session: AsyncSession, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    world, _ = await a_desk_member(session, client, browser)
    desk = await browser.get("/desk/")
    choice = f"{world.offer_id}|standard"
    forged = await browser.post(
        "/desk/quote", data={"csrf": "forged", "offer": choice, "card_number": world.card_number}
    )
    assert forged.status_code == 403
    assert "formulier is verlopen" in forged.text
    real = await browser.post(
        "/desk/quote",
        data={"csrf": form_token(desk, "csrf"), "offer": choice, "card_number": world.card_number},
    )
    assert real.status_code == 200
    assert "Kansentarief" in real.text
    login_page = await browser.get("/login")
    assert form_token(login_page)  # the login form carries one too
    no_token = await browser.post(
        "/login", data={"email": "a@b.be", "password": "x", "form_token": "x"}
    )
    assert no_token.status_code == 403


async def test_failed_logins_lock_the_account_in_the_database(
    session: AsyncSession, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    world = await kortrijk_world(session, client)
    admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=world.partner_id)
    staff = await new_staff(client, admin, f"/v1/partners/{world.partner_id}/staff", "desk")
    await activate(browser, staff["activation_url"])
    before = _login_refusals(await client.get("/metrics"))
    answers = [
        await log_in(browser, staff["email"], "verkeerd wachtwoord!")
        for _ in range(ACCOUNT_LOCK_AFTER)
    ]
    assert [a.status_code for a in answers] == [401] * (ACCOUNT_LOCK_AFTER - 1) + [429]
    # Locked: even the right password is refused until the lock ends.
    locked = await log_in(browser, staff["email"])
    assert locked.status_code == 429
    assert "Te veel mislukte pogingen" in locked.text
    # Answered and counted as every rate limit's refusal is (app.refusals).
    for refused in (answers[-1], locked):
        retry_after = int(refused.headers["retry-after"])
        assert 14 * 60 < retry_after <= 15 * 60 + 1
        assert refused.headers["ratelimit-limit"] == str(ACCOUNT_LOCK_AFTER)
        assert refused.headers["ratelimit-remaining"] == "0"
        assert refused.headers["ratelimit-reset"] == str(retry_after)
    assert _login_refusals(await client.get("/metrics")) == before + 2
    row = (
        await session.execute(
            sa.select(login_failures).where(login_failures.c.key == f"account:{staff['email']}")
        )
    ).one()
    assert row.failures == ACCOUNT_LOCK_AFTER
    assert row.locked_until is not None
    address = (
        await session.execute(
            sa.select(login_failures.c.failures).where(login_failures.c.key.like("address:%"))
        )
    ).scalar_one()
    assert address == ACCOUNT_LOCK_AFTER  # a refused attempt while locked is not verified


def _login_refusals(metrics: httpx.Response) -> float:
    prefix = 'openpas_rate_limit_refusals_total{limit="login_per_account"} '
    for line in metrics.text.splitlines():
        if line.startswith(prefix):
            return float(line.removeprefix(prefix))
    return 0.0


async def test_logout_ends_the_session(
    session: AsyncSession, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    await a_desk_member(session, client, browser)
    desk = await browser.get("/desk/")
    token = browser.cookies["openpas_session"]
    out = await browser.post("/logout", data={"csrf": form_token(desk, "csrf")})
    assert out.headers["location"] == "/login?notice=logged_out"
    browser.cookies.set("openpas_session", token, domain="testserver")
    assert (await browser.get("/desk/")).headers["location"] == "/login?next=/desk/"


async def test_an_idle_session_ends(
    session: AsyncSession, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    await a_desk_member(session, client, browser)
    assert (await browser.get("/desk/")).status_code == 200
    await session.execute(
        sa.text("UPDATE staff_sessions SET last_seen_at = last_seen_at - :idle").bindparams(
            sa.bindparam("idle", SESSION_IDLE, type_=sa.Interval())
        )
    )
    assert (await browser.get("/desk/")).status_code == 303
    left = await session.execute(sa.select(sa.func.count()).select_from(staff_sessions))
    assert left.scalar_one() == 0


async def test_deactivating_a_staff_member_ends_their_sessions_at_once(
    session: AsyncSession, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    world, staff = await a_desk_member(session, client, browser)
    assert (await browser.get("/desk/")).status_code == 200
    admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=world.partner_id)
    other = await bearer_for(
        session, Role.PARTNER_ADMIN, partner_id=await a_partner(session, world.region)
    )
    hidden = await client.post(f"/v1/staff/{staff['id']}/deactivate", headers=other)
    assert hidden.status_code == 404
    done = await client.post(f"/v1/staff/{staff['id']}/deactivate", headers=admin)
    assert done.status_code == 204
    assert (await browser.get("/desk/")).headers["location"] == "/login?next=/desk/"
    assert (await log_in(browser, staff["email"])).status_code == 401


async def test_staff_sell_with_their_grant_and_the_audit_log_names_them(
    session: AsyncSession, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    world, staff = await a_desk_member(session, client, browser)
    desk = await browser.get("/desk/")
    csrf = form_token(desk, "csrf")
    choice = f"{world.offer_id}|standard"
    quote = await browser.post(
        "/desk/quote", data={"csrf": csrf, "offer": choice, "card_number": world.card_number}
    )
    assert quote.status_code == 200
    tariff_id = form_token(quote, "tariff_id")
    key = form_token(quote, "idempotency_key")
    sell = {
        "csrf": csrf,
        "offer": choice,
        "card_number": world.card_number,
        "tariff_id": tariff_id,
        "idempotency_key": key,
    }
    first = await browser.post("/desk/sell", data=sell)
    assert first.status_code == 303, first.text
    # A double tap sends the same key: the same sale, not a second one.
    second = await browser.post("/desk/sell", data=sell)
    assert second.headers["location"] == first.headers["location"]
    sale_id = first.headers["location"].split("/desk/sales/")[1].split("?")[0]
    who = f"staff:{staff['id']}"
    sold = (
        await session.execute(sa.select(sales_table).where(sales_table.c.client_id == who))
    ).all()
    assert [str(s.id) for s in sold] == [sale_id]
    actions = (
        (
            await session.execute(
                sa.select(audit_log.c.action)
                .where(audit_log.c.client_id == who)
                .order_by(audit_log.c.id)
            )
        )
        .scalars()
        .all()
    )
    assert actions == ["quote", "sale"]
    receipt = await browser.get(f"/desk/sales/{sale_id}")
    assert "€ 23,80" in receipt.text  # 20 % of €119, as POST /v1/quotes says
    cancelled = await browser.post(
        f"/desk/sales/{sale_id}/cancel", data={"csrf": csrf, "offer": choice}
    )
    assert cancelled.status_code == 303
    api = await client.get(f"/v1/sales/{sale_id}", headers=world.desk)
    assert api.json()["status"] == "cancelled"


async def test_a_desk_member_cannot_sell_another_partners_offer(
    session: AsyncSession, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    world, _ = await a_desk_member(session, client, browser)
    other = await kortrijk_world(session, client)
    desk = await browser.get("/desk/")
    refused = await browser.post(
        "/desk/quote",
        data={
            "csrf": form_token(desk, "csrf"),
            "offer": f"{other.offer_id}|standard",
            "card_number": other.card_number,
        },
    )
    assert refused.status_code == 403
    assert "geen toegang" in refused.text
    assert world.offer_id in refused.text  # the desk's own offers are offered again
    assert (await browser.get("/dashboard/")).status_code == 403


async def test_a_reporter_sees_the_dashboard_but_not_the_desk(
    session: AsyncSession, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    region = await a_region(session)
    region_admin = await bearer_for(session, Role.REGION_ADMIN, region_id=region.id)
    staff = await new_staff(
        client, region_admin, f"/v1/regions/{region.id}/staff", "reporter", "r@stad.example.be"
    )
    await activate(browser, staff["activation_url"])
    logged_in = await log_in(browser, staff["email"])
    assert logged_in.headers["location"] == "/dashboard/"
    dashboard = await browser.get("/dashboard/")
    assert dashboard.status_code == 200
    assert "<svg" in dashboard.text
    assert 'role="img"' in dashboard.text
    assert "Niet-gebruik" in dashboard.text
    assert (await browser.get("/desk/")).status_code == 403
    csv = await browser.get("/dashboard/settlement.csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")


async def test_the_demos_published_accounts_do_not_log_in_outside_demo_mode(
    session: AsyncSession, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    region = await a_region(session)
    partner_id = await a_partner(session, region)
    admin = Principal("test-admin", (Grant(Role.ADMIN),))
    new = await create_staff(
        session,
        admin,
        name="Demo",
        email=f"balie@{DEMO_STAFF_DOMAIN}",
        role=Role.DESK,
        partner_id=partner_id,
    )
    await activate_staff(session, token=new.activation_token, password=PASSWORD)
    refused = await log_in(browser, f"balie@{DEMO_STAFF_DOMAIN}")
    assert refused.status_code == 401
    assert "klopt niet" in refused.text


async def test_a_partner_admin_sees_its_own_partners_dashboard(
    session: AsyncSession, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    world = await kortrijk_world(session, client)
    admin = await bearer_for(session, Role.PARTNER_ADMIN, partner_id=world.partner_id)
    staff = await new_staff(
        client, admin, f"/v1/partners/{world.partner_id}/staff", "partner_admin"
    )
    await activate(browser, staff["activation_url"])
    assert (await log_in(browser, staff["email"])).headers["location"] == "/desk/"
    dashboard = await browser.get("/dashboard/")
    assert dashboard.status_code == 200, dashboard.text
    assert 'data-report="by-partner"' not in dashboard.text  # one partner: no breakdown
    assert "Niet-gebruik" not in dashboard.text  # a region's figure
    assert (await browser.get("/desk/")).status_code == 200


async def test_the_login_page_speaks_german_when_asked_or_chosen(
    browser: httpx.AsyncClient,
) -> None:
    asked = await browser.get("/login", headers={"Accept-Language": "de-BE,fr;q=0.5"})
    assert asked.status_code == 200
    assert '<html lang="de">' in asked.text
    assert "Passwort" in asked.text
    assert 'hreflang="de"' in asked.text  # the language switch offers it

    chosen = await browser.get("/lang/de", params={"next": "/login"})
    assert chosen.status_code in (302, 303)
    assert browser.cookies.get("openpas_lang") == "de"
    page = await browser.get("/login?notice=logged_out")
    assert "Sie sind abgemeldet." in page.text


async def test_the_web_desk_quotes_a_group_card_with_the_organisations_name(
    session: AsyncSession, client: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    world, _ = await a_desk_member(session, client, browser)
    await with_schemes(session, catalog_scheme("GROEPSPAS_SCHOOL", None))
    region_admin = await bearer_for(session, Role.REGION_ADMIN, region_id=world.region.id)
    school = await client.post(
        "/v1/organisations",
        headers=region_admin,
        json={"name": "Basisschool De Vlieger", "region_id": world.region.id, "kind": "school"},
    )
    school_id = school.json()["id"]
    allocated = await client.post(
        f"/v1/organisations/{school_id}/allocations",
        headers=region_admin,
        json={
            "scheme_code": "GROEPSPAS_SCHOOL",
            "valid_from": "2020-01-01",
            "valid_until": "2099-12-31",
            "tickets": 5,
        },
    )
    assert allocated.status_code == 201, allocated.text
    card = await client.post(f"/v1/organisations/{school_id}/cards", headers=region_admin, json={})
    desk = await browser.get("/desk/")
    quote = await browser.post(
        "/desk/quote",
        data={
            "csrf": form_token(desk, "csrf"),
            "offer": f"{world.offer_id}|standard",
            "card_number": card.json()["number"],
        },
    )
    assert quote.status_code == 200, quote.text
    assert "Basisschool De Vlieger" in quote.text
    assert "Groepspas school" in quote.text
