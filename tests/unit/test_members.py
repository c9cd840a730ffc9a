"""Members' pure parts: Inara's answers read (profiles, event and header statuses), rank names,
the members settings, their tenants.json and environment forms, and secrets kept out of logs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bgs.members import InaraStatus, MemberSettingsError, rank_name, set_member_settings
from db.models import Tenant
from feeds.inara import event_outcome, header_result, parse_profile
from settings import ConfigError, load_settings, load_tenants
from tests.helpers.squadron import FACTION

INARA_KEY = "inara-Key.with_odd:chars0123"


def test_rank_names() -> None:
    assert [rank_name("combat", value) for value in (0, 8, 9, 13)] == [
        "Harmless",
        "Elite",
        "Elite I",
        "Elite V",
    ]
    assert rank_name("Federation", 14) == "Admiral"
    assert rank_name("empire", 3) == "Master"
    assert rank_name("soldier", 2) == "rank 2"  # kinds Inara may add are shown by value
    assert rank_name("trade", 99) == "rank 99"


def test_a_profile_with_missing_fields_and_numbers_as_text() -> None:
    profile = parse_profile(
        {
            "userName": "Jameson",  # no commanderName: the user name stands in
            "commanderRanksPilot": [
                {"rankName": "Combat", "rankValue": "7"},
                {"rankName": "exploration", "rankValue": 8.0},
                {"rankName": "cqc"},
                "not a rank",
            ],
            "CommanderSquadron": {"SquadronName": "Test Wing", "SquadronMemberRank": "Wingman"},
            "inaraURL": "https://inara.cz/elite/cmdr/1/",
        }
    )
    assert profile.name == "Jameson"
    assert dict(profile.ranks) == {"combat": "Deadly", "exploration": "Elite"}
    assert (profile.squadron, profile.squadron_rank, profile.power) == (
        "Test Wing",
        "Wingman",
        None,
    )


@pytest.mark.parametrize(
    ("event", "status", "reason"),
    [
        ({"eventStatus": 200, "eventData": {"commanderName": "ann"}}, InaraStatus.FOUND, ""),
        (
            {"eventStatus": "200", "eventData": {"commanderName": "Anne"}},
            InaraStatus.PARTIAL,
            "Inara found no exact match, only similar names: Anne",
        ),
        (
            {
                "eventStatus": 200,
                "eventData": {"commanderName": "Ann", "otherNamesFound": ["Ann2"]},
            },
            InaraStatus.PARTIAL,
            "Inara found no exact match, only similar names: Ann, Ann2",
        ),
        (
            {"eventStatus": 202, "eventData": {"userName": "Ann"}},
            InaraStatus.PARTIAL,
            "Inara found no exact match, only similar names: Ann",
        ),
        ({"eventStatus": 204}, InaraStatus.NOT_FOUND, "Inara has no cmdr of this name"),
        (
            {"eventStatus": 400, "eventStatusText": "Invalid searchName"},
            InaraStatus.ERROR,
            "Inara refused the look-up (400: Invalid searchName)",
        ),
    ],
)
def test_event_statuses(event: dict[str, Any], status: InaraStatus, reason: str) -> None:
    outcome = event_outcome("Ann", event)
    assert (outcome.status, outcome.reason) == (status, reason)
    assert (outcome.profile is not None) is (status is InaraStatus.FOUND)


@pytest.mark.parametrize(
    ("text", "status", "stop", "held"),
    [
        ("Invalid API key", InaraStatus.BAD_KEY, True, False),
        ("This application has no access allowed.", InaraStatus.BAD_KEY, True, False),
        (
            "Too much requests, slow down, cowboy. ;) The access to API was temporarily revoked.",
            InaraStatus.RATE_LIMITED,
            True,
            True,
        ),
        ("Missing appName", InaraStatus.ERROR, False, False),
    ],
)
def test_header_statuses(text: str, status: InaraStatus, stop: bool, held: bool) -> None:
    holds: list[bool] = []
    result = header_result(
        ["A", "B"], {"eventStatus": 400, "eventStatusText": text}, lambda: holds.append(True)
    )
    assert result is not None
    assert [o.status for o in result.outcomes] == [status, status]
    assert (result.stop, bool(holds)) == (stop, held)
    assert header_result(["A"], {"eventStatus": 200}, lambda: None) is None
    assert header_result(["A"], {}, lambda: None) is None


def tenant_row() -> Tenant:
    return Tenant(
        name="Alpha",
        faction=FACTION,
        source="discord",
        personal_keys_only=False,
        cmdrs_per_key=3,
        recruit_rank="Recruit",
        recruit_days=14,
    )


def test_member_settings() -> None:
    row = tenant_row()
    set_member_settings(row, inara_key=f"  {INARA_KEY} ", recruit_rank=" Rookie ", cmdrs_per_key=4)
    assert (row.inara_api_key, row.recruit_rank, row.cmdrs_per_key) == (INARA_KEY, "Rookie", 4)
    for bad in (
        {"inara_key": "short"},
        {"inara_key": "with a space in the middle"},
        {"cmdrs_per_key": 26},
        {"recruit_days": 0},
        {"recruit_rank": ""},
    ):
        with pytest.raises(MemberSettingsError, match="Nothing was changed"):
            set_member_settings(row, **bad, personal_keys_only=True)
        assert row.personal_keys_only is False and row.inara_api_key == INARA_KEY
    set_member_settings(row, inara_key="OFF")
    assert row.inara_api_key is None


def test_tenants_json_members_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tenants.json"
    entry = {
        "guild_id": 111,
        "name": "Alpha",
        "inara_api_key": "env:ALPHA_INARA",
        "personal_keys_only": True,
        "cmdrs_per_key": 2,
        "recruit_rank": "Rookie",
        "recruit_days": 7,
        "channels": {"recruits": 5},
    }
    path.write_text(json.dumps({"tenants": [entry]}), encoding="utf-8")
    monkeypatch.setenv("ALPHA_INARA", INARA_KEY)
    loaded = load_tenants(path).tenants[0]
    assert loaded.inara_api_key is not None
    assert loaded.inara_api_key.get_secret_value() == INARA_KEY
    assert INARA_KEY not in repr(loaded)
    assert (loaded.personal_keys_only, loaded.cmdrs_per_key, loaded.recruit_days) == (True, 2, 7)
    for value, message in (
        (INARA_KEY, "inara_api_key: must be an env:NAME reference"),
        ("env:NOT_SET_AT_ALL", "inara_api_key: environment variable NOT_SET_AT_ALL is not set"),
        ("env:SHORT_INARA", "must hold 16-128 visible characters (no spaces)"),
    ):
        monkeypatch.setenv("SHORT_INARA", "short")
        path.write_text(json.dumps({"tenants": [entry | {"inara_api_key": value}]}), "utf-8")
        with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
            load_tenants(path)
    path.write_text(json.dumps({"tenants": [entry | {"cmdrs_per_key": 0}]}), "utf-8")
    with pytest.raises(ConfigError, match="cmdrs_per_key"):
        load_tenants(path)


def test_inara_environment_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(_env_file=None)
    assert settings.inara_api_url == "https://inara.cz/inapi/v1/"
    assert (settings.inara_sync_at, settings.inara_request_interval) == ((1, 0), 60.0)
    monkeypatch.setenv("INARA_SYNC_TIME", "23:45")
    assert load_settings(_env_file=None).inara_sync_at == (23, 45)
    monkeypatch.setenv("INARA_SYNC_TIME", "24:00")
    with pytest.raises(ConfigError, match="INARA_SYNC_TIME"):
        load_settings(_env_file=None)
