"""Delivery channels: SMTP email, an SMS HTTP API and a JSON-lines file outbox.

Every channel has ``send(message, to) -> str`` returning the provider's id (or "") and raising
``TemporaryFailure`` (try again later) or ``PermanentFailure`` (give up on this message).

SMS HTTP shape (as used by most SMS gateways): ``POST <url>`` with
``Authorization: Bearer <token>`` and JSON ``{"to", "from", "text", "reference"}`` where
``reference`` is the stable message id; a JSON answer may carry the provider id in ``id`` or
``message_id``. 2xx = sent, 429 and 5xx = temporary, other 4xx = permanent.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from scheduler.messages import Message
from scheduler.retry import PermanentFailure, TemporaryFailure

_TRUE = ("1", "true", "yes", "on")


class Channel(Protocol):
    def send(self, message: Message, to: str) -> str:
        """Deliver one message; return the provider id or ""."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


# 5xx answers that mean "our settings are wrong" (530: authentication or STARTTLS required),
# not "this message or address is bad": retried, so reminders go out once the settings are fixed.
_SETTINGS_CODES = frozenset({530})


def _smtp_failure(code: int, what: str) -> Exception:
    text = f"{what}: SMTP {code}"
    temporary = 400 <= code < 500 or code in _SETTINGS_CODES
    return TemporaryFailure(text) if temporary else PermanentFailure(text)


@dataclass
class SmtpChannel:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    security: str = "none"  # "none", "starttls" or "ssl"
    timeout: float = 10.0
    clock: Callable[[], datetime] = field(default=_utc_now, repr=False)
    cafile: str | None = None  # PEM bundle of extra CAs to trust (a clinic's private CA)

    @classmethod
    def from_url(cls, url: str, sender: str, timeout: float = 10.0,
                 cafile: str | None = None) -> SmtpChannel:
        """Build from ``smtp://user:pass@host:port?starttls=1`` or ``smtps://user:pass@host``.

        ``cafile`` names a PEM bundle of CAs trusted in addition to the system's.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP URL must look like smtp://user:pass@host:port or smtps://...")
        query = parse_qs(parts.query)
        starttls = query.get("starttls", ["0"])[0].lower() in _TRUE
        security = "ssl" if parts.scheme == "smtps" else ("starttls" if starttls else "none")
        port = parts.port or (465 if security == "ssl" else 587 if starttls else 25)
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        return cls(parts.hostname, port, sender, user, password, security, timeout,
                   cafile=cafile or None)

    def build_email(self, message: Message, to: str) -> EmailMessage:
        """Return the MIME email for a message (text, plus an HTML alternative when present)."""
        email = EmailMessage()
        email["Message-ID"] = message.message_id
        email["Date"] = format_datetime(self.clock().astimezone(UTC), usegmt=True)
        email["From"] = self.sender
        email["To"] = to
        email["Subject"] = message.subject
        for name, value in message.headers:
            email[name] = value
        email.set_content(message.text)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        return email

    def tls_context(self) -> ssl.SSLContext:
        """Return the client TLS context: system CAs plus ``cafile``, hostname checked."""
        context = ssl.create_default_context()
        if self.cafile:
            context.load_verify_locations(cafile=self.cafile)
        return context

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                    context=self.tls_context())
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            try:
                smtp.starttls(context=self.tls_context())
            except BaseException:
                smtp.close()
                raise
        return smtp

    def _deliver(self, email: EmailMessage, to: str) -> None:
        with self._connect() as smtp:
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(email, self.sender, [to])

    def send(self, message: Message, to: str) -> str:
        """Send by SMTP; 4xx and network problems are temporary, 5xx refusals permanent."""
        email = self.build_email(message, to)
        try:
            self._deliver(email, to)
        except smtplib.SMTPRecipientsRefused as exc:
            code = min(c for c, _ in exc.recipients.values())
            raise _smtp_failure(code, "recipient refused") from exc
        except (smtplib.SMTPConnectError, smtplib.SMTPHeloError) as exc:
            raise TemporaryFailure(f"SMTP server not ready ({exc.smtp_code})") from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise TemporaryFailure(f"SMTP login failed ({exc.smtp_code})") from exc
        except smtplib.SMTPResponseException as exc:
            raise _smtp_failure(exc.smtp_code, "message refused") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise _smtp_connection_failure(exc) from exc
        return ""


def _smtp_connection_failure(exc: Exception) -> TemporaryFailure:
    """Describe a TLS or network problem in plain words (server settings, never patient data)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TemporaryFailure(f"SMTP server certificate not trusted: {exc.verify_message}")
    if isinstance(exc, ssl.SSLError):
        return TemporaryFailure(f"SMTP TLS handshake failed: {exc.reason or type(exc).__name__}")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return TemporaryFailure(f"SMTP server does not offer what the settings ask: {exc}")
    return TemporaryFailure(f"SMTP server unreachable: {type(exc).__name__}")


@dataclass
class SmsHttpChannel:
    url: str
    token: str
    sender: str
    timeout: float = 10.0

    def _request(self, message: Message, to: str) -> urllib.request.Request:
        body = {"to": to, "from": self.sender, "text": message.text,
                "reference": message.message_id}
        headers = {"Authorization": f"Bearer {self.token}",
                   "Content-Type": "application/json", "Accept": "application/json"}
        return urllib.request.Request(self.url, json.dumps(body).encode(), headers,
                                      method="POST")

    def send(self, message: Message, to: str) -> str:
        """POST the SMS as JSON; 429/5xx/network are temporary, other 4xx permanent."""
        try:
            with urllib.request.urlopen(self._request(message, to), timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            failure = TemporaryFailure if exc.code == 429 or exc.code >= 500 else PermanentFailure
            raise failure(f"SMS gateway answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise TemporaryFailure(f"SMS gateway unreachable: {type(exc).__name__}") from exc
        return _provider_id(raw)


def _provider_id(raw: bytes) -> str:
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    return str(data.get("id") or data.get("message_id") or "")


@dataclass
class FileChannel:
    path: Path | str

    def send(self, message: Message, to: str) -> str:
        """Append the message as one JSON line to the outbox file and print a short notice."""
        record = {"to": to, "subject": message.subject, "text": message.text,
                  "html": message.html, "message_id": message.message_id}
        path = Path(self.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        print(f"outbox: reminder {message.message_id} written to {path.name}")
        return ""


def build_channel(kind: str, config: dict) -> Channel:
    """Build a channel: "smtp"/"email" {url, sender, cafile?}, "sms" {url, token, sender},
    "file" {path}."""
    if kind in ("smtp", "email"):
        return SmtpChannel.from_url(config["url"], config["sender"],
                                    float(config.get("timeout", 10)), config.get("cafile"))
    if kind in ("sms", "sms-http"):
        return SmsHttpChannel(config["url"], config["token"], config["sender"],
                              float(config.get("timeout", 10)))
    if kind == "file":
        return FileChannel(config["path"])
    raise ValueError(f"Unknown channel kind '{kind}' (use smtp, sms or file).")
