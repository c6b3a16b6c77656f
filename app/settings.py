"""One validated settings object, read from the environment (prefix ``OPENPAS_``).

Outside demo mode the server refuses to start with a missing or default secret: a
forgotten key in production must be a loud failure, not a silently forgeable token.

Every setting can also come from a file, as Docker and Kubernetes secrets are handed over:
``OPENPAS_TOKEN_SIGNING_KEY_FILE=/run/secrets/token_signing_key`` reads that file (its
trailing newline dropped). Setting both the variable and its ``_FILE`` is refused: which
one wins would be a guess.
"""

from __future__ import annotations

import os
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy.engine import make_url

# Well-known values that must never protect real data.
DEMO_TOKEN_SIGNING_KEY = "demo-token-signing-key-do-not-use-in-production"  # noqa: S105
DEMO_INSZ_HMAC_KEY = "demo-insz-hmac-key-do-not-use-in-production"
_MIN_SECRET_LENGTH = 32


def async_database_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://) and pick the async driver."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("postgresql+asyncpg://"):
        return url
    raise ValueError("DATABASE_URL must be a postgresql:// URL")


class InsecureSettingsError(ValueError):
    """A secret is missing or left at a published default outside demo mode."""


def environment_names(name: str, field: FieldInfo) -> list[str]:
    """The environment variables that set one field (its aliases, else OPENPAS_<NAME>)."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return [choice for choice in alias.choices if isinstance(choice, str)]
    return [f"OPENPAS_{name.upper()}"]


class SettingsFileError(ValueError):
    """A ``*_FILE`` setting names a file that cannot be read, or clashes with its variable."""


class _SecretFiles(PydanticBaseSettingsSource):
    """``<VARIABLE>_FILE`` reads a setting from a file (Docker secrets)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything is done in __call__

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, field in self.settings_cls.model_fields.items():
            for env_name in environment_names(name, field):
                path = os.environ.get(f"{env_name}_FILE")
                if not path:
                    continue
                if os.environ.get(env_name):
                    raise SettingsFileError(f"both {env_name} and {env_name}_FILE are set")
                try:
                    value = Path(path).read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as error:
                    raise SettingsFileError(
                        f"{env_name}_FILE: cannot read {path}: {error}"
                    ) from None
                # Keyed as the model validates it: by alias where the field has one.
                key = env_name if isinstance(field.validation_alias, AliasChoices) else name
                values[key] = value.rstrip("\r\n")
        return values


def database_url_is_set() -> bool:
    """DATABASE_URL given directly or as a file (else the embedded server is started)."""
    names = ("DATABASE_URL", "OPENPAS_DATABASE_URL")
    return any(os.environ.get(name) or os.environ.get(f"{name}_FILE") for name in names)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENPAS_", extra="ignore", frozen=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _SecretFiles(settings_cls), dotenv_settings)

    # Required here: with no DATABASE_URL the `openpas` command starts the embedded
    # PostgreSQL server (app.db.embedded) and hands its URL on.
    database_url: str = Field(
        validation_alias=AliasChoices("DATABASE_URL", "OPENPAS_DATABASE_URL"),
        description="The PostgreSQL server, postgresql://user@host:port/database.",
    )
    # The password apart from the URL, so that it can be a secret file of its own
    # (OPENPAS_DATABASE_PASSWORD_FILE) while the URL stays in plain configuration.
    database_password: str = Field(default="", repr=False)
    demo: bool = Field(default=False, description="Demo mode: allows the published demo keys.")
    token_signing_key: str = Field(default="", repr=False)
    insz_hmac_key: str = Field(default="", repr=False)
    token_ttl_seconds: int = Field(default=900, ge=60, le=86_400)
    # The longest life (exp - iat) of a token this server accepts, whoever signed it: a
    # leaked key must not mint year-long tokens. At least token_ttl_seconds.
    token_max_lifetime_seconds: int = Field(default=3600, ge=60, le=86_400)
    # How far ahead of this server's clock a token's iat or nbf may be (other machines').
    token_clock_leeway_seconds: int = Field(default=30, ge=0, le=300)
    # Key rotation: tokens carry `kid` = token_key_id. The previous key (and its id) is
    # still accepted until token_previous_key_until, an ISO 8601 moment with a time zone —
    # at least token_ttl_seconds after the switch, so no token issued before it is cut short.
    token_key_id: str = Field(default="1", min_length=1, max_length=64)
    token_previous_signing_key: str = Field(default="", repr=False)
    token_previous_key_id: str = Field(default="", max_length=64)
    token_previous_key_until: datetime | None = None
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_import_body_bytes: int = Field(default=32 * 1_048_576, ge=1024)
    hold_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Connections each server process keeps open. Requests beyond it wait for one rather
    # than open and close extra connections (a new PostgreSQL backend per request under
    # load); processes × pool size (+ one listener each) must stay below the server's
    # max_connections.
    db_pool_size: int = Field(default=20, ge=1, le=200)
    # What `openpas maintenance` keeps (app.domain.retention).
    idempotency_ttl_hours: int = Field(default=48, ge=1, le=24 * 365)
    audit_retention_days: int = Field(default=730, ge=31, le=36_500)
    audit_partition_months_ahead: int = Field(default=2, ge=1, le=24)

    # Fail fast when the database is slow or full (app.db.engine.Timeouts): a request that
    # finds no free connection within db_pool_timeout_seconds answers 503
    # database-unavailable; one whose statement runs past db_statement_timeout_ms or waits
    # for a lock past db_lock_timeout_ms answers 503 database-busy. Reports and imports
    # may run statements up to db_long_statement_timeout_ms.
    db_pool_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    db_statement_timeout_ms: int = Field(default=5_000, ge=100, le=3_600_000)
    db_long_statement_timeout_ms: int = Field(default=120_000, ge=100, le=3_600_000)
    db_lock_timeout_ms: int = Field(default=2_000, ge=10, le=3_600_000)
    db_idle_in_transaction_timeout_ms: int = Field(default=10_000, ge=100, le=3_600_000)

    # Activation mails to new staff (app.mail): sent only when smtp_host is set; the
    # link is in the creator's answer either way. smtp_security "tls" is SMTPS (port 465),
    # "starttls" upgrades a plain connection (587), "none" is for a relay on a closed network.
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65_535)
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str = ""
    smtp_password: str = Field(default="", repr=False)
    smtp_from: str = "OpenPas <noreply@openpas.invalid>"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # The address people reach OpenPas at (https://pas.example.be), for links in mails;
    # empty: the address the creating request came in on.
    public_url: str = ""
    # Webhooks (app.webhooks). A send keeps its transaction open (its subscription's lock)
    # while it waits, so the timeout stays below the database's idle-in-transaction limit.
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=8)
    webhook_max_response_bytes: int = Field(default=65_536, ge=0, le=1_048_576)
    webhook_backoff_base_seconds: float = Field(default=10.0, gt=0, le=3600)
    # Failing this long, a delivery stops being retried and its subscription is disabled.
    webhook_retry_window_seconds: int = Field(default=86_400, ge=1, le=30 * 86_400)
    webhook_secret_overlap_seconds: int = Field(default=86_400, ge=0, le=30 * 86_400)
    # Loopback and private addresses as webhook targets (tests, closed networks; demo mode
    # allows them too); link-local and cloud-metadata addresses stay refused.
    webhook_allow_private: bool = False
    # Delivered deliveries are kept this long (`openpas maintenance`); pending ones always.
    webhook_delivery_retention_days: int = Field(default=30, ge=1, le=36_500)
    webhook_worker_concurrency: int = Field(default=10, ge=1, le=200)
    # `openpas run` (make run, the image) starts a webhook worker beside the server; off
    # where workers run as their own service (`openpas worker`).
    run_worker: bool = True
    # A job whose worker sent no heartbeat for this long is handed to another worker.
    webhook_stalled_after_seconds: float = Field(default=30.0, ge=1, le=3600)

    # Rate limits (app.api.rate_limits), "N/second|minute|hour|day" or "N per M minutes";
    # "" switches one off. Shared by every process through Redis when redis_url is set
    # (redis://host:port/db), else counted in each process's memory.
    redis_url: str = Field(
        default="",
        validation_alias=AliasChoices("OPENPAS_REDIS_URL", "REDIS_URL"),
        repr=False,
    )
    rate_limit_namespace: str = Field(default="openpas", min_length=1, max_length=64)
    rate_limit_token_per_client: str = "20/minute"  # noqa: S105 - a rate, not a secret
    rate_limit_token_per_address: str = "60/minute"  # noqa: S105 - a rate, not a secret
    rate_limit_failed_card_lookups: str = "30 per 10 minutes"
    rate_limit_quotes: str = "600/minute"
    rate_limit_sales: str = "300/minute"

    @field_validator(
        "rate_limit_token_per_client",
        "rate_limit_token_per_address",
        "rate_limit_failed_card_lookups",
        "rate_limit_quotes",
        "rate_limit_sales",
    )
    @classmethod
    def _parse_limit(cls, value: str) -> str:
        from limits import parse

        if value.strip():
            try:
                parse(value)
            except ValueError:
                raise ValueError(f"{value!r} is not a rate limit such as '600/minute'") from None
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, url: str) -> str:
        if url and not url.startswith(("redis://", "rediss://", "async+redis://")):
            raise ValueError("OPENPAS_REDIS_URL must be a redis:// URL")
        return url

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, url: str) -> str:
        url = url.strip().rstrip("/")
        if url and not url.startswith(("https://", "http://")):
            raise ValueError("OPENPAS_PUBLIC_URL must be an http(s):// address")
        return url

    @field_validator("database_url")
    @classmethod
    def _use_async_driver(cls, url: str) -> str:
        return async_database_url(url)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _password_into_url(self) -> Settings:
        if self.database_password:
            url = make_url(self.database_url).set(password=self.database_password)
            object.__setattr__(self, "database_url", url.render_as_string(hide_password=False))
        return self

    @model_validator(mode="after")
    def _consistent_token_settings(self) -> Settings:
        if self.token_ttl_seconds > self.token_max_lifetime_seconds:
            raise ValueError(
                "OPENPAS_TOKEN_TTL_SECONDS exceeds OPENPAS_TOKEN_MAX_LIFETIME_SECONDS: "
                "the server would refuse its own tokens"
            )
        if self.token_previous_signing_key:
            if not self.token_previous_key_id or self.token_previous_key_until is None:
                raise ValueError(
                    "OPENPAS_TOKEN_PREVIOUS_SIGNING_KEY needs OPENPAS_TOKEN_PREVIOUS_KEY_ID "
                    "and OPENPAS_TOKEN_PREVIOUS_KEY_UNTIL (the end of the overlap)"
                )
            if self.token_previous_key_id == self.token_key_id:
                raise ValueError("OPENPAS_TOKEN_PREVIOUS_KEY_ID equals OPENPAS_TOKEN_KEY_ID")
            if self.token_previous_key_until.tzinfo is None:
                raise ValueError("OPENPAS_TOKEN_PREVIOUS_KEY_UNTIL needs a time zone (…Z)")
        return self

    @model_validator(mode="after")
    def _refuse_unsafe_secrets(self) -> Settings:
        if self.demo:
            # Demo mode may run on the published keys; the demo holds no real people.
            if not self.token_signing_key:
                object.__setattr__(self, "token_signing_key", DEMO_TOKEN_SIGNING_KEY)
            if not self.insz_hmac_key:
                object.__setattr__(self, "insz_hmac_key", DEMO_INSZ_HMAC_KEY)
            return self
        for env_name, value, default in (
            ("OPENPAS_TOKEN_SIGNING_KEY", self.token_signing_key, DEMO_TOKEN_SIGNING_KEY),
            ("OPENPAS_INSZ_HMAC_KEY", self.insz_hmac_key, DEMO_INSZ_HMAC_KEY),
        ):
            if not value:
                raise InsecureSettingsError(f"{env_name} is not set (required outside demo mode)")
            if value == default:
                raise InsecureSettingsError(f"{env_name} is the published demo key")
            if len(value) < _MIN_SECRET_LENGTH:
                raise InsecureSettingsError(
                    f"{env_name} is shorter than {_MIN_SECRET_LENGTH} characters"
                )
        previous = self.token_previous_signing_key
        if previous and (len(previous) < _MIN_SECRET_LENGTH or previous == DEMO_TOKEN_SIGNING_KEY):
            raise InsecureSettingsError(
                "OPENPAS_TOKEN_PREVIOUS_SIGNING_KEY is the demo key or shorter than "
                f"{_MIN_SECRET_LENGTH} characters"
            )
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
