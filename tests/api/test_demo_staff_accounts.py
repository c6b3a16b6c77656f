"""The README's demo staff accounts, as a newcomer uses them after `make run`: each one
logs in at /login and lands on the page of its role (the desk for desk and partner_admin,
the dashboard for reporter and region_admin), which then opens for it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.live_server import LiveServer, demo_server

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| `([^`]+@demo\.openpas\.example)` \| `([^`]+)` \| (\w+) \| ([^|]+) \|$", re.M)
ACCOUNTS = ROW.findall(README.read_text(encoding="utf-8"))
LANDS = {
    "desk": ("/desk/", "<h1>Balie</h1>"),
    "partner_admin": ("/desk/", "<h1>Balie</h1>"),
    "reporter": ("/dashboard/", "<h1>Cijfers</h1>"),
    "region_admin": ("/dashboard/", "<h1>Cijfers</h1>"),
}


@pytest.fixture(scope="module")
def server(postgres_admin_url: str) -> Iterator[LiveServer]:
    with demo_server(
        postgres_admin_url, prefix="openpas_demo_staff", env={"OPENPAS_DEMO": "1"}
    ) as s:
        yield s


def test_the_readme_lists_the_five_demo_accounts() -> None:
    assert sorted(role for _, _, role, _ in ACCOUNTS) == [
        "desk",
        "desk",
        "partner_admin",
        "region_admin",
        "reporter",
    ]


@pytest.mark.parametrize(
    ("email", "password", "role", "tenant"), ACCOUNTS, ids=[a[0] for a in ACCOUNTS]
)
def test_a_demo_account_logs_in_and_lands_where_its_role_works(
    server: LiveServer, email: str, password: str, role: str, tenant: str
) -> None:
    with httpx.Client(base_url=server.base_url, headers={"Accept-Language": "nl"}) as browser:
        login = browser.get("/login")
        assert login.status_code == 200
        found = re.search(r'name="form_token" value="([^"]+)"', login.text)
        assert found, login.text
        answer = browser.post(
            "/login",
            data={"email": email, "password": password, "form_token": found.group(1), "next": ""},
        )
        path, heading = LANDS[role]
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == path
        page = browser.get(path)
        assert page.status_code == 200, page.text
        assert heading in page.text
