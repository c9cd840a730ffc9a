"""Environment settings (optionally from `.env`), validated once at start into a frozen object."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from settings.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/warden.db"
DEFAULT_EDDN_RELAY = "tcp://eddn.edcd.io:9500"
EDDN_OFF = "off"


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
    # Trust limits (README "Security"): what one address, one guild or the whole listener may
    # cost before it is told to come back later.
    listener_behind_proxy: bool = False  # the client's address is X-Forwarded-For's last
    listener_address_rate: float = Field(default=1.0, ge=0)  # failed auths and /health per s
    listener_address_burst: int = Field(default=30, ge=1)
    listener_guild_rate_limit: float = Field(default=50.0, ge=0)  # requests/s per guild; 0 = off
    listener_guild_burst: int = Field(default=200, ge=1)
    listener_guild_bytes: int = Field(default=1_048_576, ge=0)  # body bytes/s per guild; 0 = off
    listener_guild_bytes_burst: int = Field(default=8_388_608, ge=1_048_576)
    listener_max_connections: int = Field(default=1024, ge=1)
    listener_header_timeout: float = Field(default=30.0, gt=0)  # seconds for a request's headers
    listener_body_timeout: float = Field(default=30.0, gt=0)  # seconds for its body
    listener_queue_limit: int = Field(default=64, ge=1)  # event batches waiting per guild
    listener_write_timeout: float = Field(default=10.0, gt=0)  # then 503 with Retry-After
    listener_key_cache_seconds: float = Field(default=1.0, ge=0, le=2)  # revocation seen within
    listener_health_cache_seconds: float = Field(default=5.0, ge=0)
    database_statement_timeout: float = Field(default=30.0, gt=0)  # PostgreSQL, seconds
    sqlite_synchronous: Literal["normal", "full"] = "normal"  # README "Durability"
    max_keys_per_guild: int = Field(default=50, ge=1)  # active API keys, squadron and personal
    log_level: str = "INFO"
    server_name: str = "BGS Warden"
    server_description: str = "Squadron BGS tracking: your activity, objectives and alerts."
    tick_primary_url: str = "http://tick.infomancer.uk/galtick.json"
    tick_fallback_url: str = "https://tick.edcd.io/api/tick"
    tick_poll_minutes: int = Field(default=5, ge=1)
    tick_http_timeout: float = Field(default=10.0, gt=0)
    after_ingest_recovery_seconds: float = Field(default=60.0, gt=0)  # then another takes over
    after_ingest_galaxy_seconds: float = Field(default=10.0, ge=0)  # galaxy stores of jumps
    rollup_fold_seconds: float = Field(default=60.0, gt=0)  # the rollups' backlog folded
    shard_count: int | None = Field(default=None, ge=1)
    shard_ids: str | None = None
    inara_api_url: str = "https://inara.cz/inapi/v1/"
    inara_app_name: str = Field(default="BGS Warden", min_length=1, max_length=100)
    inara_sync_time: str = Field(default="01:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")  # UTC
    inara_request_interval: float = Field(default=60.0, ge=0)  # seconds between two requests
    eddn_relay: str = DEFAULT_EDDN_RELAY  # "off" turns the galaxy feed off
    eddn_silence_seconds: float = Field(default=120.0, gt=0)  # then reconnect to the relay
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

    @field_validator("eddn_relay")
    @classmethod
    def _eddn_relay(cls, value: str) -> str:
        value = value.strip()
        if value.lower() == EDDN_OFF:
            return EDDN_OFF
        if not value.startswith(("tcp://", "ipc://")) or len(value) < 8:
            raise ValueError(f"must be a ZeroMQ address like {DEFAULT_EDDN_RELAY}, or off")
        return value

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
    def eddn_enabled(self) -> bool:
        """Whether this deployment consumes the EDDN relay (EDDN_RELAY is not `off`)."""
        return self.eddn_relay != EDDN_OFF

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
