"""A fake Discord on 127.0.0.1 that an unmodified discord.py 2.x client runs against.

It serves the REST API under ``/api/v10`` and the gateway websocket at ``/gateway``, keeps a
small model of guilds, channels, roles and members, records every request and message, and
lets tests drive slash commands, autocomplete and buttons as a Discord user would::

    async with FakeDiscord() as fake:
        guild = fake.add_guild(GUILD_ID, name="Squadron", channels=["general"])
        async with fake.run_bot(bot):
            record = await fake.invoke("config show", guild_id=guild.id)
            await record.response()
            assert "faction" in record.text()
        assert fake.unhandled == []

Responses carry ``Content-Type: application/json`` exactly: discord.py only parses JSON bodies
when the header has no charset. See ``/work/shared/docs/testing.md``.
"""

# The waiting helpers take ``timeout`` arguments the way asyncio.wait_for does: tests read better.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import json
import mimetypes
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import discord
import yarl
from aiohttp import BodyPartReader, WSMsgType, web

__all__ = [
    "ADMINISTRATOR",
    "ATTACH_FILES",
    "DEFAULT_EVERYONE_PERMISSIONS",
    "EMBED_LINKS",
    "MANAGE_GUILD",
    "SEND_MESSAGES",
    "VIEW_CHANNEL",
    "FakeChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeMember",
    "FakeMessage",
    "FakeRole",
    "FakeUser",
    "GatewayFrame",
    "InteractionRecord",
    "MessageEdit",
    "Overwrite",
    "RecordedRequest",
    "SentFile",
]

T = TypeVar("T")
JSON = dict[str, Any]

API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1_420_070_400_000
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
HEARTBEAT_INTERVAL_MS = 41_250

VIEW_CHANNEL = discord.Permissions(view_channel=True).value
SEND_MESSAGES = discord.Permissions(send_messages=True).value
EMBED_LINKS = discord.Permissions(embed_links=True).value
ATTACH_FILES = discord.Permissions(attach_files=True).value
MANAGE_GUILD = discord.Permissions(manage_guild=True).value
ADMINISTRATOR = discord.Permissions(administrator=True).value
ALL_PERMISSIONS = discord.Permissions.all().value
DEFAULT_EVERYONE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    read_message_history=True,
    use_external_emojis=True,
    use_application_commands=True,
    create_instant_invite=True,
    change_nickname=True,
    connect=True,
    speak=True,
).value

EPHEMERAL_FLAG = 1 << 6
LOADING_FLAG = 1 << 7

# Interaction types and interaction callback types (Discord API numbering).
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8

SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _json_response(data: Any, status: int = 200) -> web.Response:
    # aiohttp's json_response appends "; charset=utf-8", which discord.py does not parse as JSON.
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def _error(status: int, code: int, message: str) -> web.Response:
    return _json_response({"message": message, "code": code}, status=status)


def shard_for(guild_id: int, shard_count: int) -> int:
    """The shard Discord routes a guild to."""
    return (guild_id >> 22) % shard_count


class _Snowflakes:
    """Increasing snowflakes whose timestamp part is the current time."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        now = (time.time_ns() // 1_000_000 - DISCORD_EPOCH_MS) << 22
        self._last = max(self._last + 1, now)
        return self._last


# --------------------------------------------------------------------------- state model


@dataclass
class Overwrite:
    """A channel permission overwrite; ``type`` 0 targets a role, 1 a member."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0

    @classmethod
    def for_role(cls, role_id: int, *, allow: int = 0, deny: int = 0) -> Overwrite:
        return cls(role_id, 0, allow, deny)

    @classmethod
    def for_member(cls, user_id: int, *, allow: int = 0, deny: int = 0) -> Overwrite:
        return cls(user_id, 1, allow, deny)

    def to_payload(self) -> JSON:
        return {
            "id": str(self.id),
            "type": self.type,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


@dataclass
class FakeRole:
    id: int
    name: str
    permissions: int = 0
    position: int = 1

    def to_payload(self) -> JSON:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }


@dataclass
class FakeChannel:
    id: int
    name: str
    guild_id: int
    type: int = 0
    position: int = 0
    overwrites: list[Overwrite] = field(default_factory=list)
    topic: str | None = None

    def to_payload(self) -> JSON:
        return {
            "id": str(self.id),
            "guild_id": str(self.guild_id),
            "type": self.type,
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [overwrite.to_payload() for overwrite in self.overwrites],
            "parent_id": None,
            "topic": self.topic,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }


@dataclass
class FakeUser:
    id: int
    name: str
    bot: bool = False

    def to_payload(self) -> JSON:
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": None if self.bot else self.name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass
class FakeMember:
    user: FakeUser
    roles: list[int] = field(default_factory=list)
    nick: str | None = None  # the member's server name (Discord shows it over the user name)

    @property
    def id(self) -> int:
        return self.user.id

    def to_payload(self, *, joined_at: str) -> JSON:
        return {
            "user": self.user.to_payload(),
            "roles": [str(role_id) for role_id in self.roles],
            "joined_at": joined_at,
            "nick": self.nick,
            "avatar": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "premium_since": None,
            "communication_disabled_until": None,
            "flags": 0,
        }


@dataclass
class FakeGuild:
    id: int
    name: str
    owner_id: int
    channels: dict[int, FakeChannel] = field(default_factory=dict)
    roles: dict[int, FakeRole] = field(default_factory=dict)
    members: dict[int, FakeMember] = field(default_factory=dict)
    joined_at: str = field(default_factory=_now)
    system_channel_id: int | None = None

    @property
    def everyone(self) -> FakeRole:
        return self.roles[self.id]

    def channel(self, name: str) -> FakeChannel:
        for channel in self.channels.values():
            if channel.name == name:
                return channel
        raise KeyError(f"guild {self.id} has no channel named {name!r}")

    def role(self, name: str) -> FakeRole:
        for role in self.roles.values():
            if role.name == name:
                return role
        raise KeyError(f"guild {self.id} has no role named {name!r}")

    def permissions_for(
        self, channel: FakeChannel | None, user_id: int, role_ids: Iterable[int]
    ) -> int:
        """Compute permissions the way Discord does: roles, then channel overwrites."""
        if user_id == self.owner_id:
            return ALL_PERMISSIONS
        roles = [role_id for role_id in role_ids if role_id in self.roles and role_id != self.id]
        permissions = self.everyone.permissions
        for role_id in roles:
            permissions |= self.roles[role_id].permissions
        if permissions & ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel is None:
            return permissions
        overwrites = {(overwrite.type, overwrite.id): overwrite for overwrite in channel.overwrites}
        if everyone := overwrites.get((0, self.id)):
            permissions = (permissions & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role_id in roles:
            if role_overwrite := overwrites.get((0, role_id)):
                allow |= role_overwrite.allow
                deny |= role_overwrite.deny
        permissions = (permissions & ~deny) | allow
        if member_overwrite := overwrites.get((1, user_id)):
            permissions = (permissions & ~member_overwrite.deny) | member_overwrite.allow
        return permissions if permissions & VIEW_CHANNEL else 0

    def member_permissions(self, channel: FakeChannel | None, user_id: int) -> int:
        member = self.members.get(user_id)
        return self.permissions_for(channel, user_id, member.roles if member else ())

    def to_payload(self) -> JSON:
        """The GUILD_CREATE payload (without ``unavailable``, as for a guild the bot joined)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "owner_id": str(self.owner_id),
            "joined_at": self.joined_at,
            "large": False,
            "member_count": len(self.members),
            "roles": [role.to_payload() for role in self.roles.values()],
            "channels": [channel.to_payload() for channel in self.channels.values()],
            "members": [
                member.to_payload(joined_at=self.joined_at) for member in self.members.values()
            ],
            "threads": [],
            "voice_states": [],
            "presences": [],
            "emojis": [],
            "stickers": [],
            "features": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "preferred_locale": "en-US",
            "system_channel_id": str(self.system_channel_id) if self.system_channel_id else None,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
        }


# --------------------------------------------------------------------------- recordings


@dataclass(frozen=True)
class SentFile:
    """A file the bot uploaded (one multipart ``files[n]`` field)."""

    filename: str
    data: bytes


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[SentFile]
    status: int = 0


RECORD_KEY = web.RequestKey("record", RecordedRequest)


@dataclass(frozen=True)
class MessageEdit:
    message_id: int
    channel_id: int
    payload: JSON
    files: list[SentFile]


@dataclass(frozen=True)
class GatewayFrame:
    """A frame the client sent on the gateway (``shard_id`` is None before IDENTIFY/RESUME)."""

    shard_id: int | None
    op: int
    data: Any


@dataclass(eq=False)
class FakeMessage:
    """A message as Discord stores it; ``data`` is the message object the API returns."""

    data: JSON
    uploads: dict[int, SentFile] = field(default_factory=dict)
    deleted: bool = False
    sender: str = ""  # the User-Agent of the request that posted it (which bot process)

    @property
    def id(self) -> int:
        return int(self.data["id"])

    @property
    def channel_id(self) -> int:
        return int(self.data["channel_id"])

    @property
    def content(self) -> str:
        return str(self.data["content"])

    @property
    def embeds(self) -> list[JSON]:
        return list(self.data["embeds"])

    @property
    def components(self) -> list[JSON]:
        return list(self.data["components"])

    @property
    def flags(self) -> int:
        return int(self.data["flags"])

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL_FLAG)

    @property
    def loading(self) -> bool:
        """True while this is the "thinking…" placeholder of a deferred interaction."""
        return bool(self.flags & LOADING_FLAG)

    @property
    def files(self) -> list[SentFile]:
        return [self.uploads[int(attachment["id"])] for attachment in self.data["attachments"]]

    def text(self) -> str:
        """Content plus embed author, titles, descriptions, fields and footers, one per line."""
        parts = [self.content]
        for embed in self.embeds:
            parts.append(embed.get("author", {}).get("name", ""))
            parts.append(embed.get("title", ""))
            parts.append(embed.get("description", ""))
            for embed_field in embed.get("fields", []):
                parts.extend((embed_field["name"], embed_field["value"]))
            parts.append(embed.get("footer", {}).get("text", ""))
        return "\n".join(part for part in parts if part)

    def find_component(self, custom_id: str) -> JSON | None:
        pending = list(self.components)
        while pending:
            component = pending.pop(0)
            if component.get("custom_id") == custom_id:
                return component
            pending.extend(component.get("components", []))
            if accessory := component.get("accessory"):
                pending.append(accessory)
        return None


class InteractionRecord:
    """One interaction sent to the bot and everything the bot answered to it."""

    def __init__(
        self, fake: FakeDiscord, payload: JSON, *, channel_id: int, message_id: int | None
    ):
        self._fake = fake
        self.payload = payload
        self.id = int(payload["id"])
        self.token: str = payload["token"]
        self.type: int = payload["type"]
        self.channel_id = channel_id
        self.message_id = message_id  # the message a component interaction came from
        self.responses: list[JSON] = []
        self.original_id: int | None = None
        self.followup_ids: list[int] = []

    async def response(self, timeout: float = 5.0) -> JSON:
        """The first interaction callback body (``{"type": ..., "data": ...}``)."""
        return await self._fake._wait_for(
            lambda: self.responses[0] if self.responses else None,
            timeout,
            f"a response to interaction {self.id}",
        )

    async def followups(self, n: int = 1, timeout: float = 5.0) -> list[FakeMessage]:
        """Wait until the bot sent ``n`` followups; return their current messages."""
        return await self._fake._wait_for(
            lambda: self._followup_messages() if len(self.followup_ids) >= n else None,
            timeout,
            f"{n} followup(s) to interaction {self.id}",
        )

    async def wait_reply(self, timeout: float = 5.0) -> FakeMessage:
        """Wait until the user sees a reply (see :attr:`reply`)."""
        return await self._fake._wait_for(lambda: self.reply, timeout, f"a reply to {self.id}")

    @property
    def original(self) -> FakeMessage | None:
        """Current state of ``@original``: the reply, or for component updates the message."""
        return None if self.original_id is None else self._fake.messages[self.original_id]

    @property
    def reply(self) -> FakeMessage | None:
        """What the user sees: the original response once it is no longer "thinking…", else the
        first followup; after a deferred update of a component message, the first followup or
        else the (possibly edited) component message."""
        original = self.original
        followups = self._followup_messages()
        if self.responses and self.responses[0]["type"] == DEFERRED_UPDATE_MESSAGE and followups:
            return followups[0]
        if original is not None and not original.loading:
            return original
        return followups[0] if followups else None

    @property
    def ephemeral(self) -> bool:
        reply = self.reply
        if reply is not None:
            return reply.ephemeral
        if not self.responses:
            return False
        data = self.responses[0].get("data") or {}
        return bool(int(data.get("flags") or 0) & EPHEMERAL_FLAG)

    @property
    def messages(self) -> list[FakeMessage]:
        """The original response (if it is a new message) and every followup."""
        ids: list[int] = []
        if self.original_id is not None and self.original_id != self.message_id:
            ids.append(self.original_id)
        ids += [message_id for message_id in self.followup_ids if message_id not in ids]
        return [self._fake.messages[message_id] for message_id in ids]

    @property
    def files(self) -> list[SentFile]:
        return [sent for message in self.messages for sent in message.files]

    def text(self) -> str:
        reply = self.reply
        return "" if reply is None else reply.text()

    def _followup_messages(self) -> list[FakeMessage]:
        return [self._fake.messages[message_id] for message_id in self.followup_ids]


@dataclass(frozen=True)
class _Actor:
    """The member who triggers an interaction, and where."""

    guild: FakeGuild
    channel: FakeChannel
    user: FakeUser
    role_ids: list[int]
    permissions: int | None  # None: computed from the roles, as Discord does

    def permissions_in(self, channel: FakeChannel) -> int:
        if self.permissions is not None:
            return self.permissions
        return self.guild.permissions_for(channel, self.user.id, self.role_ids)


# --------------------------------------------------------------------------- gateway sessions


class _Connection:
    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self._lock = asyncio.Lock()

    async def send(self, frame: JSON) -> None:
        async with self._lock:
            await self.ws.send_str(json.dumps(frame))


@dataclass(eq=False)
class _Session:
    id: str
    shard_id: int
    shard_count: int
    connection: _Connection | None
    seq: int = 0
    live: bool = False
    reconnecting: bool = False
    closed: bool = False
    resumes: int = 0

    async def dispatch(self, event: str, data: Any) -> None:
        if self.connection is None:
            raise ConnectionError(f"gateway session {self.id} has no connection")
        self.seq += 1
        await self.connection.send({"op": 0, "t": event, "s": self.seq, "d": data})

    def owns(self, guild_id: int) -> bool:
        return shard_for(guild_id, self.shard_count) == self.shard_id


# --------------------------------------------------------------------------- the fake


class FakeDiscord:
    """Discord's REST API and gateway on loopback, with recordings for assertions."""

    def __init__(
        self, *, token: str = "fake-bot-token", bot_name: str = "BGS Warden", shard_count: int = 1
    ) -> None:
        self.token = token
        self.shard_count = shard_count
        self._ids = _Snowflakes()
        self.application_id = self.snowflake()
        self.bot_user = FakeUser(self.application_id, bot_name, bot=True)
        self.default_user = FakeUser(self.snowflake(), "Tester")
        self.guilds: dict[int, FakeGuild] = {}
        self.messages: dict[int, FakeMessage] = {}
        self.requests: list[RecordedRequest] = []
        self.unhandled: list[RecordedRequest] = []
        self.edits: list[MessageEdit] = []
        self.identifies: list[JSON] = []
        self.gateway_frames: list[GatewayFrame] = []
        self.port = 0
        self._commands: dict[int | None, list[JSON]] = {}
        self._interactions: dict[int, InteractionRecord] = {}
        self._sessions: dict[str, _Session] = {}
        self._connections: set[_Connection] = set()
        self._failures: dict[int, tuple[int, int]] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._saved: tuple[str, yarl.URL] | None = None

    # ----------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def _attachments_url(self) -> str:
        # Attachment URLs point at the fake, so a download attempt is recorded as unhandled.
        return f"http://127.0.0.1:{self.port}/attachments"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record_middleware])
        app.add_routes(self._routes())
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()

    async def close(self) -> None:
        for connection in list(self._connections):
            await connection.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def install(self) -> None:
        """Point discord.py's REST and gateway URLs at this fake."""
        self._saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        discord.http.Route.BASE = self.base_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    def uninstall(self) -> None:
        if self._saved is not None:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        self.install()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.uninstall()
        await self.close()

    @contextlib.asynccontextmanager
    async def run_bot(self, bot: discord.Client, *, timeout: float = 5.0) -> AsyncIterator[None]:
        """Log ``bot`` in, connect it and wait for on_ready; close it and its task on exit."""
        try:
            await bot.login(self.token)
        except BaseException:
            await bot.close()
            raise
        connect = asyncio.create_task(bot.connect())
        ready = asyncio.create_task(bot.wait_until_ready())
        try:
            done, _ = await asyncio.wait(
                {connect, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if connect in done:
                connect.result()
                raise RuntimeError("the bot disconnected before it was ready")
            if ready not in done:
                raise TimeoutError(f"the bot was not ready within {timeout}s")
            yield
        finally:
            ready.cancel()
            await bot.close()
            await asyncio.wait_for(connect, timeout)

    # ----------------------------------------------------------------- state

    def snowflake(self) -> int:
        return self._ids.next()

    def add_guild(
        self,
        guild_id: int,
        name: str = "Test Guild",
        *,
        channels: Iterable[str | FakeChannel] = ("general",),
        roles: Iterable[str | FakeRole] = (),
        members: Iterable[FakeMember | FakeUser] = (),
        bot_roles: Iterable[int | str] = (),
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
        owner_id: int | None = None,
        system_channel: str | None = None,
    ) -> FakeGuild:
        """Add a guild the bot is in (sent at IDENTIFY; see :meth:`bot_joins_guild`).

        Strings are names of text channels / permission-less roles to create; ``bot_roles`` are
        role ids or names given to the bot's member; ``system_channel`` names the channel where
        Discord posts system messages. @everyone has the guild's id."""
        guild = FakeGuild(guild_id, name, owner_id or self.snowflake())
        guild.roles[guild_id] = FakeRole(guild_id, "@everyone", everyone_permissions, position=0)
        for role_spec in roles:
            role = (
                role_spec
                if isinstance(role_spec, FakeRole)
                else FakeRole(self.snowflake(), role_spec)
            )
            guild.roles[role.id] = role
        for position, channel_spec in enumerate(channels):
            channel = (
                FakeChannel(self.snowflake(), channel_spec, guild_id, position=position)
                if isinstance(channel_spec, str)
                else channel_spec
            )
            guild.channels[channel.id] = channel
        for member_spec in members:
            member = member_spec if isinstance(member_spec, FakeMember) else FakeMember(member_spec)
            guild.members[member.id] = member
        bot_role_ids = [r if isinstance(r, int) else guild.role(r).id for r in bot_roles]
        guild.members[self.bot_user.id] = FakeMember(self.bot_user, bot_role_ids)
        if system_channel is not None:
            guild.system_channel_id = guild.channel(system_channel).id
        self.guilds[guild_id] = guild
        return guild

    def add_channel(
        self,
        guild_id: int,
        name: str,
        *,
        type: int = 0,
        overwrites: Iterable[Overwrite] = (),
        channel_id: int | None = None,
    ) -> FakeChannel:
        """Add a channel to the model (no gateway event; use before the bot connects)."""
        guild = self.guilds[guild_id]
        channel = FakeChannel(
            channel_id or self.snowflake(),
            name,
            guild_id,
            type,
            len(guild.channels),
            list(overwrites),
        )
        guild.channels[channel.id] = channel
        return channel

    def add_role(self, guild_id: int, name: str, permissions: int = 0) -> FakeRole:
        """Add a role to the model (no gateway event; use before the bot connects)."""
        guild = self.guilds[guild_id]
        role = FakeRole(self.snowflake(), name, permissions, position=len(guild.roles))
        guild.roles[role.id] = role
        return role

    def bot_overwrite(self, *, allow: int = 0, deny: int = 0) -> Overwrite:
        """A member overwrite for the bot, e.g. ``deny=SEND_MESSAGES`` or ``deny=VIEW_CHANNEL``."""
        return Overwrite.for_member(self.bot_user.id, allow=allow, deny=deny)

    def channel(self, channel_id: int) -> FakeChannel | None:
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild.channels[channel_id]
        return None

    def bot_permissions(self, channel_id: int) -> int:
        channel = self._require_channel(channel_id)
        return self.guilds[channel.guild_id].member_permissions(channel, self.bot_user.id)

    def fail_channel_posts(self, channel_id: int, *, status: int = 500, times: int = 1) -> None:
        """Make the next ``times`` posts to the channel fail with ``status``.

        discord.py itself retries 500/502/504 after sleeping 1 s (then 3 s, ...); any other 5xx
        (e.g. 503) raises ``discord.DiscordServerError`` at once."""
        self._failures[channel_id] = (status, times)

    def live_shards(self) -> set[int]:
        """The shards with a live gateway session (a bot process connected and ready)."""
        return {s.shard_id for s in self._sessions.values() if s.live and not s.closed}

    def synced_commands(self, guild_id: int | None = None) -> list[JSON]:
        """Commands as last synced globally (None) or to a guild, with ids."""
        return list(self._commands.get(guild_id, []))

    def channel_messages(self, channel_id: int) -> list[FakeMessage]:
        """Non-ephemeral messages in the channel, oldest first, edits applied, deleted marked.

        Public interaction replies are channel messages too (``data["type"]`` 20, with a
        ``webhook_id``); posts by the bot itself have type 0."""
        return [
            message
            for message in self.messages.values()
            if message.channel_id == channel_id and not message.ephemeral
        ]

    # ----------------------------------------------------------------- runtime events

    async def set_channel_overwrites(
        self, channel_id: int, overwrites: Iterable[Overwrite]
    ) -> None:
        """Replace a channel's overwrites; CHANNEL_UPDATE goes to a connected bot."""
        channel = self._require_channel(channel_id)
        channel.overwrites = list(overwrites)
        await self._dispatch_if_connected("CHANNEL_UPDATE", channel.to_payload(), channel.guild_id)

    async def bot_joins_guild(
        self, guild_id: int, name: str = "Test Guild", **kwargs: Any
    ) -> FakeGuild:
        """:meth:`add_guild` plus GUILD_CREATE to a connected bot (it dispatches guild_join)."""
        guild = self.add_guild(guild_id, name, **kwargs)
        await self._dispatch_if_connected("GUILD_CREATE", guild.to_payload(), guild_id)
        return guild

    async def bot_leaves_guild(self, guild_id: int) -> None:
        """Remove the guild; GUILD_DELETE goes to a connected bot (it dispatches guild_remove)."""
        del self.guilds[guild_id]
        await self._dispatch_if_connected("GUILD_DELETE", {"id": str(guild_id)}, guild_id)

    async def delete_channel(self, channel_id: int) -> None:
        channel = self._require_channel(channel_id)
        del self.guilds[channel.guild_id].channels[channel_id]
        await self._dispatch_if_connected("CHANNEL_DELETE", channel.to_payload(), channel.guild_id)

    async def delete_role(self, guild_id: int, role_id: int) -> None:
        """Delete a role, dropping it from members and overwrites as Discord does."""
        guild = self.guilds[guild_id]
        del guild.roles[role_id]
        for member in guild.members.values():
            member.roles = [member_role for member_role in member.roles if member_role != role_id]
        for channel in guild.channels.values():
            channel.overwrites = [o for o in channel.overwrites if (o.type, o.id) != (0, role_id)]
        data = {"guild_id": str(guild_id), "role_id": str(role_id)}
        await self._dispatch_if_connected("GUILD_ROLE_DELETE", data, guild_id)

    async def dispatch(
        self, event: str, data: Any, *, shard_id: int | None = None, timeout: float = 5.0
    ) -> None:
        """Send a DISPATCH event, waiting for a live session of the right shard.

        Without ``shard_id`` the shard comes from ``data["guild_id"]`` (``data["id"]`` for
        GUILD_* events); events without a guild go to shard 0."""
        guild_id = _event_guild_id(event, data)
        session = await self._wait_for(
            lambda: self._find_session(guild_id, shard_id, live=True),
            timeout,
            f"a session for {event}",
        )
        await session.dispatch(event, data)

    async def send_reconnect(self, shard_id: int | None = None, *, timeout: float = 5.0) -> None:
        """Send op 7 RECONNECT to the shard's session (all sessions if None) and wait until the
        client has RESUMEd each of them."""
        sessions = [
            session
            for session in self._sessions.values()
            if session.live and (shard_id is None or session.shard_id == shard_id)
        ]
        if not sessions:
            raise RuntimeError("no live gateway session to reconnect")
        expected = {session.id: session.resumes + 1 for session in sessions}
        for session in sessions:
            session.live = False
            session.reconnecting = True
            if session.connection is not None:
                await session.connection.send({"op": 7, "d": None, "s": None, "t": None})
        await self._wait_for(
            lambda: all(s.live and s.resumes >= expected[s.id] for s in sessions) or None,
            timeout,
            "the client to RESUME",
        )

    # ----------------------------------------------------------------- interactions

    async def invoke(
        self,
        command_path: str,
        options: Mapping[str, Any] | None = None,
        *,
        guild_id: int | None = None,
        user_id: int | None = None,
        roles: Iterable[int] = (),
        permissions: int | None = None,
        channel_id: int | None = None,
        resolved: Mapping[str, Any] | None = None,
    ) -> InteractionRecord:
        """Run a synced slash command, e.g. ``invoke("config channel", {"kind": "tick", ...})``.

        Option values are typed from the synced definitions; users, channels and roles may be
        given as ids or fake objects and are put into ``data.resolved``. ``permissions`` is the
        member's permission bitfield; by default it is computed from ``roles`` and the channel.
        Without ``guild_id`` the only guild is used; without ``channel_id`` its first channel."""
        guild = self._pick_guild(guild_id)
        actor = self._actor(
            guild, self._pick_channel(guild, channel_id), user_id, roles, permissions
        )
        data = self._command_data(command_path, options or {}, actor, focused=None)
        if resolved:
            for key, values in resolved.items():
                data.setdefault("resolved", {}).setdefault(key, {}).update(values)
        payload = self._interaction_payload(APPLICATION_COMMAND, data, actor)
        return await self._start_interaction(payload, actor.channel.id, message_id=None)

    async def autocomplete(
        self,
        command_path: str,
        options: Mapping[str, Any] | None = None,
        *,
        focused: str = "name",
        guild_id: int | None = None,
        user_id: int | None = None,
        roles: Iterable[int] = (),
        permissions: int | None = None,
        channel_id: int | None = None,
        timeout: float = 5.0,
    ) -> list[JSON]:
        """Send an autocomplete interaction for option ``focused``; return the bot's choices."""
        guild = self._pick_guild(guild_id)
        actor = self._actor(
            guild, self._pick_channel(guild, channel_id), user_id, roles, permissions
        )
        options = dict(options or {})
        options.setdefault(focused, "")
        data = self._command_data(command_path, options, actor, focused=focused)
        payload = self._interaction_payload(AUTOCOMPLETE, data, actor)
        record = await self._start_interaction(payload, actor.channel.id, message_id=None)
        response = await record.response(timeout)
        if response["type"] != AUTOCOMPLETE_RESULT:
            raise AssertionError(f"expected an autocomplete result, got {response}")
        return list(response["data"]["choices"])

    async def press_button(
        self,
        target: InteractionRecord | FakeMessage,
        custom_id: str,
        *,
        user_id: int | None = None,
        roles: Iterable[int] = (),
        permissions: int | None = None,
    ) -> InteractionRecord:
        """Click the component ``custom_id`` on a message (an interaction's visible reply)."""
        message = target.reply if isinstance(target, InteractionRecord) else target
        if message is None:
            raise ValueError("the interaction has no reply to press a button on")
        component = message.find_component(custom_id)
        if component is None:
            raise ValueError(f"message {message.id} has no component {custom_id!r}")
        if component.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled")
        channel = self._require_channel(message.channel_id)
        actor = self._actor(self.guilds[channel.guild_id], channel, user_id, roles, permissions)
        data = {"custom_id": custom_id, "component_type": component["type"]}
        payload = self._interaction_payload(MESSAGE_COMPONENT, data, actor)
        payload["message"] = message.data
        return await self._start_interaction(payload, channel.id, message_id=message.id)

    # ----------------------------------------------------------------- waiting

    async def wait_for_request(
        self, predicate: Callable[[RecordedRequest], bool], timeout: float = 5.0
    ) -> RecordedRequest:
        """The first recorded request (past or future) matching ``predicate``."""
        return await self._wait_for(
            lambda: next((r for r in self.requests if r.status and predicate(r)), None),
            timeout,
            "a matching request",
        )

    async def wait_for_channel_message(
        self,
        channel_id: int,
        timeout: float = 5.0,
        predicate: Callable[[FakeMessage], bool] | None = None,
    ) -> FakeMessage:
        """The first message in the channel (past or future) matching ``predicate``."""
        return await self._wait_for(
            lambda: next(
                (m for m in self.channel_messages(channel_id) if predicate is None or predicate(m)),
                None,
            ),
            timeout,
            f"a message in channel {channel_id}",
        )

    async def _wait_for(self, probe: Callable[[], T | None], timeout: float, what: str) -> T:
        async with self._changed:
            try:
                async with asyncio.timeout(timeout):
                    while (value := probe()) is None:
                        await self._changed.wait()
            except TimeoutError:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}") from None
            return value

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ----------------------------------------------------------------- helpers

    def _require_channel(self, channel_id: int) -> FakeChannel:
        channel = self.channel(channel_id)
        if channel is None:
            raise KeyError(f"no channel {channel_id}")
        return channel

    def _pick_guild(self, guild_id: int | None) -> FakeGuild:
        if guild_id is not None:
            return self.guilds[guild_id]
        if len(self.guilds) != 1:
            raise ValueError(f"guild_id is required with {len(self.guilds)} guilds")
        return next(iter(self.guilds.values()))

    def _pick_channel(self, guild: FakeGuild, channel_id: int | None) -> FakeChannel:
        if channel_id is not None:
            return guild.channels[channel_id]
        return next(iter(guild.channels.values()))

    def _user(self, guild: FakeGuild, user_id: int | None) -> FakeUser:
        if user_id is None:
            return self.default_user
        member = guild.members.get(user_id)
        return member.user if member else FakeUser(user_id, f"user{user_id}")

    def _actor(
        self,
        guild: FakeGuild,
        channel: FakeChannel,
        user_id: int | None,
        roles: Iterable[int],
        permissions: int | None,
    ) -> _Actor:
        return _Actor(guild, channel, self._user(guild, user_id), list(roles), permissions)

    def _find_command(self, name: str, guild_id: int) -> JSON:
        for scope in (guild_id, None):
            for command in self._commands.get(scope, []):
                if command["name"] == name and command.get("type", 1) == 1:
                    return command
        raise LookupError(f"no synced slash command {name!r} (did the bot sync its tree?)")

    def _command_data(
        self,
        command_path: str,
        options: Mapping[str, Any],
        actor: _Actor,
        *,
        focused: str | None,
    ) -> JSON:
        name, *path = command_path.split()
        command = self._find_command(name, actor.guild.id)
        definitions: list[JSON] = command.get("options") or []
        root: list[JSON] = []
        current = root
        for part in path:
            definition = _option_definition(definitions, part, command_path)
            if definition["type"] not in (SUB_COMMAND, SUB_COMMAND_GROUP):
                raise ValueError(f"{part!r} in {command_path!r} is not a subcommand")
            node: JSON = {"name": part, "type": definition["type"], "options": []}
            current.append(node)
            current = node["options"]
            definitions = definition.get("options") or []
        if any(d["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for d in definitions):
            raise ValueError(f"{command_path!r} needs a subcommand")
        if focused is None:
            required = [d["name"] for d in definitions if d.get("required")]
            missing = [name for name in required if name not in options]
            if missing:
                raise ValueError(f"{command_path!r} is missing required options {missing}")
        resolved: JSON = {}
        for option_name, value in options.items():
            definition = _option_definition(definitions, option_name, command_path)
            if option_name == focused:
                current.append(
                    {
                        "name": option_name,
                        "type": definition["type"],
                        "value": value,
                        "focused": True,
                    }
                )
            else:
                typed = self._option_value(definition, value, actor, resolved)
                current.append({"name": option_name, "type": definition["type"], "value": typed})
        data: JSON = {
            "id": command["id"],
            "name": command["name"],
            "type": command.get("type", 1),
            "options": root,
        }
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data

    def _option_value(self, definition: JSON, value: Any, actor: _Actor, resolved: JSON) -> Any:
        guild = actor.guild
        kind = definition["type"]
        name = definition["name"]
        if kind == 3:
            typed: Any = str(value)
        elif kind == 4:
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"option {name!r} takes an int, got {value!r}")
            typed = value
        elif kind == 5:
            typed = bool(value)
        elif kind == 10:
            typed = float(value)
        elif kind == 6:
            user_id = value.id if isinstance(value, (FakeUser, FakeMember)) else value
            user = self._user(guild, user_id)
            resolved.setdefault("users", {})[str(user.id)] = user.to_payload()
            if member := guild.members.get(user.id):
                member_payload = member.to_payload(joined_at=guild.joined_at)
                del member_payload["user"]
                member_payload["permissions"] = str(guild.member_permissions(None, user.id))
                resolved.setdefault("members", {})[str(user.id)] = member_payload
            typed = str(user.id)
        elif kind == 7:
            channel = guild.channels[value.id if isinstance(value, FakeChannel) else value]
            channel_payload = channel.to_payload() | {
                "permissions": str(actor.permissions_in(channel))
            }
            resolved.setdefault("channels", {})[str(channel.id)] = channel_payload
            typed = str(channel.id)
        elif kind == 8:
            role = guild.roles[value.id if isinstance(value, FakeRole) else value]
            resolved.setdefault("roles", {})[str(role.id)] = role.to_payload()
            typed = str(role.id)
        else:
            raise ValueError(f"option {name!r} has type {kind}, which the fake does not support")
        choices = definition.get("choices")
        if choices and typed not in [choice["value"] for choice in choices]:
            raise ValueError(f"{typed!r} is not a choice of option {name!r}")
        return typed

    def _interaction_payload(self, kind: int, data: JSON, actor: _Actor) -> JSON:
        """Every interaction the fake sends is built here (discord.py needs all of these keys)."""
        guild, channel = actor.guild, actor.channel
        member_permissions = actor.permissions_in(channel)
        interaction_id = self.snowflake()
        known = guild.members.get(actor.user.id)
        nick = known.nick if known is not None else None
        member = FakeMember(actor.user, actor.role_ids, nick).to_payload(joined_at=guild.joined_at)
        member["permissions"] = str(member_permissions)
        return {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "token": f"interaction-token-{interaction_id}",
            "version": 1,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "data": data,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "channel_id": str(channel.id),
            "channel": channel.to_payload() | {"permissions": str(member_permissions)},
            "member": member,
            "app_permissions": str(guild.member_permissions(channel, self.bot_user.id)),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
        }

    async def _start_interaction(
        self, payload: JSON, channel_id: int, *, message_id: int | None
    ) -> InteractionRecord:
        record = InteractionRecord(self, payload, channel_id=channel_id, message_id=message_id)
        self._interactions[record.id] = record
        await self.dispatch("INTERACTION_CREATE", payload)
        return record

    def _find_session(
        self, guild_id: int | None, shard_id: int | None, *, live: bool
    ) -> _Session | None:
        for session in reversed(self._sessions.values()):
            if session.closed or (live and not session.live):
                continue
            if shard_id is not None:
                matches = session.shard_id == shard_id
            elif guild_id is not None:
                matches = session.owns(guild_id)
            else:
                matches = session.shard_id == 0
            if matches:
                return session
        return None

    async def _dispatch_if_connected(self, event: str, data: JSON, guild_id: int) -> None:
        if self._find_session(guild_id, None, live=False) is not None:
            await self.dispatch(event, data)

    # ----------------------------------------------------------------- messages

    def _create_message(
        self,
        channel_id: int,
        payload: JSON,
        files: list[SentFile],
        *,
        interaction: InteractionRecord | None = None,
        loading: bool = False,
    ) -> FakeMessage:
        message_id = self.snowflake()
        flags = int(payload.get("flags") or 0) | (LOADING_FLAG if loading else 0)
        data: JSON = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "type": 0,
            "content": payload.get("content") or "",
            "author": self.bot_user.to_payload(),
            "timestamp": _now(),
            "edited_timestamp": None,
            "tts": bool(payload.get("tts")),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
            "embeds": payload.get("embeds") or [],
            "components": payload.get("components") or [],
            "attachments": [],
            "flags": flags,
        }
        if interaction is not None:
            owners = interaction.payload["authorizing_integration_owners"]
            data["type"] = 20 if interaction.type == APPLICATION_COMMAND else 0
            data["webhook_id"] = str(self.application_id)
            data["application_id"] = str(self.application_id)
            data["interaction_metadata"] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": interaction.payload["member"]["user"],
                "authorizing_integration_owners": owners,
            }
        message = FakeMessage(data)
        self._set_attachments(message, payload.get("attachments"), files)
        self.messages[message_id] = message
        return message

    def _edit_message(self, message: FakeMessage, payload: JSON, files: list[SentFile]) -> None:
        data = message.data
        if "content" in payload:
            data["content"] = payload["content"] or ""
        for key in ("embeds", "components"):
            if key in payload:
                data[key] = payload[key] or []
        if "attachments" in payload or files:
            self._set_attachments(message, payload.get("attachments"), files)
        if message.loading:
            # A deferred reply keeps the defer's ephemerality, whatever the edit asks for.
            data["flags"] = message.flags & ~LOADING_FLAG
        else:
            data["edited_timestamp"] = _now()
            if payload.get("flags") is not None:
                requested = payload["flags"] & ~EPHEMERAL_FLAG
                data["flags"] = (message.flags & EPHEMERAL_FLAG) | requested
        self.edits.append(MessageEdit(message.id, message.channel_id, payload, files))

    def _set_attachments(
        self, message: FakeMessage, entries: list[JSON] | None, files: list[SentFile]
    ) -> None:
        """Keep attachments listed by id, add uploads listed by file index (as Discord does)."""
        if entries is None:
            entries = [{"id": index, "filename": sent.filename} for index, sent in enumerate(files)]
        current = {int(attachment["id"]): attachment for attachment in message.data["attachments"]}
        attachments: list[JSON] = []
        for entry in entries:
            entry_id = int(entry["id"])
            if entry_id in current:
                attachments.append(current[entry_id])
            elif 0 <= entry_id < len(files):
                sent = files[entry_id]
                attachment_id = self.snowflake()
                url = (
                    f"{self._attachments_url}/{message.channel_id}/{attachment_id}/{sent.filename}"
                )
                content_type = mimetypes.guess_type(sent.filename)[0]
                attachment = {
                    "id": str(attachment_id),
                    "filename": entry.get("filename") or sent.filename,
                    "size": len(sent.data),
                    "url": url,
                    "proxy_url": url,
                    "content_type": content_type or "application/octet-stream",
                }
                if entry.get("description") is not None:
                    attachment["description"] = entry["description"]
                message.uploads[attachment_id] = sent
                attachments.append(attachment)
        message.data["attachments"] = attachments

    # ----------------------------------------------------------------- HTTP plumbing

    def _routes(self) -> list[web.RouteDef]:
        api = API_PREFIX
        webhook_message = f"{api}/webhooks/{{app}}/{{token}}/messages/{{message}}"
        channel_message = f"{api}/channels/{{channel}}/messages/{{message}}"
        return [
            web.get("/gateway", self._gateway),
            web.get(f"{api}/users/@me", self._get_me),
            web.get(f"{api}/oauth2/applications/@me", self._get_application),
            web.get(f"{api}/gateway/bot", self._get_gateway_bot),
            web.put(f"{api}/applications/{{app}}/commands", self._put_commands),
            web.get(f"{api}/applications/{{app}}/commands", self._get_commands),
            web.put(f"{api}/applications/{{app}}/guilds/{{guild}}/commands", self._put_commands),
            web.get(f"{api}/applications/{{app}}/guilds/{{guild}}/commands", self._get_commands),
            web.post(f"{api}/interactions/{{interaction}}/{{token}}/callback", self._callback),
            web.post(f"{api}/webhooks/{{app}}/{{token}}", self._post_followup),
            web.get(webhook_message, self._webhook_message),
            web.patch(webhook_message, self._webhook_message),
            web.delete(webhook_message, self._webhook_message),
            web.get(f"{api}/channels/{{channel}}", self._get_channel),
            web.post(f"{api}/channels/{{channel}}/messages", self._post_channel_message),
            web.get(channel_message, self._channel_message),
            web.patch(channel_message, self._channel_message),
            web.delete(channel_message, self._channel_message),
            web.route("*", "/{tail:.*}", self._unhandled),
        ]

    @web.middleware
    async def _record_middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        if not request.path.startswith(f"{API_PREFIX}/"):
            response: web.StreamResponse = await handler(request)
            return response
        payload, files = await _read_body(request)
        record = RecordedRequest(
            request.method,
            request.path.removeprefix(API_PREFIX),
            dict(request.query),
            payload,
            files,
        )
        request[RECORD_KEY] = record
        self.requests.append(record)
        needs_auth = not record.path.startswith(("/interactions/", "/webhooks/"))
        if needs_auth and request.headers.get("Authorization") != f"Bot {self.token}":
            response = _error(401, 0, "401: Unauthorized")
        else:
            try:
                response = await handler(request)
            except Exception as exc:
                # A request the fake cannot parse is a test failure, not a 500 discord.py retries.
                self.unhandled.append(record)
                response = _error(400, 0, f"FakeDiscord could not handle this request: {exc!r}")
        record.status = response.status
        await self._notify()
        return response

    async def _unhandled(self, request: web.Request) -> web.Response:
        record: RecordedRequest | None = request.get(RECORD_KEY)
        self.unhandled.append(
            record or RecordedRequest(request.method, request.path, dict(request.query), None, [])
        )
        return _error(404, 0, "404: Not Found (unhandled by FakeDiscord)")

    async def _get_me(self, request: web.Request) -> web.Response:
        return _json_response(self.bot_user.to_payload() | {"verified": True, "mfa_enabled": False})

    async def _get_application(self, request: web.Request) -> web.Response:
        return _json_response(
            {
                "id": str(self.application_id),
                "name": self.bot_user.name,
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.default_user.to_payload(),
                "team": None,
                "verify_key": "0" * 64,
                "flags": 0,
                "summary": "",
                "interactions_endpoint_url": None,
                "bot": self.bot_user.to_payload(),
            }
        )

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        return _json_response(
            {
                "url": self.gateway_url,
                "shards": self.shard_count,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    def _command_scope(self, request: web.Request) -> int | None:
        guild = request.match_info.get("guild")
        return None if guild is None else int(guild)

    async def _put_commands(self, request: web.Request) -> web.Response:
        if request.match_info["app"] != str(self.application_id):
            return await self._unhandled(request)
        scope = self._command_scope(request)
        previous = {(c["name"], c.get("type", 1)): c["id"] for c in self._commands.get(scope, [])}
        synced: list[JSON] = []
        for spec in request[RECORD_KEY].json:
            command = dict(spec)
            command.setdefault("type", 1)
            known_id = previous.get((command["name"], command["type"]))
            command["id"] = known_id or str(self.snowflake())
            command["application_id"] = str(self.application_id)
            command["version"] = str(self.snowflake())
            if command.get("default_member_permissions") is not None:
                command["default_member_permissions"] = str(command["default_member_permissions"])
            if scope is not None:
                command["guild_id"] = str(scope)
            synced.append(command)
        self._commands[scope] = synced
        return _json_response(synced)

    async def _get_commands(self, request: web.Request) -> web.Response:
        if request.match_info["app"] != str(self.application_id):
            return await self._unhandled(request)
        return _json_response(self._commands.get(self._command_scope(request), []))

    async def _callback(self, request: web.Request) -> web.Response:
        record = self._interactions.get(int(request.match_info["interaction"]))
        if record is None or record.token != request.match_info["token"]:
            return _error(404, 10062, "Unknown interaction")
        if record.responses:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        sent = request[RECORD_KEY]
        body: JSON = sent.json
        kind = body["type"]
        data: JSON = body.get("data") or {}
        message: FakeMessage | None = None
        if kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE):
            if kind == DEFERRED_CHANNEL_MESSAGE:
                data = {"flags": data.get("flags", 0)}
            loading = kind == DEFERRED_CHANNEL_MESSAGE
            message = self._create_message(
                record.channel_id, data, sent.files, interaction=record, loading=loading
            )
            record.original_id = message.id
        elif kind in (DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE):
            if record.message_id is None:
                return _error(400, 50035, "Invalid Form Body: no message to update")
            record.original_id = record.message_id
            if kind == UPDATE_MESSAGE:
                message = self.messages[record.message_id]
                self._edit_message(message, data, sent.files)
        record.responses.append(body)
        interaction: JSON = {"id": str(record.id), "type": record.type}
        resource: JSON = {"type": kind}
        if message is not None:
            interaction["response_message_id"] = str(message.id)
            interaction["response_message_loading"] = message.loading
            interaction["response_message_ephemeral"] = message.ephemeral
            resource["message"] = message.data
        return _json_response({"interaction": interaction, "resource": resource})

    def _webhook_record(self, request: web.Request) -> InteractionRecord | None:
        if request.match_info["app"] != str(self.application_id):
            return None
        token = request.match_info["token"]
        return next((r for r in self._interactions.values() if r.token == token), None)

    async def _post_followup(self, request: web.Request) -> web.Response:
        record = self._webhook_record(request)
        if record is None or not record.responses:
            return _error(404, 10015, "Unknown Webhook")
        sent = request[RECORD_KEY]
        original = record.original
        if original is not None and original.loading:
            # The first followup after a "thinking" defer fills the deferred message itself.
            self._edit_message(original, sent.json, sent.files)
            message = original
        else:
            message = self._create_message(
                record.channel_id, sent.json, sent.files, interaction=record
            )
        record.followup_ids.append(message.id)
        if request.query.get("wait") in ("0", "false"):
            return web.Response(status=204)
        return _json_response(message.data)

    async def _webhook_message(self, request: web.Request) -> web.StreamResponse:
        record = self._webhook_record(request)
        if record is None:
            return _error(404, 10015, "Unknown Webhook")
        wanted = request.match_info["message"]
        message_id = record.original_id if wanted == "@original" else int(wanted)
        if message_id is None or message_id not in {record.original_id, *record.followup_ids}:
            return _error(404, 10008, "Unknown Message")
        return self._message_operation(request, self.messages[message_id])

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel = self.channel(int(request.match_info["channel"]))
        if channel is None:
            return _error(404, 10003, "Unknown Channel")
        if not self.bot_permissions(channel.id) & VIEW_CHANNEL:
            return _error(403, 50001, "Missing Access")
        return _json_response(channel.to_payload())

    async def _post_channel_message(self, request: web.Request) -> web.Response:
        channel = self.channel(int(request.match_info["channel"]))
        if channel is None:
            return _error(404, 10003, "Unknown Channel")
        status, times = self._failures.pop(channel.id, (0, 0))
        if times:
            if times > 1:
                self._failures[channel.id] = (status, times - 1)
            return _error(status, 0, f"{status}: injected failure")
        sent = request[RECORD_KEY]
        permissions = self.bot_permissions(channel.id)
        if not permissions & VIEW_CHANNEL:
            return _error(403, 50001, "Missing Access")
        if not permissions & SEND_MESSAGES or (sent.files and not permissions & ATTACH_FILES):
            return _error(403, 50013, "Missing Permissions")
        message = self._create_message(channel.id, sent.json or {}, sent.files)
        message.sender = request.headers.get("User-Agent", "")
        return _json_response(message.data)

    async def _channel_message(self, request: web.Request) -> web.StreamResponse:
        channel_id = int(request.match_info["channel"])
        if self.channel(channel_id) is None:
            return _error(404, 10003, "Unknown Channel")
        message = self.messages.get(int(request.match_info["message"]))
        if message is None or message.channel_id != channel_id:
            return _error(404, 10008, "Unknown Message")
        return self._message_operation(request, message)

    def _message_operation(self, request: web.Request, message: FakeMessage) -> web.StreamResponse:
        if message.deleted:
            return _error(404, 10008, "Unknown Message")
        if request.method == "DELETE":
            message.deleted = True
            return web.Response(status=204)
        if request.method == "PATCH":
            sent = request[RECORD_KEY]
            self._edit_message(message, sent.json or {}, sent.files)
        return _json_response(message.data)

    # ----------------------------------------------------------------- gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        connection = _Connection(ws)
        self._connections.add(connection)
        session: _Session | None = None
        try:
            hello = {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}
            await connection.send({"op": 10, "d": hello, "s": None, "t": None})
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op, data = frame["op"], frame.get("d")
                self.gateway_frames.append(
                    GatewayFrame(session.shard_id if session else None, op, data)
                )
                if op == 1:
                    await connection.send({"op": 11, "d": None, "s": None, "t": None})
                elif op == 2:
                    session = await self._identify(connection, data)
                elif op == 6:
                    session = await self._resume(connection, data)
        finally:
            self._connections.discard(connection)
            if session is not None and session.connection is connection:
                session.connection = None
                session.live = False
                session.closed = not session.reconnecting
            await self._notify()
        return ws

    async def _identify(self, connection: _Connection, data: JSON) -> _Session | None:
        if data.get("token") != self.token:
            await connection.ws.close(code=4004, message=b"Authentication failed.")
            return None
        self.identifies.append(data)
        shard_id, shard_count = data.get("shard", (0, 1))
        session = _Session(uuid.uuid4().hex, shard_id, shard_count, connection)
        self._sessions[session.id] = session
        guilds = [guild for guild in self.guilds.values() if session.owns(guild.id)]
        ready: JSON = {
            "v": 10,
            "user": self.bot_user.to_payload() | {"verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(guild.id), "unavailable": True} for guild in guilds],
            "session_id": session.id,
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        if "shard" in data:
            ready["shard"] = [shard_id, shard_count]
        await session.dispatch("READY", ready)
        for guild in guilds:
            await session.dispatch("GUILD_CREATE", guild.to_payload() | {"unavailable": False})
        session.live = True
        await self._notify()
        return session

    async def _resume(self, connection: _Connection, data: JSON) -> _Session | None:
        session = self._sessions.get(data.get("session_id", ""))
        if session is None or session.closed or data.get("token") != self.token:
            await connection.send({"op": 9, "d": False, "s": None, "t": None})
            return None
        session.connection = connection
        session.reconnecting = False
        await session.dispatch("RESUMED", {})
        session.live = True
        session.resumes += 1
        await self._notify()
        return session


def _event_guild_id(event: str, data: Any) -> int | None:
    if not isinstance(data, dict):
        return None
    if "guild_id" in data:
        return int(data["guild_id"])
    if event.startswith("GUILD_") and "id" in data:
        return int(data["id"])
    return None


def _option_definition(definitions: list[JSON], name: str, command_path: str) -> JSON:
    for definition in definitions:
        if definition["name"] == name:
            return definition
    known = [definition["name"] for definition in definitions]
    raise KeyError(f"{command_path!r} has no option {name!r}; it has {known}")


async def _read_body(request: web.Request) -> tuple[Any, list[SentFile]]:
    """The JSON payload (``payload_json`` for multipart) and the uploaded files."""
    if request.content_type.startswith("multipart/"):
        payload: Any = None
        files: list[SentFile] = []
        async for part in await request.multipart():
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "payload_json":
                payload = json.loads(await part.text())
            else:
                files.append(SentFile(part.filename or "", bytes(await part.read())))
        return payload, files
    text = await request.text() if request.can_read_body else ""
    return (json.loads(text) if text else None), []
