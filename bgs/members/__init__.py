"""Members and their cmdrs: personal keys (one per member, `/connect`), which cmdrs a key may
post for (the listener asks `admit` and `CmdrGate`), cmdr ↔ member links and claims, the
members' server names, Inara profiles stored on the guild's cmdrs, and the reports officers
read (a cmdr's card, recruits)."""

from bgs.members.gate import (
    DEFAULT_CMDRS_PER_KEY,
    CmdrGate,
    CmdrRefused,
    SquadronKeyRefused,
    admit,
)
from bgs.members.keys import KeyView, PersonalKey, connect, key_views
from bgs.members.links import (
    Link,
    LinkError,
    claim_cmdr,
    decide_claim,
    known_cmdr,
    link_of,
    linked_names,
    list_links,
    members_of,
    my_cmdrs,
    unlink_cmdr,
)
from bgs.members.names import member_names, note_member
from bgs.members.profiles import (
    InaraKey,
    InaraStatus,
    Profile,
    ProfileOutcome,
    active_cmdrs,
    inara_key,
    rank_name,
    store_outcomes,
)
from bgs.members.reports import CmdrCard, Recruit, cmdr_card, recruits
from bgs.members.settings import MemberSettingsError, set_member_settings

__all__ = [
    "DEFAULT_CMDRS_PER_KEY",
    "CmdrCard",
    "CmdrGate",
    "CmdrRefused",
    "InaraKey",
    "InaraStatus",
    "KeyView",
    "Link",
    "LinkError",
    "MemberSettingsError",
    "PersonalKey",
    "Profile",
    "ProfileOutcome",
    "Recruit",
    "SquadronKeyRefused",
    "active_cmdrs",
    "admit",
    "claim_cmdr",
    "cmdr_card",
    "connect",
    "decide_claim",
    "inara_key",
    "key_views",
    "known_cmdr",
    "link_of",
    "linked_names",
    "list_links",
    "member_names",
    "members_of",
    "my_cmdrs",
    "note_member",
    "rank_name",
    "recruits",
    "set_member_settings",
    "store_outcomes",
    "unlink_cmdr",
]
