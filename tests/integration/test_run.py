"""The `make run` path: migrate, then start listener-only on a temporary SQLite database."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get_health(port: int) -> dict[str, str] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            assert response.status == 200
            body: dict[str, str] = json.load(response)
            return body
    except urllib.error.URLError:
        return None


def test_listener_only_start_health_and_clean_shutdown(tmp_path: Path) -> None:
    port = free_port()
    database = tmp_path / "data" / "warden.db"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "LISTENER_PORT": str(port),
        "TENANTS_FILE": str(tmp_path / "tenants.json"),
        "DISCORD_TOKEN": "",
        "LOG_LEVEL": "INFO",
    }
    migrate = subprocess.run(
        [sys.executable, "bot.py", "migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr
    assert database.exists()

    process = subprocess.Popen(
        [sys.executable, "bot.py"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        body = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and body is None:
            body = get_health(port)
            if body is None:
                time.sleep(0.1)
        assert body is not None, "the listener did not answer within 20 s"
        assert body["status"] == "ok"
        assert body["database"] == "ok"
        assert body["discord"] == "off"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "Discord is off" in stderr
    assert "Set DISCORD_TOKEN" in stderr
