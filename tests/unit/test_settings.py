"""tenants.json and environment settings: valid files load, each mistake gets a clear message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bgs.listener_address import listener_address
from settings import ChannelKind, ConfigError, load_settings, load_tenants

KEY = "A" * 20 + "b" * 20


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "tenants.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def tenant(**overrides: Any) -> dict[str, Any]:
    return {"guild_id": 111, "name": "Alpha Wing", "faction": "Alpha Defence Force"} | overrides


def test_valid_file_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPHA_KEY", KEY)
    path = write(
        tmp_path,
        {
            "open_registration": True,
            "tenants": [
                tenant(
                    database_url="sqlite+aiosqlite:///data/alpha.db",
                    channels={"tick": 1001, "alerts": 1002},
                    officer_roles=[2001, 2002],
                    api_keys=[{"label": "listener", "key": "env:ALPHA_KEY"}],
                ),
                tenant(guild_id=222, name="Beta Wing"),
            ],
        },
    )
    loaded = load_tenants(path)
    assert loaded.open_registration is True
    alpha = loaded.tenant(111)
    assert alpha is not None
    assert alpha.channels == {ChannelKind.TICK: 1001, ChannelKind.ALERTS: 1002}
    assert alpha.officer_roles == (2001, 2002)
    assert alpha.api_keys[0].key.get_secret_value() == KEY
    assert alpha.database_url == "sqlite+aiosqlite:///data/alpha.db"
    assert loaded.tenant(222) is not None
    assert loaded.tenant(333) is None


def test_missing_file_means_no_tenants(tmp_path: Path) -> None:
    loaded = load_tenants(tmp_path / "absent.json")
    assert loaded.tenants == ()
    assert loaded.open_registration is False


def test_committed_example_is_valid() -> None:
    """The shipped file loads and keeps registration closed: anyone can invite a bot."""
    loaded = load_tenants(Path(__file__).resolve().parents[2] / "tenants.json")
    assert loaded.open_registration is False
    for entry in loaded.tenants:
        assert entry.api_keys == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"tenants": [{"name": "Alpha Wing"}]},
            "tenant #1 (name 'Alpha Wing'): guild_id: Field required",
        ),
        (
            {"tenants": [tenant(), tenant(name="Copy")]},
            "tenants[1] ('Copy'): guild_id 111 appears more than once",
        ),
        (
            {"tenants": [tenant(channels={"shoutout": 5})]},
            "tenant #1 (name 'Alpha Wing', guild_id 111): channels.shoutout: unknown channel "
            "kind (allowed: tick, summary, conflict, alerts, recruits)",
        ),
        (
            {"tenants": [tenant(api_keys=[{"label": "x", "key": "env:NOT_SET_ANYWHERE"}])]},
            "tenant #1 (name 'Alpha Wing', guild_id 111): api_keys.0.key: environment "
            "variable NOT_SET_ANYWHERE is not set",
        ),
        (
            {"tenants": [tenant(api_keys=[{"label": "x", "key": "plaintextkey"}])]},
            "api_keys.0.key: must be an env:NAME reference (never the key itself)",
        ),
        (
            {"tenants": [tenant(guild_id="111")]},
            "tenant #1 (name 'Alpha Wing', guild_id '111'): guild_id: Input should be a valid "
            "integer",
        ),
        (
            {"tenants": [tenant(officer_roles="2001")]},
            "officer_roles: Input should be a valid tuple",
        ),
        ({"tenants": [tenant(colour="red")]}, "colour: Extra inputs are not permitted"),
        ("{not json", "not valid JSON (line 1"),
    ],
)
def test_each_mistake_has_a_clear_message(tmp_path: Path, data: Any, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_tenants(write(tmp_path, data))
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(tmp_path / "tenants.json"))


def test_env_key_must_be_plugin_safe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAD_KEY", "has-dashes_and.dots-0123456789")
    path = write(tmp_path, {"tenants": [tenant(api_keys=[{"label": "x", "key": "env:BAD_KEY"}])]})
    with pytest.raises(ConfigError, match="must hold 16-128 letters and digits"):
        load_tenants(path)


def test_environment_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u@127.0.0.1/db")
    monkeypatch.setenv("LISTENER_PORT", "9000")
    monkeypatch.setenv("DISCORD_TOKEN", "")
    settings = load_settings(_env_file=None)
    assert settings.database_url == "postgresql+asyncpg://u@127.0.0.1/db"
    assert settings.listener_port == 9000
    assert settings.discord_token is None
    address = listener_address(
        settings.listener_public_url, settings.listener_host, settings.listener_port
    )
    assert address.url == "http://127.0.0.1:9000/"
    monkeypatch.setenv("LISTENER_PORT", "not-a-port")
    with pytest.raises(ConfigError, match="LISTENER_PORT"):
        load_settings(_env_file=None)
