"""Typed keys for everything shared on the aiohttp application."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from redis.asyncio import Redis

from bot.core.ports import Store
from bot.settings import Settings

__all__ = ["CLOCK", "DB", "MONGO", "REDIS", "SCHEMA_READY", "SETTINGS", "STORE"]

SETTINGS = web.AppKey("settings", Settings)
MONGO = web.AppKey("mongo", AsyncMongoClient[dict[str, Any]])
DB = web.AppKey("db", AsyncDatabase[dict[str, Any]])
STORE: web.AppKey[Store] = web.AppKey("store")
REDIS = web.AppKey("redis", Redis)
Clock = Callable[[], datetime]
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
SCHEMA_READY = web.AppKey("schema_ready", dict[str, bool])
