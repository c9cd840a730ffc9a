"""Environment settings (optionally from `.env`), validated once at start into a frozen object."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from settings.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/warden.db"


class Settings(BaseSettings):
    """Environment settings. The variable names are the operator's interface: keep them."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    discord_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    tenants_file: Path = Path("tenants.json")
    listener_host: str = "127.0.0.1"
    listener_port: int = Field(default=8085, ge=0, le=65535)
    listener_public_url: str | None = None
    listener_rate_limit: float = Field(default=10.0, ge=0)  # requests/s per API key; 0 = off
    listener_rate_burst: int = Field(default=50, ge=1)
    log_level: str = "INFO"
    server_name: str = "BGS Warden"
    server_description: str = "Squadron BGS tracking: your activity, objectives and alerts."
    tick_primary_url: str = "http://tick.infomancer.uk/galtick.json"
    tick_fallback_url: str = "https://tick.edcd.io/api/tick"
    tick_poll_minutes: int = Field(default=5, ge=1)
    tick_http_timeout: float = Field(default=10.0, gt=0)
    shard_count: int | None = Field(default=None, ge=1)
    shard_ids: str | None = None

    @field_validator("discord_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def parsed_shard_ids(self) -> list[int] | None:
        if not self.shard_ids:
            return None
        return [int(part) for part in self.shard_ids.split(",") if part.strip()]


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and `.env`); keyword overrides win (used by tests)."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]).upper()
        raise ConfigError(f"environment variable {field}: {first['msg']}") from None
