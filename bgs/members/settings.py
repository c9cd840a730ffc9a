"""The members settings officers change in Discord (`/cmdr settings`): squadron keys refused or
not, how many cmdrs a personal key may post for, the Inara key, who counts as a recruit."""

from __future__ import annotations

from bgs.errors import DomainError
from bgs.unchanged import assign_given
from db.models import Tenant
from settings import INARA_KEY_PATTERN

MAX_CMDRS_PER_KEY = 25
MAX_RECRUIT_DAYS = 365
RANK_LENGTH = 64
NO_KEY = frozenset({"off", "none", "remove"})


class MemberSettingsError(DomainError):
    """A members setting that is not allowed; the message says what is."""


def parse_inara_key(text: str) -> str | None:
    """The Inara key typed by an officer; None for "off" (no key: no profiles)."""
    key = text.strip()
    if key.lower() in NO_KEY:
        return None
    if not INARA_KEY_PATTERN.fullmatch(key):
        raise MemberSettingsError(
            "That is not an Inara API key: it has 16 to 128 characters and no spaces (copy it "
            "from Inara's settings, API key section). Use `off` to remove the key. Nothing was "
            "changed."
        )
    return key


def set_member_settings(
    tenant: Tenant,
    *,
    personal_keys_only: bool | None = None,
    cmdrs_per_key: int | None = None,
    inara_key: str | None = None,
    recruit_rank: str | None = None,
    recruit_days: int | None = None,
) -> None:
    """Change the given settings (None leaves one as it is); every value is checked first."""
    key = parse_inara_key(inara_key) if inara_key is not None else None
    rank = recruit_rank.strip() if recruit_rank is not None else None
    if rank is not None and not 1 <= len(rank) <= RANK_LENGTH:
        raise MemberSettingsError(
            f"The recruit rank is the name of an Inara squadron rank (1 to {RANK_LENGTH} "
            "characters), like `Recruit`. Nothing was changed."
        )
    if cmdrs_per_key is not None and not 1 <= cmdrs_per_key <= MAX_CMDRS_PER_KEY:
        raise MemberSettingsError(
            f"A personal key may post for 1 to {MAX_CMDRS_PER_KEY} cmdrs. Nothing was changed."
        )
    if recruit_days is not None and not 1 <= recruit_days <= MAX_RECRUIT_DAYS:
        raise MemberSettingsError(
            f"Newly seen means within 1 to {MAX_RECRUIT_DAYS} days. Nothing was changed."
        )
    if inara_key is not None:  # "off" gives no key: the stored one is removed
        tenant.inara_api_key = key
    assign_given(
        tenant,
        personal_keys_only=personal_keys_only,
        cmdrs_per_key=cmdrs_per_key,
        recruit_rank=rank,
        recruit_days=recruit_days,
    )
