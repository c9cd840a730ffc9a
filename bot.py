"""BGS Warden: entry point, the services both modes run, and the Discord bot.

python bot.py              start (listener-only when DISCORD_TOKEN is not set)
python bot.py migrate      apply migrations to every configured database
python bot.py --help       every operator subcommand
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bgs import apikeys
from bgs import tenants as tenant_service
from bgs.ingest import IngestResult
from db.migrate import upgrade
from db.session import Database
from listener.auth import KeyStore
from listener.server import ListenerServer
from settings import ConfigError, Settings, TenantsFile, load_settings, load_tenants

log = logging.getLogger("warden")

__version__ = "0.1.0"

IngestHook = Callable[[int, IngestResult], Awaitable[None]]


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
        self.ingest_hooks: list[IngestHook] = []
        self._background: set[asyncio.Task[Any]] = set()

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

    async def wait_background(self) -> None:
        """Wait until the background work started so far has finished."""
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    def events_stored(self, guild_id: int, result: IngestResult) -> None:
        """Run the after-ingest work (conflicts, protected factions) off the request path."""
        for hook in self.ingest_hooks:
            self.spawn(hook(guild_id, result), name=f"ingest-hook-{guild_id}")

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


async def run_listener_only(settings: Settings, tenants: TenantsFile) -> None:
    services = Services(settings, tenants)
    try:
        await services.start()
        log.warning(
            "Discord is off: no DISCORD_TOKEN is set, so only the plugin listener runs "
            "(collecting data). Set DISCORD_TOKEN in the environment or in .env to turn it on."
        )
        await _wait_for_stop_signal()
        log.info("shutting down")
    finally:
        await services.close()


Command = Callable[[argparse.Namespace, Settings, TenantsFile], Coroutine[Any, Any, None]]


async def _cmd_run(_args: argparse.Namespace, settings: Settings, tenants: TenantsFile) -> None:
    if settings.discord_token is None:
        await run_listener_only(settings, tenants)
        return
    raise ConfigError("the Discord bot is not available in this build yet")


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
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    commands.add_parser("run", help="start the bot (the default)").set_defaults(handler=_cmd_run)
    commands.add_parser(
        "migrate", help="apply database migrations to every configured database"
    ).set_defaults(handler=_cmd_migrate)

    apikey = commands.add_parser("apikey", help="create, list or revoke listener API keys")
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
