"""A local SMTP server (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import email
import socket
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

__all__ = ["SmtpServer"]


class _Handler:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


class SmtpServer:
    """``with SmtpServer() as smtp: smtp.url, smtp.messages``."""

    def __init__(self) -> None:
        with socket.socket() as sock:  # Controller(port=0) cannot connect to itself
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.handler = _Handler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[Message]:
        return self.handler.messages

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
