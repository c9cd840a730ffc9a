"""BGS Warden: entry point, the services both modes run, and the Discord bot.

python bot.py              start (listener-only when DISCORD_TOKEN is not set)
python bot.py migrate      apply migrations to every configured database
python bot.py --help       every operator subcommand
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord import app_commands
from discord.ext import commands

from bgs import apikeys
from bgs import tenants as tenant_service
from bgs.alerts import IngestAlerts, Pending, after_ingest
from bgs.ingest import IngestResult
from cogs import COGS
from cogs._checks import resolve_tenant
from cogs._errors import on_tree_error
from db.migrate import upgrade
from db.models import BotState
from db.session import Database
from listener.auth import KeyStore
from listener.server import ListenerServer
from settings import ConfigError, Settings, TenantsFile, load_settings, load_tenants

log = logging.getLogger("warden")

AlertSubscriber = Callable[[int, IngestAlerts], Awaitable[None]]

AFTER_INGEST_EVERY = 1.0  # seconds between two after-ingest runs of one guild, at least


def configure_logging(level: str) -> None:
    """Configure the root logger once (a second call changes nothing)."""
    root = logging.getLogger()
    if root.handlers:
        return
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("discord").setLevel(max(logging.INFO, root.level))
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


class Services:
    """What runs with or without Discord: databases, the plugin listener, the scheduler."""

    def __init__(self, settings: Settings, tenants: TenantsFile) -> None:
        self.settings = settings
        self.tenants = tenants
        self.db = Database(
            settings.database_url,
            {t.guild_id: t.database_url for t in tenants.tenants if t.database_url},
        )
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.keys = KeyStore(self.db)
        self.listener = ListenerServer(self)
        self.alert_subscribers: list[AlertSubscriber] = []
        self._background: set[asyncio.Task[Any]] = set()
        self._pending: dict[int, Pending] = {}

    def spawn(self, coro: Awaitable[Any], *, name: str) -> None:
        """Run work in the background; failures are logged, and `close()` waits for it."""

        async def guarded() -> None:
            try:
                await coro
            except Exception:
                log.exception("background task %s failed", name)

        task = asyncio.get_running_loop().create_task(guarded(), name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    @property
    def public_url(self) -> str:
        """The URL members paste into BGS-Tally: LISTENER_PUBLIC_URL, else where we listen."""
        if self.settings.listener_public_url:
            return self.settings.public_url
        return self.listener.url

    async def wait_background(self) -> None:
        """Wait until the background work started so far has finished."""
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    def events_stored(self, guild_id: int, result: IngestResult) -> None:
        """Run the after-ingest work (conflicts, protected factions) off the request path.

        One run per guild at a time, at most one a second: the batches stored meanwhile are
        handled together by the next run, so a busy listener makes one run a second instead of
        one per request (alerts wait at most that second longer).
        """
        pending = self._pending.get(guild_id)
        if pending is not None:  # a run is under way: the next one takes these
            pending.add(result)
            return
        pending = Pending()
        pending.add(result)
        if pending:
            self._pending[guild_id] = pending
            self.spawn(self._after_ingest_runs(guild_id), name=f"after-ingest-{guild_id}")

    async def _after_ingest_runs(self, guild_id: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            while pending := self._pending[guild_id]:
                self._pending[guild_id] = Pending()
                started = loop.time()
                try:
                    await self._after_ingest(guild_id, pending)
                except Exception:
                    log.exception("after-ingest work of guild %s failed", guild_id)
                if self._pending[guild_id]:
                    await asyncio.sleep(started + AFTER_INGEST_EVERY - loop.time())
        finally:
            del self._pending[guild_id]

    async def _after_ingest(self, guild_id: int, pending: Pending) -> None:
        alerts = await after_ingest(self.db, guild_id, pending)
        if alerts:
            for subscriber in self.alert_subscribers:
                await subscriber(guild_id, alerts)

    async def start(self) -> None:
        await tenant_service.provision(self.db, self.tenants)
        await self.listener.start()
        self.scheduler.start()

    async def close(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.listener.stop()
        await self.wait_background()
        await self.db.dispose()


async def migrate_all(settings: Settings, tenants: TenantsFile) -> None:
    """`alembic upgrade head` on the default database and every tenant's own database."""
    db = Database(
        settings.database_url,
        {t.guild_id: t.database_url for t in tenants.tenants if t.database_url},
    )
    try:
        for url in db.urls:
            await upgrade(db.engine(url))
            log.info("database %s is at the newest schema", db.engine(url).url)
    finally:
        await db.dispose()


COMMAND_HASH_KEY = "command_tree_hash"


class WardenBot(commands.Bot):
    """The Discord bot: owns the services and stops them when it closes.

    Intents: only `guilds` (no privileged intents). Slash commands carry the member's roles
    and permissions in each interaction, so the members intent is not needed; the bot never
    reads message content.
    """

    def __init__(self, services: Services, *, sync_commands: bool | None = None, **options: Any):
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents,
            allowed_contexts=app_commands.AppCommandContext(guild=True),
            allowed_mentions=discord.AllowedMentions.none(),
            **options,
        )
        self.services = services
        self._sync_commands = sync_commands
        self.tree.interaction_check = resolve_tenant  # type: ignore[method-assign]
        self.tree.on_error = on_tree_error  # type: ignore[method-assign]

    async def setup_hook(self) -> None:
        await self.services.start()
        for extension in COGS:
            await self.load_extension(extension)
        await self.sync_commands(force=bool(self._sync_commands))

    def command_hash(self) -> str:
        payload = sorted(
            (command.to_dict(self.tree) for command in self.tree.get_commands()),
            key=lambda command: str(command["name"]),
        )
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Publish the command tree when it changed since the last sync (or when forced)."""
        if self._sync_commands is False:
            return False
        digest = self.command_hash()
        key = f"{COMMAND_HASH_KEY}:{self.application_id}"
        async with self.services.db.unscoped() as session:
            stored = await session.get(BotState, key)
        if stored is not None and stored.value == digest and not force:
            log.info("slash commands unchanged since the last sync; not syncing")
            return False
        synced = await self.tree.sync()
        async with self.services.db.unscoped_write() as session:
            await session.merge(BotState(key=key, value=digest, updated_at=tenant_service.utcnow()))
        log.info("synced %d slash commands with Discord", len(synced))
        return True

    async def close(self) -> None:
        await self.services.close()
        await super().close()


def build_bot(settings: Settings, tenants: TenantsFile, **options: Any) -> WardenBot:
    """The bot for these settings; extra `discord.Client` options pass through (tests use them)."""
    services = Services(settings, tenants)
    if settings.shard_count is not None:
        options.setdefault("shard_count", settings.shard_count)
        options.setdefault("shard_ids", settings.parsed_shard_ids)
    return WardenBot(services, **options)


async def _wait_for_stop_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def _freeze_startup_heap() -> None:
    """What start-up made lives as long as the process: keep full garbage collections from
    scanning it over and over (each scan stalls every request for tens of milliseconds)."""
    gc.collect()
    gc.freeze()


async def _freeze_when_ready(bot: WardenBot) -> None:
    await bot.wait_until_ready()  # cogs loaded, commands synced, guilds cached
    _freeze_startup_heap()


async def run_listener_only(settings: Settings, tenants: TenantsFile) -> None:
    services = Services(settings, tenants)
    try:
        await services.start()
        _freeze_startup_heap()
        log.warning(
            "Discord is off: no DISCORD_TOKEN is set, so only the plugin listener runs "
            "(collecting data). Set DISCORD_TOKEN in the environment or in .env to turn it on."
        )
        await _wait_for_stop_signal()
        log.info("shutting down")
    finally:
        await services.close()


Command = Callable[[argparse.Namespace, Settings, TenantsFile], Coroutine[Any, Any, None]]


async def run_bot(settings: Settings, tenants: TenantsFile, *, force_sync: bool = False) -> None:
    assert settings.discord_token is not None
    bot = build_bot(settings, tenants, sync_commands=force_sync or None)
    runner = asyncio.create_task(bot.start(settings.discord_token.get_secret_value()))
    stopper = asyncio.create_task(_wait_for_stop_signal())
    freezer = asyncio.create_task(_freeze_when_ready(bot))
    try:
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if runner in done:
            runner.result()
        log.info("shutting down")
    except discord.LoginFailure:
        raise ConfigError("Discord refused DISCORD_TOKEN; check the bot token") from None
    finally:
        stopper.cancel()
        freezer.cancel()
        await bot.close()
        if not runner.done():
            await asyncio.wait({runner}, timeout=10)


async def _cmd_run(_args: argparse.Namespace, settings: Settings, tenants: TenantsFile) -> None:
    if settings.discord_token is None:
        await run_listener_only(settings, tenants)
    else:
        await run_bot(settings, tenants)


async def _cmd_sync(_args: argparse.Namespace, settings: Settings, tenants: TenantsFile) -> None:
    if settings.discord_token is None:
        raise ConfigError("set DISCORD_TOKEN to sync the slash commands with Discord")
    bot = build_bot(settings, tenants, sync_commands=True)
    try:
        await bot.login(settings.discord_token.get_secret_value())
        await bot.services.db.ping()
        for extension in COGS:
            await bot.load_extension(extension)
        await bot.sync_commands(force=True)
    except discord.LoginFailure:
        raise ConfigError("Discord refused DISCORD_TOKEN; check the bot token") from None
    finally:
        await bot.close()


async def _cmd_migrate(_args: argparse.Namespace, settings: Settings, tenants: TenantsFile) -> None:
    await migrate_all(settings, tenants)


async def _cmd_apikey(args: argparse.Namespace, settings: Settings, tenants: TenantsFile) -> None:
    db = Database(
        settings.database_url,
        {t.guild_id: t.database_url for t in tenants.tenants if t.database_url},
    )
    try:
        async with db.tenant_write(args.guild) as session:
            if args.action == "create":
                key, info = await apikeys.create_key(
                    session, label=args.label, created_by="command line"
                )
                print(f"API key {info.id} ({info.label}) for guild {args.guild}:")
                print(f"  {key}")
                print("It is shown only this once. In BGS-Tally's API settings paste:")
                print(f"  URL: {settings.public_url}")
                print(f"  Key: {key}")
            elif args.action == "list":
                keys = await apikeys.list_keys(session)
                if not keys:
                    print(f"guild {args.guild} has no API keys")
                for info in keys:
                    print(apikeys.describe(info))
            else:
                try:
                    info = await apikeys.revoke_key(session, args.key_id)
                except apikeys.UnknownKeyError as exc:
                    raise ConfigError(str(exc)) from None
                print(f"revoked: {apikeys.describe(info)}")
    finally:
        await db.dispose()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bot.py", description="BGS Warden Discord bot")
    parser.set_defaults(handler=_cmd_run)
    subcommands = parser.add_subparsers(title="commands", metavar="COMMAND")
    subcommands.add_parser("run", help="start the bot (the default)").set_defaults(handler=_cmd_run)
    subcommands.add_parser(
        "migrate", help="apply database migrations to every configured database"
    ).set_defaults(handler=_cmd_migrate)

    subcommands.add_parser(
        "sync", help="publish the slash commands to Discord now (normally automatic)"
    ).set_defaults(handler=_cmd_sync)

    apikey = subcommands.add_parser("apikey", help="create, list or revoke listener API keys")
    actions = apikey.add_subparsers(title="actions", dest="action", required=True)
    create = actions.add_parser("create", help="create a key (printed once)")
    create.add_argument("--guild", type=int, required=True, help="Discord guild (server) id")
    create.add_argument("--label", default="command line", help="what the key is for")
    listing = actions.add_parser("list", help="list a guild's keys (never the keys themselves)")
    listing.add_argument("--guild", type=int, required=True)
    revoke = actions.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("--guild", type=int, required=True)
    revoke.add_argument("key_id", type=int, metavar="KEYID")
    apikey.set_defaults(handler=_cmd_apikey)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings.log_level)
        tenants = load_tenants(settings.tenants_file)
        handler: Command = args.handler
        asyncio.run(handler(args, settings, tenants))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
