"""How members, cmdrs and keys read: a member beside a cmdr, a cmdr's card (`/cmdr show`), the
list of links and the buttons officers decide claims with (`/cmdr links`), and a key as
`/apikey list` shows it. Every name from outside (cmdrs, Inara's texts, members' names) goes
through `plain`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Final

import discord

from bgs import members
from bgs.members import CmdrCard, InaraKey, InaraStatus, KeyView, Link
from cogs._bot import Warden
from cogs._render import metric_figures
from cogs._ui import OwnedView, clip, embed, plain, ts, when
from db.models import Tenant

MAX_CLAIMS_SHOWN: Final = 10  # two buttons each, two claims a row, five rows
BUTTON_LABEL: Final = 80


def inara_key_of(bot: Warden, tenant: Tenant) -> InaraKey | None:
    """The guild's Inara key: from tenants.json, else the one an officer set."""
    config = bot.services.tenants.tenant(tenant.guild_id)
    file_key = config.inara_api_key if config is not None else None
    return members.inara_key(tenant, file_key.get_secret_value() if file_key else None)


def settings_lines(bot: Warden, tenant: Tenant) -> list[str]:
    """The members settings (`/cmdr settings`, `/config show`); never the Inara key."""
    key = inara_key_of(bot, tenant)
    inara = "off (no key)"
    if key is not None:
        inara = "on, key from tenants.json" if key.from_file else "on, key set in Discord"
    hour, minute = bot.services.settings.inara_sync_at
    return [
        "**Squadron keys:** "
        + ("refused (personal keys only)" if tenant.personal_keys_only else "accepted"),
        f"**Cmdrs per personal key:** {tenant.cmdrs_per_key}",
        f"**Inara profiles:** {inara}; read daily at {hour:02d}:{minute:02d} UTC",
        f"**Recruits:** Inara squadron rank **{plain(tenant.recruit_rank)}**, or first seen "
        f"within {tenant.recruit_days} days",
    ]


def member_text(user_id: int, name: str | None) -> str:
    """'Ann (<@123>)': the server name the bot knows, and the mention Discord resolves."""
    return f"{plain(name)} (<@{user_id}>)" if name else f"<@{user_id}>"


def cmdr_text(cmdr: str) -> str:
    return f"CMDR {plain(cmdr)}"


def _member_line(card: CmdrCard) -> str:
    link = card.link
    if link is None:
        return (
            "**Member:** not linked (the member who flies it can `/cmdr claim` it, or "
            "`/connect` and fly)"
        )
    who = member_text(link.user_id, link.member)
    if link.pending:
        return f"**Member:** claimed by {who} {ts(link.created_at, 'R')}, waiting for an officer"
    how = "by their personal key" if link.by_key else "confirmed by an officer"
    return f"**Member:** {who} · linked {how} {ts(link.decided_at or link.created_at, 'R')}"


def _inara_lines(card: CmdrCard) -> list[str]:
    lines = []
    if card.inara_fetched_at is not None:
        link = f": [profile]({card.inara_url})" if card.inara_url else ""
        lines.append(f"**Inara** (read {ts(card.inara_fetched_at, 'R')}){link}")
        if card.ranks:
            lines.append(" · ".join(f"{label} **{plain(rank)}**" for label, rank in card.ranks))
        if card.power:
            lines.append(f"**Power:** {plain(card.power)}")
        if card.squadron:
            rank = f" · rank **{plain(card.squadron_rank)}**" if card.squadron_rank else ""
            lines.append(f"**Squadron:** {plain(card.squadron)}{rank}")
    failed = card.inara_status is not None and card.inara_status != InaraStatus.FOUND
    if failed and card.inara_checked_at is not None:
        reason = plain(card.inara_reason or card.inara_status or "")
        lines.append(f"⚠️ Inara, {ts(card.inara_checked_at, 'R')}: {reason}")
    if card.inara_checked_at is None:
        lines.append("**Inara:** not looked up yet")
    return lines


def card_embed(card: CmdrCard) -> discord.Embed:
    """A cmdr's card: member, when seen, the Inara profile with its age, all-time totals."""
    totals = metric_figures(card.totals) if card.totals is not None else "no activity yet"
    lines = [
        _member_line(card),
        f"**Seen:** first {ts(card.first_seen)}, last {ts(card.last_seen, 'R')}",
        "",
        *_inara_lines(card),
        "",
        f"**All-time totals:** {totals}",
    ]
    return embed(f"👤 {cmdr_text(card.name)}", "\n".join(lines))


def link_lines(links: Sequence[Link]) -> list[str]:
    """The current links, one line each (pending claims are shown with their buttons)."""
    return [
        f"• **{cmdr_text(link.cmdr)}** → {member_text(link.user_id, link.member)} · "
        f"{'by personal key' if link.by_key else 'claim confirmed'} "
        f"{ts(link.decided_at or link.created_at, 'R')}"
        for link in links
        if not link.pending
    ]


def claims_embed(claims: Sequence[Link]) -> discord.Embed:
    """The pending claims, oldest first (the first `MAX_CLAIMS_SHOWN` have buttons)."""
    lines = [
        f"{number}. **{cmdr_text(claim.cmdr)}** asked by {member_text(claim.user_id, claim.member)}"
        f" {ts(claim.created_at, 'R')}"
        for number, claim in enumerate(claims, start=1)
    ]
    footer = None
    if len(claims) > MAX_CLAIMS_SHOWN:
        footer = f"buttons for the first {MAX_CLAIMS_SHOWN}; run /cmdr links again for the rest"
    return embed("📝 Claims waiting", "\n".join(lines) or "No claim is waiting.", footer=footer)


Decide = Callable[[discord.Interaction, int, bool], Awaitable[tuple[str, list[Link]]]]


class ClaimsView(OwnedView):
    """Confirm / Refuse buttons for each pending claim; only the officer who asked can press.
    `decide(interaction, link_id, accept)` returns the sentence to show and the claims left."""

    def __init__(self, officer_id: int, claims: Sequence[Link], decide: Decide) -> None:
        refusal = "Only the officer who ran /cmdr links can answer these; run it yourself."
        super().__init__(officer_id, refusal, 600)
        self.decide = decide
        for index, claim in enumerate(claims[:MAX_CLAIMS_SHOWN]):
            for accept in (True, False):
                label = clip(f"Link CMDR {claim.cmdr}", BUTTON_LABEL) if accept else "Refuse"
                button: discord.ui.Button[ClaimsView] = discord.ui.Button(
                    label=label,
                    style=discord.ButtonStyle.success if accept else discord.ButtonStyle.danger,
                    custom_id=f"claim:{'yes' if accept else 'no'}:{claim.id}",
                    row=index // 2,
                )
                button.callback = partial(self._pressed, claim.id, accept)  # type: ignore[method-assign]
                self.add_item(button)

    async def _pressed(self, link_id: int, accept: bool, interaction: discord.Interaction) -> None:
        outcome, left = await self.decide(interaction, link_id, accept)
        self.stop()
        view = ClaimsView(self.owner_id, left, self.decide) if left else None
        await interaction.response.edit_message(
            content=outcome, embed=claims_embed(left), view=view
        )


def key_line(view: KeyView) -> str:
    """A key as `/apikey list` shows it: whose, its state, use, the cmdrs it posted for."""
    info = view.info
    state = f"revoked {when(info.revoked_at)}" if info.revoked_at else "active"
    if info.owner_id is not None:
        title = f"{member_text(info.owner_id, view.owner)} (#{info.id}) — personal key, {state}"
    else:
        title = f"**{plain(info.label)}** (#{info.id}) — squadron key, {state}"
    used = when(info.last_used_at) if info.last_used_at else "never"
    version = f"; plugin API {plain(info.api_version)}" if info.api_version else ""
    cmdrs = ", ".join(cmdr_text(cmdr) for cmdr in view.cmdrs) or "none yet"
    return (
        f"{title}\ncreated {when(info.created_at)} by {plain(info.created_by)}; last used "
        f"{used}{version}\ncmdrs seen: {cmdrs}"
    )


def key_choice(view: KeyView) -> str:
    """A key as `/apikey revoke` offers it (plain text: a choice shows no markdown)."""
    info = view.info
    whose = f"personal: {view.owner or info.owner_id}" if view.personal else info.label
    return f"{whose} (#{info.id}, created {info.created_at:%Y-%m-%d})"
