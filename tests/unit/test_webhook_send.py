"""How a webhook request is sent: to the address that was checked, with the URL's host in
TLS, no redirect followed, the answer's body read no further than the cap."""

from __future__ import annotations

import ipaddress
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.domain.webhooks import Target
from app.webhooks.net import post

LOOPBACK = ipaddress.ip_address("127.0.0.1")


class _Handler(BaseHTTPRequestHandler):
    hits: list[str]

    def do_POST(self) -> None:
        self.hits.append(self.path)
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/target")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/big":
            self.send_response(200)
            self.send_header("Content-Length", str(50 * 1_048_576))
            self.end_headers()
            try:
                self.wfile.write(b"x" * 65_536)
                self.wfile.flush()
                # The rest never comes: a sender that read past its cap would wait here
                # until its timeout.
                time.sleep(5)
            except OSError:
                pass  # the sender stopped reading: as intended
        else:
            self.send_response(204)
            self.send_header("X-Host", self.headers.get("Host", ""))
            self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(context: ssl.SSLContext | None = None) -> Iterator[tuple[int, list[str]]]:
    hits: list[str] = []
    handler = type("Handler", (_Handler,), {"hits": hits})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], hits
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def plain() -> Iterator[tuple[int, list[str]]]:
    yield from _serve()


async def _post(client: httpx.AsyncClient, url: str, target: Target) -> Any:
    return await post(client, url, target, LOOPBACK, b"{}", {}, max_response_bytes=1000)


async def test_a_redirect_is_an_answer_not_followed(plain: tuple[int, list[str]]) -> None:
    port, hits = plain
    async with httpx.AsyncClient(timeout=5) as client:
        answer = await _post(
            client, f"http://hooks.example:{port}/redirect", Target("http", "hooks.example", port)
        )
    assert answer.status == 302
    assert not answer.ok
    assert hits == ["/redirect"]


async def test_the_request_goes_to_the_checked_address_naming_the_urls_host(
    plain: tuple[int, list[str]],
) -> None:
    # hooks.example resolves nowhere: only the pinned address can have answered.
    port, hits = plain
    async with httpx.AsyncClient(timeout=5) as client:
        answer = await _post(
            client, f"http://hooks.example:{port}/in", Target("http", "hooks.example", port)
        )
    assert answer.status == 204
    assert hits == ["/in"]


async def test_a_huge_answer_is_read_no_further_than_the_cap(plain: tuple[int, list[str]]) -> None:
    port, _ = plain
    async with httpx.AsyncClient(timeout=2) as client:
        answer = await _post(
            client, f"http://hooks.example:{port}/big", Target("http", "hooks.example", port)
        )
    assert answer.status == 200
    assert answer.error is None


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=hooks.example",
            "-addext", "subjectAltName=DNS:hooks.example",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return key, cert


async def test_tls_checks_the_certificate_against_the_urls_host_not_the_address(
    certificate: tuple[Path, Path],
) -> None:
    key, cert = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    trust = ssl.create_default_context(cafile=str(cert))
    for port, hits in _serve(server_context):
        async with httpx.AsyncClient(timeout=5, verify=trust) as client:
            good = await _post(
                client, f"https://hooks.example:{port}/in", Target("https", "hooks.example", port)
            )
            wrong = await _post(
                client, f"https://other.example:{port}/in", Target("https", "other.example", port)
            )
        assert good.status == 204
        assert wrong.status is None
        assert wrong.error is not None
        assert "certificate" in wrong.error.lower() or "ssl" in wrong.error.lower()
        assert hits == ["/in"]


def test_a_failure_is_named_without_the_message_that_may_hold_the_url() -> None:
    from app.webhooks.net import failure_text

    error = httpx.ConnectError("cannot reach https://hooks.example/in?token=s3cret-token")
    assert failure_text(error) == "ConnectError"
    tls = ssl.SSLCertVerificationError(1, "certificate verify failed")
    tls.reason = "CERTIFICATE_VERIFY_FAILED"
    wrapped = httpx.ConnectError("https://hooks.example/in?token=s3cret-token")
    wrapped.__cause__ = tls
    assert failure_text(wrapped) == "ConnectError (TLS: CERTIFICATE_VERIFY_FAILED)"
