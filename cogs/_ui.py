"""Shared Discord UI: embeds within Discord's limits, a paginator only the caller can press,
timestamps, numbers and progress bars."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import discord

from bgs.errors import DomainError

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELDS_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000
CONTENT_LIMIT = 2000
EMBEDS_PER_MESSAGE = 10
ELLIPSIS = "…"

COLOUR = discord.Colour.from_rgb(255, 128, 0)


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending in "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


# Every character Discord's markdown gives a meaning, escaped wherever it stands: a backslash
# before ASCII punctuation shows that character. (`discord.utils.escape_markdown` guesses which
# ones matter and leaves the second of two masked links in one name live.)
MARKDOWN = re.compile(r"([\\*_~|`<>\[\]#-])")


def plain(text: str) -> str:
    """Text from outside (a cmdr, system, faction, station or settlement name) shown exactly as
    written: no markdown, no masked link, no mention or other `<…>` tag. The one escape for
    names in every embed and post."""
    return discord.utils.escape_mentions(MARKDOWN.sub(r"\\\1", text))


def ts(instant: datetime, style: str = "f") -> str:
    """A Discord timestamp that each reader sees in their own time zone."""
    return f"<t:{int(instant.timestamp())}:{style}>"


def when(instant: datetime) -> str:
    """Absolute and relative, e.g. '<t:…:f> (<t:…:R>)'."""
    return f"{ts(instant)} ({ts(instant, 'R')})"


def age_text(age: timedelta) -> str:
    """'2 d 3 h', '3 h 12 min', '4 min' (negative ages, from clock skew, count as 0)."""
    minutes = max(0, int(age.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def number(value: float) -> str:
    """Thousands separators: 1,234,567."""
    return f"{value:,.0f}"


def abbreviate(value: float) -> str:
    """1.2M, 500K, 999 — as BGS-Tally shows numbers."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= size:
            text = f"{value / size:.1f}".rstrip("0").rstrip(".")
            return f"{sign}{text}{suffix}"
    return f"{sign}{value:.0f}"


def progress_bar(value: float, target: float, width: int = 10) -> str:
    """`▰▰▰▱▱▱▱▱▱▱ 30%`; an open-ended (0) target shows no bar."""
    if target == 0:
        return "∞"
    share = max(0.0, min(1.0, value / target))
    filled = round(share * width)
    return f"{'▰' * filled}{'▱' * (width - filled)} {share:.0%}"


@dataclass
class EmbedField:
    name: str
    value: str
    inline: bool = False


def embed(
    title: str,
    description: str = "",
    fields: Sequence[EmbedField] = (),
    *,
    footer: str | None = None,
    colour: discord.Colour = COLOUR,
) -> discord.Embed:
    """One embed with every part clipped to Discord's limits (fields beyond 25 are dropped;
    use `pages()` when content may be longer)."""
    result = discord.Embed(
        title=clip(title, TITLE_LIMIT),
        description=clip(description, DESCRIPTION_LIMIT) or None,
        colour=colour,
    )
    for item in fields[:FIELDS_LIMIT]:
        result.add_field(
            name=clip(item.name, FIELD_NAME_LIMIT) or "\u200b",
            value=clip(item.value, FIELD_VALUE_LIMIT) or "\u200b",
            inline=item.inline,
        )
    if footer:
        result.set_footer(text=clip(footer, FOOTER_LIMIT))
    while len(result) > EMBED_TOTAL_LIMIT and result.fields:
        result.remove_field(-1)
    return result


def pages(
    title: str,
    lines: Iterable[str],
    *,
    header: str = "",
    footer: str | None = None,
    limit: int = 1800,
) -> list[discord.Embed]:
    """Lines packed into as many embeds as needed; each page repeats the header.

    `limit` keeps descriptions well under Discord's 4096 so pages stay readable on a phone.
    """
    chunks: list[list[str]] = [[]]
    size = len(header)
    for raw in lines:
        line = clip(raw, limit - len(header) - 2)
        if chunks[-1] and size + len(line) + 1 > limit:
            chunks.append([])
            size = len(header)
        chunks[-1].append(line)
        size += len(line) + 1
    total = len(chunks)
    result = []
    for index, chunk in enumerate(chunks, start=1):
        body = "\n".join(filter(None, [header, "\n".join(chunk)]))
        page_footer = " · ".join(
            filter(None, [footer, f"page {index}/{total}" if total > 1 else None])
        )
        result.append(embed(title, body, footer=page_footer or None))
    return result


class OwnedView(discord.ui.View):
    """Buttons only one member (`owner_id`, who asked) can press; anyone else is told
    `refusal`, ephemerally."""

    def __init__(self, owner_id: int, refusal: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.refusal = refusal

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(self.refusal, ephemeral=True)
        return False


class Pager(OwnedView):
    """Previous/next buttons over `count` pages that `page(index)` builds when shown (a query
    per page, for results too many to build at once); only the member who asked can turn
    pages."""

    def __init__(
        self,
        owner_id: int,
        count: int,
        page: Callable[[int], Awaitable[discord.Embed]],
        timeout: float = 600,
    ) -> None:
        super().__init__(
            owner_id,
            "Only the member who ran the command can turn these pages; run it yourself to browse.",
            timeout,
        )
        self.count = count
        self.page = page
        self.index = 0
        self._sync()

    def _sync(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= self.count - 1

    async def _show(self, interaction: discord.Interaction) -> None:
        self._sync()
        await interaction.response.edit_message(embed=await self.page(self.index), view=self)

    async def send(self, interaction: discord.Interaction, *, ephemeral: bool = False) -> None:
        """Answer with the first page (and the buttons when there are more)."""
        first = await self.page(0)
        view = self if self.count > 1 else None
        await send_message(interaction, [first], view, ephemeral=ephemeral)

    @discord.ui.button(
        label="◀ Previous", style=discord.ButtonStyle.secondary, custom_id="page:prev"
    )
    async def previous(self, interaction: discord.Interaction, _: discord.ui.Button[Pager]) -> None:
        self.index = max(0, self.index - 1)
        await self._show(interaction)

    @discord.ui.button(label="Next ▶", style=discord.ButtonStyle.secondary, custom_id="page:next")
    async def next(self, interaction: discord.Interaction, _: discord.ui.Button[Pager]) -> None:
        self.index = min(self.count - 1, self.index + 1)
        await self._show(interaction)


class Paginator(Pager):
    """A `Pager` over a list of embeds built beforehand."""

    def __init__(self, owner_id: int, embeds: Sequence[discord.Embed], timeout: float = 600):
        self.embeds = list(embeds)
        super().__init__(owner_id, len(self.embeds), self._embed, timeout)

    async def _embed(self, index: int) -> discord.Embed:
        return self.embeds[index]


class Confirm(OwnedView):
    """Confirm / Cancel buttons for a destructive change; only the member who asked can press.

    `action` runs on confirm and returns the sentence to show; a `DomainError` it raises (the
    thing was changed by someone else meanwhile) is shown instead.
    """

    def __init__(
        self,
        origin: discord.Interaction,
        *,
        verb: str,
        command: str,
        action: Callable[[discord.Interaction], Awaitable[str]],
        cancelled: str,
        timed_out: str,
        timeout: float,
    ) -> None:
        super().__init__(
            origin.user.id, f"Only the officer who ran {command} can answer this.", timeout
        )
        self.origin = origin
        self.action = action
        self.cancelled = cancelled
        self.timed_out = timed_out
        self.confirm.label = verb

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.danger, custom_id="confirm:yes")
    async def confirm(
        self, interaction: discord.Interaction, _: discord.ui.Button[Confirm]
    ) -> None:
        self.stop()
        try:
            outcome = await self.action(interaction)
        except DomainError as exc:
            outcome = str(exc)
        await interaction.response.edit_message(content=outcome, view=None)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary, custom_id="confirm:no")
    async def cancel(self, interaction: discord.Interaction, _: discord.ui.Button[Confirm]) -> None:
        self.stop()
        await interaction.response.edit_message(content=self.cancelled, view=None)

    async def on_timeout(self) -> None:
        with contextlib.suppress(discord.HTTPException):
            await self.origin.edit_original_response(content=self.timed_out, view=None)


@dataclass
class Reply:
    """What a command answers: embeds (paged when more than one), files, ephemerality."""

    embeds: list[discord.Embed] = field(default_factory=list)
    content: str | None = None
    files: list[discord.File] = field(default_factory=list)
    ephemeral: bool = False


async def send(interaction: discord.Interaction, reply: Reply) -> None:
    """Send a reply, paginated when it has several embeds, after a defer or not."""
    view: discord.ui.View | None = None
    embeds = reply.embeds
    if len(embeds) > 1:
        view = Paginator(interaction.user.id, embeds)
        embeds = embeds[:1]
    await send_message(
        interaction,
        embeds,
        view,
        content=reply.content,
        files=reply.files,
        ephemeral=reply.ephemeral,
    )


async def send_message(
    interaction: discord.Interaction,
    embeds: list[discord.Embed],
    view: discord.ui.View | None,
    *,
    content: str | None = None,
    files: Sequence[discord.File] = (),
    ephemeral: bool = False,
) -> None:
    """Answer the interaction, or follow up after a defer."""
    content = clip(content, CONTENT_LIMIT) if content else None
    if interaction.response.is_done():
        await interaction.followup.send(
            content=content or discord.utils.MISSING,
            embeds=embeds,
            files=list(files),
            view=view or discord.utils.MISSING,
            ephemeral=ephemeral,
        )
    else:
        await interaction.response.send_message(
            content=content,
            embeds=embeds,
            files=list(files),
            view=view or discord.utils.MISSING,
            ephemeral=ephemeral,
        )


def channel_messages(embeds: Sequence[discord.Embed]) -> list[list[discord.Embed]]:
    """Embeds grouped into channel messages within 10 embeds and 6000 characters each."""
    messages: list[list[discord.Embed]] = []
    size = 0
    for item in embeds:
        if (
            not messages
            or len(messages[-1]) == EMBEDS_PER_MESSAGE
            or size + len(item) > EMBED_TOTAL_LIMIT
        ):
            messages.append([])
            size = 0
        messages[-1].append(item)
        size += len(item)
    return messages
