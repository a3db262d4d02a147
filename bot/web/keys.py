"""Typed keys for everything shared on the aiohttp application."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from redis.asyncio import Redis

from bot.clock import Clock
from bot.core.ports import FlowCatalog, Store, TaskQueue
from bot.services.conversations import ConversationService
from bot.services.reminders import ReminderService
from bot.settings import Settings
from reports.archive import ReportArchive

__all__ = [
    "ARCHIVE",
    "CLOCK",
    "CONVERSATIONS",
    "DB",
    "FLOWS",
    "MONGO",
    "QUEUE",
    "REDIS",
    "REMINDERS",
    "SCHEMA_READY",
    "SETTINGS",
    "SIGNING_KEY",
    "STORE",
    "TURNS",
]

SETTINGS = web.AppKey("settings", Settings)
MONGO = web.AppKey("mongo", AsyncMongoClient[dict[str, Any]])
DB = web.AppKey("db", AsyncDatabase[dict[str, Any]])
STORE: web.AppKey[Store] = web.AppKey("store")
REDIS = web.AppKey("redis", Redis)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
SCHEMA_READY = web.AppKey("schema_ready", dict[str, bool])
# The key Twilio signs webhooks with: the auth token, or the simulator's own key.
SIGNING_KEY = web.AppKey("signing_key", str)
CONVERSATIONS = web.AppKey("conversations", ConversationService)
REMINDERS = web.AppKey("reminders", ReminderService)
FLOWS: web.AppKey[FlowCatalog] = web.AppKey("flows")
QUEUE: web.AppKey[TaskQueue] = web.AppKey("queue")
# Conversation turns running after their webhook answered; awaited at shutdown.
TURNS = web.AppKey("turns", set[asyncio.Task[None]])
# Built reports, as the robot downloads them.
ARCHIVE: web.AppKey[ReportArchive] = web.AppKey("report_archive")
