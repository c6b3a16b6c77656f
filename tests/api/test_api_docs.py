"""/docs and /redoc work on a closed network: every asset they load is served by OpenPas."""

from __future__ import annotations

import re

import httpx
import pytest

_REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*['"]([^'"]+)['"]""")
_JAVASCRIPT = {"text/javascript", "application/javascript"}


def _references(html: str) -> list[str]:
    return [a or b for a, b in _REFERENCE.findall(html)]


@pytest.mark.parametrize(
    ("page", "assets"),
    [
        (
            "/docs",
            {
                "/docs-assets/swagger-ui-bundle.js": _JAVASCRIPT,
                "/docs-assets/swagger-ui.css": {"text/css"},
                "/docs-assets/favicon.png": {"image/png"},
            },
        ),
        (
            "/redoc",
            {
                "/docs-assets/redoc.standalone.js": _JAVASCRIPT,
                "/docs-assets/favicon.png": {"image/png"},
            },
        ),
    ],
)
async def test_the_docs_load_nothing_from_another_host(
    client: httpx.AsyncClient, page: str, assets: dict[str, set[str]]
) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    # No URL with a host at all: no CDN, no font service, no online validator.
    assert re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html) == []
    assert "validatorUrl" in html or page == "/redoc"
    referenced = set(_references(html))
    assert set(assets) <= referenced
    assert "/openapi.json" in html
    for path, media_types in assets.items():
        asset = await client.get(path)
        assert asset.status_code == 200, path
        assert asset.headers["content-type"].split(";")[0] in media_types, path
        assert len(asset.content) > 1_000, path


async def test_the_oauth2_redirect_of_swagger_ui_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs/oauth2-redirect")
    assert response.status_code == 200
    assert "oauth2" in response.text
