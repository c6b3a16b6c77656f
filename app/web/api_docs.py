"""The API's docs, Swagger UI at /docs and ReDoc at /redoc, with every script, style sheet
and icon served by OpenPas itself: on a closed network (a city's LAN, a desk behind a
firewall) the docs load as they do online.

The assets are the static files of the `fastapi-offline` package, pinned by version and
hash in requirements/app.lock (Swagger UI 5, Apache-2.0; ReDoc 2, MIT; the package MIT).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_DIR: Final = Path(str(resources.files("fastapi_offline") / "static"))
# Not under /static: that mount (the web pages' files) would take these paths first.
ASSETS_PATH: Final = "/docs-assets"
OAUTH2_REDIRECT: Final = "/docs/oauth2-redirect"


def install(app: FastAPI) -> None:
    """Serve /docs and /redoc (the app is created with FastAPI's own, CDN-bound, off)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="api-docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} — API",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_PATH}/favicon.png",
            oauth2_redirect_url=OAUTH2_REDIRECT,
            # Swagger UI would otherwise send the document to an online validator.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(OAUTH2_REDIRECT, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} — API",
            redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_PATH}/favicon.png",
            # ReDoc's default loads its fonts from a font CDN.
            with_google_fonts=False,
        )
