"""The shipped deployment is safe by default: what `docker compose up` and the image do
without anyone changing them. (There is no Docker engine in CI; these read the files.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_compose_runs_in_production_mode_unless_demo_is_asked_for() -> None:
    api = _compose()["services"]["api"]["environment"]
    assert api["OPENPAS_DEMO"] == "${OPENPAS_DEMO:-0}"


def test_compose_hands_over_every_secret_as_a_file_never_as_a_variable() -> None:
    compose = _compose()
    api = compose["services"]["api"]
    db = compose["services"]["db"]
    environment = {**api["environment"], **db["environment"]}
    for name in ("OPENPAS_TOKEN_SIGNING_KEY", "OPENPAS_INSZ_HMAC_KEY", "POSTGRES_PASSWORD"):
        assert name not in environment, name
        assert environment[f"{name}_FILE"].startswith("/run/secrets/")
    assert ":" not in environment["DATABASE_URL"].split("@")[0].removeprefix("postgresql://")
    assert environment["OPENPAS_DATABASE_PASSWORD_FILE"] == "/run/secrets/db_password"
    declared = set(compose["secrets"])
    assert set(api["secrets"]) <= declared
    assert set(db["secrets"]) <= declared
    for secret in compose["secrets"].values():
        assert secret["file"].startswith("./secrets/")
    assert "secrets/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_images_are_pinned_to_a_full_version() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    (base,) = re.findall(r"^FROM\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", base), base
    assert re.fullmatch(r"postgres:\d+\.\d+-\w+", _compose()["services"]["db"]["image"])
    assert "--require-hashes" in dockerfile
    assert "apt-get" not in dockerfile


def test_the_container_is_healthy_only_when_ready() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    healthcheck = dockerfile.split("HEALTHCHECK", 1)[1].split("ENTRYPOINT", 1)[0]
    assert "/ready" in healthcheck
    assert "/health'" not in healthcheck


def test_the_declared_licence_is_shipped() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'license = { text = "EUPL-1.2" }' in pyproject
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "EUROPEAN UNION PUBLIC LICENCE v. 1.2" in licence
    assert "15. Applicable Law" in licence
    assert "Compatible Licences" in licence


def test_compose_runs_the_maintenance_job_hourly_with_the_apis_image_settings_and_secrets() -> None:
    services = _compose()["services"]
    api, maintenance = services["api"], services["maintenance"]
    assert maintenance["image"] == api["image"]
    assert maintenance["build"] == api["build"]
    # The image's entrypoint serves the API; this container runs the job instead.
    assert maintenance["entrypoint"] == ["openpas"]
    assert maintenance["command"] == ["maintenance", "--every", "3600"]
    assert maintenance["environment"] == api["environment"]
    assert maintenance["secrets"] == api["secrets"]
    # After the API is healthy, i.e. the schema is migrated; and no check of an API port.
    assert maintenance["depends_on"] == {"api": {"condition": "service_healthy"}}
    assert maintenance["healthcheck"] == {"disable": True}
    assert maintenance["restart"] == "unless-stopped"


def test_compose_shares_the_rate_limits_of_every_worker_through_redis() -> None:
    services = _compose()["services"]
    redis = services["redis"]
    assert re.fullmatch(r"redis:\d+\.\d+\.\d+-\w+", redis["image"]), redis["image"]
    # Counters that expire within the hour: nothing to keep across a restart.
    assert redis["command"][:5] == ["redis-server", "--save", "", "--appendonly", "no"]
    assert "ports" not in redis  # reachable by the API only, on compose's network
    api = services["api"]
    assert api["environment"]["OPENPAS_REDIS_URL"] == "redis://redis:6379/0"
    assert api["depends_on"]["redis"] == {"condition": "service_healthy"}
    # Several workers: without Redis each would count alone.
    assert api["environment"]["WEB_CONCURRENCY"] == "${WEB_CONCURRENCY:-2}"
