"""Configuration: environment variables (optionally from `.env`) and `tenants.json`.

Both are validated once at start into frozen objects. A bad `tenants.json` raises
`ConfigError` with one message that names the tenant and the field.
"""

from __future__ import annotations

import json
import os
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

VERSION = "0.1.0"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/warden.db"
API_KEY_PATTERN = re.compile(r"^[A-Za-z0-9]{16,128}$")


class ConfigError(Exception):
    """The configuration cannot be used; the message says what to fix."""


class ChannelKind(StrEnum):
    """Kinds of automatic posts, each with its own channel per guild."""

    TICK = "tick"
    SUMMARY = "summary"
    CONFLICT = "conflict"
    ALERTS = "alerts"


Snowflake = Annotated[int, Field(gt=0, strict=True)]


class TenantApiKey(BaseModel):
    """A listener API key given in `tenants.json`, always by `env:NAME` reference."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str = Field(min_length=1, max_length=100)
    key: SecretStr

    @field_validator("key", mode="before")
    @classmethod
    def _resolve_env(cls, value: object) -> str:
        if not isinstance(value, str) or not value.startswith("env:"):
            raise ValueError("must be an env:NAME reference (never the key itself)")
        name = value.removeprefix("env:")
        resolved = os.environ.get(name)
        if resolved is None:
            raise ValueError(f"environment variable {name} is not set")
        if not API_KEY_PATTERN.fullmatch(resolved):
            raise ValueError(
                f"environment variable {name} must hold 16-128 letters and digits "
                "(BGS-Tally strips every other character)"
            )
        return resolved


class TenantConfig(BaseModel):
    """One guild pre-provisioned by the operator."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    guild_id: Snowflake
    name: str = Field(min_length=1, max_length=100)
    faction: str | None = Field(default=None, max_length=128)
    database_url: str | None = None
    channels: dict[ChannelKind, Snowflake] = Field(default_factory=dict)
    officer_roles: tuple[Snowflake, ...] = ()
    api_keys: tuple[TenantApiKey, ...] = ()


class TenantsFile(BaseModel):
    """The whole `tenants.json`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    open_registration: bool = False
    tenants: tuple[TenantConfig, ...] = ()

    @model_validator(mode="after")
    def _unique_guilds(self) -> TenantsFile:
        seen: set[int] = set()
        for index, tenant in enumerate(self.tenants):
            if tenant.guild_id in seen:
                raise ValueError(
                    f"tenants[{index}] ({tenant.name!r}): guild_id {tenant.guild_id} "
                    "appears more than once"
                )
            seen.add(tenant.guild_id)
        return self

    def tenant(self, guild_id: int) -> TenantConfig | None:
        return next((t for t in self.tenants if t.guild_id == guild_id), None)


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
    def public_url(self) -> str:
        """The root URL members paste into BGS-Tally (always ending in one slash)."""
        if self.listener_public_url:
            return self.listener_public_url.rstrip("/") + "/"
        return f"http://{self.listener_host}:{self.listener_port}/"

    @property
    def parsed_shard_ids(self) -> list[int] | None:
        if not self.shard_ids:
            return None
        return [int(part) for part in self.shard_ids.split(",") if part.strip()]


def _describe(error: dict[str, Any], data: Any) -> str:
    """Turn one pydantic error into 'tenant #N (name): field: message'."""
    loc = list(error["loc"])
    prefix = ""
    if len(loc) >= 2 and loc[0] == "tenants" and isinstance(loc[1], int):
        index = loc[1]
        tenant = data["tenants"][index] if isinstance(data, dict) else None
        label = ""
        if isinstance(tenant, dict):
            label = " " + ", ".join(
                f"{key} {tenant[key]!r}" for key in ("name", "guild_id") if key in tenant
            )
        prefix = f"tenant #{index + 1}{label and ' (' + label.strip() + ')'}: "
        loc = loc[2:]
    field = ".".join(str(part) for part in loc if part != "[key]") or "file"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "enum" and "channels" in error["loc"]:
        allowed = ", ".join(kind.value for kind in ChannelKind)
        message = f"unknown channel kind (allowed: {allowed})"
    return f"{prefix}{field}: {message}"


def load_tenants(path: Path) -> TenantsFile:
    """Read and validate `tenants.json`; a missing file means no pre-provisioned tenants."""
    if not path.exists():
        return TenantsFile()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    try:
        return TenantsFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"{path}: {_describe(dict(first), data)}") from None


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment (and `.env`); keyword overrides win (used by tests)."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]).upper()
        raise ConfigError(f"environment variable {field}: {first['msg']}") from None
