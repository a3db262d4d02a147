"""Typed keys for what the pages share on the application."""

from __future__ import annotations

import asyncio

from aiohttp import ClientSession, web

from bot.adapters.console_reads import ConsoleReads
from bot.adapters.staff import StaffDirectory

__all__ = ["CLOSING", "LOOPBACK", "READS", "STAFF"]

STAFF = web.AppKey("staff", StaffDirectory)
READS = web.AppKey("console_reads", ConsoleReads)
# The simulator posts the patient's messages to our own webhook through this.
LOOPBACK = web.AppKey("loopback", ClientSession)
# Set when the server begins to shut down: live event streams end at once.
CLOSING = web.AppKey("pages_closing", asyncio.Event)
