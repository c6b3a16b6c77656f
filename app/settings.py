"""One validated settings object, read from the environment (prefix ``OPENPAS_``).

Outside demo mode the server refuses to start with a missing or default secret: a
forgotten key in production must be a loud failure, not a silently forgeable token.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENPAS_", extra="ignore", frozen=True)

    # Required here: with no DATABASE_URL the `openpas` command starts the embedded
    # PostgreSQL server (app.db.embedded) and hands its URL on.
    database_url: str = Field(
        validation_alias=AliasChoices("DATABASE_URL", "OPENPAS_DATABASE_URL"),
        description="The PostgreSQL server, postgresql://user@host:port/database.",
    )
    demo: bool = Field(default=False, description="Demo mode: allows the published demo keys.")
    token_signing_key: str = Field(default="", repr=False)
    insz_hmac_key: str = Field(default="", repr=False)
    token_ttl_seconds: int = Field(default=900, ge=60, le=86_400)
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
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
