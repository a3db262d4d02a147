"""Typed keys for everything shared on the aiohttp application, in one place.

The composition root (:mod:`bot.web.app`) sets them; the handlers read them and
see ports, never an adapter's type.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import ClientSession, web
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from redis.asyncio import Redis

from bot.clock import Clock
from bot.core.console import ConsoleReadModel, StaffAccounts
from bot.core.ports import FlowCatalog, LoginThrottle, RateLimiter, Store, TaskQueue
from bot.services.conversations import ConversationService
from bot.services.reminders import ReminderService
from bot.services.reschedules import RescheduleService
from bot.services.waitlist import WaitlistService
from bot.settings import Settings
from bot.web.in_flight import InFlight
from reports.archive import ReportArchive

__all__ = [
    "API_LIMITER",
    "API_TASKS",
    "ARCHIVE",
    "CLOCK",
    "CLOSING",
    "CONVERSATIONS",
    "DB",
    "FLOWS",
    "GAUGES",
    "IN_FLIGHT",
    "LOGIN_THROTTLE",
    "LOOPBACK",
    "MONGO",
    "OPENAPI",
    "OPERATOR_PORT",
    "PROBES",
    "QUEUE",
    "READS",
    "REDIS",
    "REMINDERS",
    "RESCHEDULES",
    "SCHEMA_READY",
    "SETTINGS",
    "SIGNING_KEY",
    "STAFF",
    "STORE",
    "TEMPLATE_CHECK",
    "TEMPLATE_PROBLEMS",
    "TURNS",
    "WAITLIST",
]

# --- The process's resources ------------------------------------------------------------

SETTINGS = web.AppKey("settings", Settings)
MONGO = web.AppKey("mongo", AsyncMongoClient[dict[str, Any]])
DB = web.AppKey("db", AsyncDatabase[dict[str, Any]])
STORE: web.AppKey[Store] = web.AppKey("store")
REDIS = web.AppKey("redis", Redis)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
SCHEMA_READY = web.AppKey("schema_ready", dict[str, bool])
# What /readyz asks, by dependency name: each answers or raises.
PROBES: web.AppKey[Mapping[str, Callable[[], Awaitable[object]]]] = web.AppKey("probes")
# Refreshes the backlog gauges /metrics shows (outbox, dead letters, task queue).
GAUGES: web.AppKey[Callable[[], Awaitable[None]]] = web.AppKey("gauges")
# The probes and gauge refreshes still running: a check that times out joins them, never
# cancels them (a cancelled pymongo call can leave its client stuck).
IN_FLIGHT = web.AppKey("in_flight", InFlight)
# The key Twilio signs webhooks with: the auth token, or the simulator's own key.
SIGNING_KEY = web.AppKey("signing_key", str)
# The start-up template check's findings (``flows/FILE.yaml:LINE: ...``); shown in /readyz.
TEMPLATE_PROBLEMS = web.AppKey("template_problems", list[str])
# How the start checks them: a child process by default (bot.adapters.template_check).
TEMPLATE_CHECK: web.AppKey[Callable[[Settings], Awaitable[list[str]]]] = web.AppKey(
    "template_check"
)
CONVERSATIONS = web.AppKey("conversations", ConversationService)
REMINDERS = web.AppKey("reminders", ReminderService)
RESCHEDULES = web.AppKey("reschedules", RescheduleService)
WAITLIST = web.AppKey("waitlist", WaitlistService)
FLOWS: web.AppKey[FlowCatalog] = web.AppKey("flows")
QUEUE: web.AppKey[TaskQueue] = web.AppKey("queue")
# Conversation turns running after their webhook answered; awaited at shutdown.
TURNS = web.AppKey("turns", set[asyncio.Task[None]])
# Built reports, as the robot downloads them.
ARCHIVE: web.AppKey[ReportArchive] = web.AppKey("report_archive")

# --- The robot's API --------------------------------------------------------------------

# Per-token request rate, shared by every web process through Redis.
API_LIMITER: web.AppKey[RateLimiter] = web.AppKey("api_limiter")
# Large batches running after their 202; awaited (then cancelled) at shutdown.
API_TASKS = web.AppKey("api_tasks", set[asyncio.Task[None]])
OPENAPI = web.AppKey("openapi", dict[str, Any])

# --- The pages --------------------------------------------------------------------------

STAFF: web.AppKey[StaffAccounts] = web.AppKey("staff")
READS: web.AppKey[ConsoleReadModel] = web.AppKey("console_reads")
# Failed logins per account and per client, shared by every web process through Redis.
LOGIN_THROTTLE: web.AppKey[LoginThrottle] = web.AppKey("login_throttle")
# The simulator posts the patient's messages to our own webhook through this.
LOOPBACK = web.AppKey("loopback", ClientSession)
# Set when the server begins to shut down: live event streams end at once.
CLOSING = web.AppKey("pages_closing", asyncio.Event)
# True on the operator's own port (METRICS_PORT, never published): /metrics needs no token there.
OPERATOR_PORT: web.AppKey[bool] = web.AppKey("operator_port", bool)
