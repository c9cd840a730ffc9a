"""`tenants.json`: the guilds the operator provisions, validated at start into frozen objects. A bad
file raises `ConfigError` with one message that names the tenant and the field."""

from __future__ import annotations

import json
import os
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from settings.errors import ConfigError

API_KEY_PATTERN = re.compile(r"^[A-Za-z0-9]{16,128}$")
# Inara does not document its keys' form: any visible ASCII, no spaces.
INARA_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{16,128}$")


class ChannelKind(StrEnum):
    """Kinds of automatic posts, each with its own channel per guild."""

    TICK = "tick"
    SUMMARY = "summary"
    CONFLICT = "conflict"
    ALERTS = "alerts"
    RECRUITS = "recruits"


SNOWFLAKE_MAX = 2**63 - 1  # the databases keep ids as signed 64-bit integers
DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII digits only: never other scripts' digits


def snowflake(value: object) -> int:
    """A Discord id (guild, channel, role) written as a JSON number or, as Discord's own API
    writes them (and the only form JSON tools reading numbers as doubles keep exact), as a
    string of digits."""
    if isinstance(value, str) and DIGITS.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= SNOWFLAKE_MAX:
        shown = repr(value)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        raise ValueError(
            "must be a Discord id: a whole number from 1 to 2**63-1, written as a number or "
            f"as a string of digits (got {shown})"
        )
    return value


Snowflake = Annotated[int, BeforeValidator(snowflake)]


def from_env(value: object, pattern: re.Pattern[str], form: str) -> str:
    """The secret an `env:NAME` reference names, checked against `pattern` (`form` says what
    it must look like); a secret written into the file itself is refused."""
    if not isinstance(value, str) or not value.startswith("env:"):
        raise ValueError("must be an env:NAME reference (never the key itself)")
    name = value.removeprefix("env:")
    resolved = os.environ.get(name)
    if resolved is None:
        raise ValueError(f"environment variable {name} is not set")
    if not pattern.fullmatch(resolved):
        raise ValueError(f"environment variable {name} must hold {form}")
    return resolved


class TenantApiKey(BaseModel):
    """A listener API key given in `tenants.json`, always by `env:NAME` reference."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str = Field(min_length=1, max_length=100)
    key: SecretStr

    @field_validator("key", mode="before")
    @classmethod
    def _resolve_env(cls, value: object) -> str:
        return from_env(
            value,
            API_KEY_PATTERN,
            "16-128 letters and digits (BGS-Tally strips every other character)",
        )


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
    inara_api_key: SecretStr | None = None
    personal_keys_only: bool | None = None
    cmdrs_per_key: int | None = Field(default=None, ge=1, le=25)
    recruit_rank: str | None = Field(default=None, min_length=1, max_length=64)
    recruit_days: int | None = Field(default=None, ge=1, le=365)

    @field_validator("inara_api_key", mode="before")
    @classmethod
    def _resolve_inara_key(cls, value: object) -> str | None:
        if value is None:
            return None
        return from_env(value, INARA_KEY_PATTERN, "16-128 visible characters (no spaces)")


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
