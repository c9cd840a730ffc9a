"""The domain: what the data means. No Discord, no aiohttp.web."""
