"""Configuration: environment variables (optionally from `.env`) and `tenants.json`.

Both are validated once at start into frozen objects. A bad value raises `ConfigError` with one
message that names the variable, or the tenant and the field.
"""

from settings.environment import DEFAULT_DATABASE_URL, Settings, load_settings
from settings.errors import ConfigError
from settings.tenants_file import (
    API_KEY_PATTERN,
    INARA_KEY_PATTERN,
    ChannelKind,
    TenantApiKey,
    TenantConfig,
    TenantsFile,
    load_tenants,
)

VERSION = "0.1.0"

__all__ = [
    "API_KEY_PATTERN",
    "DEFAULT_DATABASE_URL",
    "INARA_KEY_PATTERN",
    "VERSION",
    "ChannelKind",
    "ConfigError",
    "Settings",
    "TenantApiKey",
    "TenantConfig",
    "TenantsFile",
    "load_settings",
    "load_tenants",
]
