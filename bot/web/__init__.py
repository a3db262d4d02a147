"""The aiohttp edge: app factory, webhooks, the RPA API, health."""

from bot.web.app import create_app

__all__ = ["create_app"]
