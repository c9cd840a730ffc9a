"""tenants.json and environment settings: valid files load, each mistake gets a clear message."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bgs.listener_address import listener_address
from settings import ChannelKind, ConfigError, TenantsFile, load_settings, load_tenants

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
            {"tenants": [tenant(guild_id="111a")]},
            "tenant #1 (name 'Alpha Wing', guild_id '111a'): guild_id: must be a Discord id: a "
            "whole number from 1 to 2**63-1, written as a number or as a string of digits (got "
            "'111a')",
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


def test_ids_may_be_strings_of_digits(tmp_path: Path) -> None:
    """Discord's API writes snowflakes as strings; JSON tools that read numbers as doubles can
    only keep them exact that way."""
    path = write(
        tmp_path,
        {
            "tenants": [
                tenant(
                    guild_id="1300000000000000100",
                    channels={"tick": "1300000000000000101", "alerts": 1300000000000000102},
                    officer_roles=["1300000000000000103", 1300000000000000104],
                ),
                tenant(guild_id=1300000000000000200, name="Beta Wing"),
            ]
        },
    )
    loaded = load_tenants(path)
    alpha = loaded.tenant(1300000000000000100)
    assert alpha is not None
    assert alpha.channels == {
        ChannelKind.TICK: 1300000000000000101,
        ChannelKind.ALERTS: 1300000000000000102,
    }
    assert alpha.officer_roles == (1300000000000000103, 1300000000000000104)
    assert loaded.tenant(1300000000000000200) is not None


def test_an_id_given_twice_as_number_and_string_is_one_guild(tmp_path: Path) -> None:
    path = write(tmp_path, {"tenants": [tenant(guild_id=111), tenant(guild_id="111", name="B")]})
    with pytest.raises(ConfigError, match="guild_id 111 appears more than once"):
        load_tenants(path)


NOT_AN_ID = "must be a Discord id: a whole number from 1 to 2**63-1"
ID_FIELDS = {
    "guild_id": lambda value: tenant(guild_id=value),
    "channels.tick": lambda value: tenant(channels={"tick": value}),
    "officer_roles.1": lambda value: tenant(officer_roles=[5, value]),
}


@pytest.mark.parametrize("field", ID_FIELDS)
@pytest.mark.parametrize(
    "value",
    [
        "",
        " 111",
        "111 ",
        "-111",
        "+111",
        "1_000",
        "0x1f",
        "1e3",
        "１２３",  # full-width digits: digits to str.isdigit, not to Discord
        "٣",  # Arabic-Indic three
        "0",
        "9223372036854775808",  # 2**63
        "9" * 40,
        0,
        -5,
        2**63,
        1.5,
        1e18,
        True,
        None,
        [111],
        {"id": 111},
    ],
)
def test_anything_but_an_id_is_refused_naming_the_field(
    tmp_path: Path, field: str, value: object
) -> None:
    path = write(tmp_path, {"tenants": [ID_FIELDS[field](value)]})
    with pytest.raises(ConfigError) as caught:
        load_tenants(path)
    message = str(caught.value)
    assert "tenant #1 (name 'Alpha Wing', guild_id " in message
    assert f": {field}: {NOT_AN_ID}" in message


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=2**63 - 1), st.booleans())
def test_every_id_loads_the_same_as_number_or_string(number: int, as_text: bool) -> None:
    value: int | str = str(number) if as_text else number
    entry = TenantsFile.model_validate(
        {"tenants": [tenant(guild_id=value, channels={"tick": value}, officer_roles=[value])]}
    ).tenants[0]
    assert (entry.guild_id, entry.channels[ChannelKind.TICK], entry.officer_roles) == (
        number,
        number,
        (number,),
    )


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30).filter(lambda text: not re.fullmatch(r"[0-9]+", text)))
def test_no_other_text_is_an_id(text: str) -> None:
    """Only ASCII digits: signs, spaces, separators and other scripts' digits are refused."""
    with pytest.raises(ValidationError, match=re.escape(NOT_AN_ID)):
        TenantsFile.model_validate({"tenants": [tenant(guild_id=text)]})


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
