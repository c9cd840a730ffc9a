"""What the feeds' HTTP clients share."""

from __future__ import annotations

import aiohttp


async def read_limited(response: aiohttp.ClientResponse, limit: int) -> bytes | None:
    """A response's whole body, or None as soon as it grows past `limit` bytes."""
    body = bytearray()
    async for chunk in response.content.iter_any():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)
