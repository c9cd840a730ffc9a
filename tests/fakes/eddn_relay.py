"""A loopback EDDN relay: a ZeroMQ PUB socket bound on 127.0.0.1 that sends each envelope as the
real relay does (eddn.md §1): one frame of `zlib.compress(json.dumps(envelope, sort_keys=True))`,
no topic. It can also send raw frames (not zlib, not JSON), go silent, and restart on the same
port as the live relay does every Thursday."""

from __future__ import annotations

import asyncio
import json
import zlib
from types import TracebackType
from typing import Any

import zmq
import zmq.asyncio

SEND_BUFFER = 200_000  # frames; the real relay's 500 would drop a test's burst


def frame_of(envelope: Any) -> bytes:
    """An envelope as the relay sends it."""
    return zlib.compress(json.dumps(envelope, sort_keys=True).encode())


class FakeRelay:
    def __init__(self) -> None:
        self._context = zmq.asyncio.Context()
        self._socket: zmq.asyncio.Socket | None = None
        self.port = 0
        self.sent = 0

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Bind (on a free port the first time, on the same port after a stop)."""
        socket = self._context.socket(zmq.PUB)
        socket.setsockopt(zmq.LINGER, 0)
        socket.setsockopt(zmq.SNDHWM, SEND_BUFFER)
        if self.port:
            socket.bind(self.url)
        else:
            self.port = socket.bind_to_random_port("tcp://127.0.0.1")
        self._socket = socket

    def stop(self) -> None:
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None

    async def restart(self) -> None:
        """Close and bind again on the same port: every subscriber loses its connection.
        (libzmq releases the port in its own thread, a moment after the close.)"""
        self.stop()
        for _ in range(100):
            try:
                self.start()
                return
            except zmq.ZMQError:
                await asyncio.sleep(0.02)
        self.start()

    async def send_frame(self, frame: bytes) -> None:
        assert self._socket is not None, "the relay is stopped"
        await self._socket.send(frame)
        self.sent += 1

    async def send(self, envelope: Any) -> None:
        await self.send_frame(frame_of(envelope))

    async def __aenter__(self) -> FakeRelay:
        self.start()
        return self

    async def __aexit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()
        self._context.destroy(linger=0)
