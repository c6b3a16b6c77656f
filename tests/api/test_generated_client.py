"""A typed client generated from the OpenAPI document by a real generator
(openapi-python-client) sells at a real server: the document is a contract a client can be
built against, not only a description."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from app.main import create_app
from tests.conftest import make_settings
from tests.support.live_server import LiveServer, demo_server

KORTRIJK_OFFER = "f885b1c5-8e53-54f0-b4c6-a98fd001c18e"
SOFIE_CARD = "5395011334637"
PACKAGE = "openpas_generated_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client, generated once for the module from the document the code serves."""
    folder = tmp_path_factory.mktemp("client")
    document = folder / "openapi.json"
    app = create_app(make_settings("postgresql://openpas@127.0.0.1/unused"))
    document.write_text(json.dumps(app.openapi()), encoding="utf-8")
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(document),
            "--meta",
            "none",
            "--output-path",
            str(folder / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        # Its post-generation hooks run ruff, from the same environment.
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The one thing it leaves out: the import's text bodies (CSV, JSON lines), a content
    # type this generator does not support; everything else must generate.
    said = result.stdout + result.stderr
    warnings = [line for line in said.splitlines() if line.startswith("WARNING")]
    assert warnings == [
        "WARNING parsing POST /v1/imports/entitlements within registry. "
        "Endpoint will not be generated."
    ], said
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def server(postgres_admin_url: str) -> Iterator[LiveServer]:
    with demo_server(postgres_admin_url, prefix="openpas_client") as running:
        yield running


def _module(package: ModuleType, name: str) -> ModuleType:
    return importlib.import_module(f"{package.__name__}.{name}")


def test_a_generated_client_quotes_sells_and_cancels(
    generated: ModuleType, server: LiveServer
) -> None:
    models = _module(generated, "models")
    create_token = _module(generated, "api.auth.create_token")
    create_quote = _module(generated, "api.desk.create_quote")
    create_sale = _module(generated, "api.desk.create_sale")
    get_sale = _module(generated, "api.desk.get_sale")
    cancel_sale = _module(generated, "api.desk.cancel_sale")

    anonymous = generated.Client(base_url=server.base_url)
    token = create_token.sync(
        client=anonymous,
        body=models.BodyCreateToken(
            grant_type="client_credentials",
            client_id="demo-desk-kv",
            client_secret="demo-desk-kv-secret",
        ),
    )
    assert isinstance(token, models.TokenResponse), token
    desk = generated.AuthenticatedClient(base_url=server.base_url, token=token.access_token)

    quote = create_quote.sync(
        client=desk,
        body=models.QuoteIn(
            card_number=SOFIE_CARD, offer_id=KORTRIJK_OFFER, price_class="standard", quantity=1
        ),
    )
    assert isinstance(quote, models.QuoteOut), quote
    assert quote.holder.display_name == "Sofie D."
    assert quote.regular_price_cents == 11_900
    best = next(t for t in quote.tariffs if t.tariff_id == quote.best_tariff_id)
    assert best.unit_price_cents == 1_880

    item = models.SaleItemIn(
        card_number=SOFIE_CARD,
        offer_id=KORTRIJK_OFFER,
        price_class="standard",
        tariff_id=best.tariff_id,
        quantity=1,
    )
    key = str(uuid.uuid4())
    sale = create_sale.sync(client=desk, body=models.SaleIn(items=[item]), idempotency_key=key)
    assert isinstance(sale, models.SaleOut), sale
    assert sale.status == models.SaleStatus.CONFIRMED
    assert sale.total_cents == 1_880
    again = create_sale.sync(client=desk, body=models.SaleIn(items=[item]), idempotency_key=key)
    assert isinstance(again, models.SaleOut)
    assert again.id == sale.id

    # A second ticket on the kansentarief is refused with a typed problem of the document.
    refused = create_sale.sync(
        client=desk, body=models.SaleIn(items=[item]), idempotency_key=str(uuid.uuid4())
    )
    assert isinstance(refused, models.SaleConflict | models.Problem), refused
    assert refused.code == "limit-reached"

    cancelled = cancel_sale.sync(sale.id, client=desk)
    assert isinstance(cancelled, models.SaleOut), cancelled
    assert cancelled.status == models.SaleStatus.CANCELLED
    read = get_sale.sync(sale.id, client=desk)
    assert isinstance(read, models.SaleOut)
    assert read.cancelled_at is not None
