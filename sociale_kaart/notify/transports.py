"""Ways to deliver a built e-mail: SMTP (none / STARTTLS / SSL) or .eml files for development."""

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol


class DeliveryError(Exception):
    """Delivery failed; the message says why without secrets."""


class Transport(Protocol):
    """Delivers one built e-mail; `name` identifies it (outbox id and template); raises DeliveryError."""

    def send(self, message: EmailMessage, name: str) -> None: ...


class SMTPTransport:
    """Send over SMTP with smtplib; security is 'none', 'starttls' or 'ssl'."""

    def __init__(self, host, port=25, username="", password="", security="none", timeout=10.0):
        if security not in ("none", "starttls", "ssl"):
            raise ValueError(f"SMTP_SECURITY must be none, starttls or ssl, not {security!r}")
        self.host, self.port, self.username, self.password = host, int(port), username, password
        self.security, self.timeout = security, timeout

    def _connect(self):
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ssl.create_default_context())
        connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            connection.starttls(context=ssl.create_default_context())
        return connection

    def send(self, message, name):
        """Deliver one email.message.EmailMessage; raise DeliveryError when it fails."""
        try:
            with self._connect() as connection:
                if self.username:
                    connection.login(self.username, self.password)
                refused = connection.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(_describe(error)) from None
        if refused:
            raise DeliveryError(f"recipient refused: {sorted(refused)}")


class FileTransport:
    """Write each message to <folder>/<name>.eml so a developer can read it (no SMTP set up)."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def send(self, message, name):
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / f"{name}.eml").write_bytes(bytes(message))
        except OSError as error:
            raise DeliveryError(_describe(error)) from None


def _describe(error):
    """Return an error's class and text, short; smtplib errors never contain the password."""
    if isinstance(error, smtplib.SMTPResponseException):
        detail = (
            error.smtp_error.decode("utf-8", "replace")
            if isinstance(error.smtp_error, bytes)
            else str(error.smtp_error)
        )
        text = f"{error.smtp_code} {detail}"
    else:
        text = str(error)
    return f"{type(error).__name__}: {text}"[:500]


def create_transport(config: Mapping[str, Any]) -> Transport:
    """Return the SMTP transport when SMTP_HOST is set, else the file transport in MAIL_DIR."""
    if config.get("SMTP_HOST"):
        return SMTPTransport(
            config["SMTP_HOST"],
            config["SMTP_PORT"],
            config.get("SMTP_USERNAME", ""),
            config.get("SMTP_PASSWORD", ""),
            config.get("SMTP_SECURITY", "none"),
            config.get("SMTP_TIMEOUT", 10.0),
        )
    return FileTransport(config["MAIL_DIR"])
