"""Typed keys for what the API keeps on the application."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from bot.adapters.ratelimit import RedisRateLimiter

__all__ = ["API_LIMITER", "API_TASKS", "OPENAPI"]

# Per-token request rate, shared by every web process through Redis.
API_LIMITER = web.AppKey("api_limiter", RedisRateLimiter)
# Large batches running after their 202; awaited (then cancelled) at shutdown.
API_TASKS = web.AppKey("api_tasks", set[asyncio.Task[None]])
OPENAPI = web.AppKey("openapi", dict[str, Any])
