"""Environment settings (optionally from `.env`), validated once at start into a frozen object."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
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
    after_ingest_recovery_seconds: float = Field(default=60.0, gt=0)  # then another takes over
    shard_count: int | None = Field(default=None, ge=1)
    shard_ids: str | None = None
    inara_api_url: str = "https://inara.cz/inapi/v1/"
    inara_app_name: str = Field(default="BGS Warden", min_length=1, max_length=100)
    inara_sync_time: str = Field(default="01:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")  # UTC
    inara_request_interval: float = Field(default=60.0, ge=0)  # seconds between two requests
    event_retention_days: int = Field(default=0, ge=0)  # raw events kept (days); 0 = for ever

    @field_validator("discord_token", mode="before")
    @classmethod
    def _empty_token_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("shard_ids")
    @classmethod
    def _shard_ids(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = [part.strip() for part in value.split(",")]
        if not all(part.isascii() and part.isdigit() for part in parts):
            raise ValueError("must be shard numbers separated by commas, like 0,1")
        return ",".join(str(number) for number in sorted({int(part) for part in parts}))

    @model_validator(mode="after")
    def _shards_need_a_count(self) -> Settings:
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ValueError("SHARD_IDS needs SHARD_COUNT (the shards of the whole bot)")
            too_high = [n for n in self.parsed_shard_ids or () if n >= self.shard_count]
            if too_high:
                raise ValueError(
                    f"shard {too_high[0]} does not exist: with SHARD_COUNT {self.shard_count} "
                    f"the shards are 0 to {self.shard_count - 1}"
                )
        return self

    @property
    def inara_sync_at(self) -> tuple[int, int]:
        """INARA_SYNC_TIME as (hour, minute), UTC."""
        hour, minute = self.inara_sync_time.split(":")
        return int(hour), int(minute)

    @property
    def parsed_shard_ids(self) -> list[int] | None:
        """The shards this process runs (None: every shard, when SHARD_COUNT is set)."""
        if self.shard_ids is None:
            return None
        return [int(part) for part in self.shard_ids.split(",")]


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and `.env`); keyword overrides win (used by tests)."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]).upper()
        where = f"environment variable {field}" if field else "settings"
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{where}: {message}") from None
