"""Report emails: compose (pure) and send over SMTP with aiosmtplib.

``SMTP_URL`` forms:

- ``smtp://host:587`` — plain connection, upgraded with STARTTLS when the server offers it
- ``smtp://host:587?starttls=required`` — refuse to send unless STARTTLS succeeds
- ``smtps://host:465`` — TLS from the first byte
- ``smtp://user:password@host:587`` — with AUTH (user and password URL-encoded)

The subject and body carry no patient data: only the clinic, unit and date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from reports.data import ReportKind
from reports.pdf import TITLES
from reports.records import TO_CONTACT
from reports.text import format_date, format_int, format_long_date, format_percent

__all__ = ["Attachment", "SmtpTarget", "compose", "parse_smtp_url", "send", "subject_for"]

_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str  # maintype/subtype
    data: bytes


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    hostname: str
    port: int
    use_tls: bool
    start_tls: bool | None  # None: when offered; True: required
    username: str | None = None
    password: str | None = None


def parse_smtp_url(url: str) -> SmtpTarget:
    """An SMTP_URL as aiosmtplib's arguments (raises ValueError on another scheme)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"SMTP_URL must start with smtp:// or smtps://, not {parts.scheme}://")
    if not parts.hostname:
        raise ValueError("SMTP_URL has no host")
    tls = parts.scheme == "smtps"
    query = parse_qs(parts.query)
    required = query.get("starttls", [""])[0].lower() in ("required", "true", "1")
    return SmtpTarget(
        hostname=parts.hostname,
        port=parts.port or (465 if tls else 25),
        use_tls=tls,
        start_tls=False if tls else (True if required else None),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def subject_for(kind: ReportKind, scope: str, day: date) -> str:
    """ "Relatório diário – Clínica X – 30/11/2026": no patient data."""
    title = "Relatório diário" if kind is ReportKind.SUMMARY else "Presença prevista"
    return f"{title} – {scope} – {format_date(day)}"


def compose(
    *,
    clinic: str,
    scope: str,
    day: date,
    kind: ReportKind,
    totals: Mapping[str, int],
    sender: str,
    recipients: Sequence[str],
    attachments: Sequence[Attachment],
) -> EmailMessage:
    """The email of one stored report, with its files attached."""
    message = EmailMessage()
    message["Subject"] = subject_for(kind, scope, day)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="digitaly.local")
    count = int(totals.get("appointments", 0))
    confirmed = int(totals.get("confirmed", 0))
    to_call = sum(int(totals.get(k, 0)) for k in TO_CONTACT)
    message.set_content(
        f"{TITLES[kind]} – {scope}\n"
        f"{format_long_date(day)}\n\n"
        f"Consultas: {format_int(count)}\n"
        f"Confirmadas: {format_int(confirmed)} "
        f"({format_percent(confirmed / count if count else None)})\n"
        f"Desmarcadas: {format_int(int(totals.get('cancelled', 0)))}\n"
        f"A contatar: {format_int(to_call)}\n\n"
        "As listas de presença e de ausentes estão no PDF anexo; a planilha (CSV) abre no Excel.\n"
        "Os anexos contêm dados pessoais de pacientes: não encaminhe este email.\n\n"
        f"{clinic}\n"
    )
    for attachment in attachments:
        maintype, subtype = attachment.content_type.split(";")[0].strip().split("/")
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


async def send(message: EmailMessage, smtp_url: str) -> None:
    """Send one message; raises aiosmtplib.SMTPException / OSError when it did not go."""
    target = parse_smtp_url(smtp_url)
    await aiosmtplib.send(
        message,
        hostname=target.hostname,
        port=target.port,
        use_tls=target.use_tls,
        start_tls=target.start_tls,
        username=target.username,
        password=target.password,
        timeout=_TIMEOUT_SECONDS,
    )
