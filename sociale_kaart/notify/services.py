"""Queue e-mail in the outbox; the caller's commit makes it durable with the change itself."""

import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, NamedTuple, cast

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale
from sqlalchemy import CursorResult, func, select, update

from .. import clock
from ..errors import NotFound
from ..extensions import db
from .models import STATUSES, OutboxMessage
from .transports import DeliveryError, Transport, create_transport


def external_url(endpoint: str, **values: Any) -> str:
    """Return an absolute URL for a link in an e-mail, also outside a request (CLI, worker)."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        return url_for(endpoint, _external=True, **values)


def render_message(template: str, language: str, **context: Any) -> tuple[str, str, str]:
    """Render mail/<template>.txt (first line: subject) and .html in a language."""
    language = language if language in current_app.config["LANGUAGES"] else "nl"
    with force_locale(language):
        text = render_template(f"mail/{template}.txt", language=language, **context)
        subject, _, body = text.strip().partition("\n")
        body_text = body.strip() + "\n"
        body_html = render_template(f"mail/{template}.html", language=language, subject=subject.strip(), **context)
    return subject.strip(), body_text, body_html


def queue_message(to_address: str, template: str, language: str = "nl", **context: Any) -> OutboxMessage:
    """Add an e-mail to the outbox in the current transaction (the caller commits)."""
    subject, body_text, body_html = render_message(template, language, **context)
    message = OutboxMessage(
        to_address=to_address,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        template=template,
        language=language,
    )
    db.session.add(message)
    return message


# --- deferred jobs (issue #12) -----------------------------------------------------------------
# A job is an outbox row that the sender first turns into an e-mail, or drops. A request that
# must not show what it found (a reset for an address with or without an account) queues one
# and so does the same work either way. Jobs are named by their `template`; app.extensions
# [RESOLVERS] maps each name to a function (address -> Draft or None), filled by create_app.

RESOLVERS = "sociale_kaart.outbox_resolvers"


class Draft(NamedTuple):
    """The e-mail a resolver makes of a job: address, template, language and the template's values."""

    to_address: str
    template: str
    language: str
    context: dict[str, Any]


def queue_deferred(to_address: str, job: str) -> OutboxMessage:
    """Add a job for the sender to the outbox in the current transaction (the caller commits)."""
    message = OutboxMessage(to_address=to_address, subject="", body_text="", body_html="", template=job)
    db.session.add(message)
    return message


# Templates whose row leaves the outbox once it is sent or has failed for good (issue #19): the
# address was typed in for that one e-mail (a list of services sent to someone without an account),
# so it is kept no longer than the sending takes. app.extensions[FORGET_AFTER_SENDING] is a set of
# template names, filled by create_app.
FORGET_AFTER_SENDING = "sociale_kaart.outbox_forget_after_sending"


def _forget_when_done(message):
    """Delete a sent or given-up message whose template is forgotten after sending (the caller commits)."""
    if message.status != "queued" and message.template in current_app.extensions.get(FORGET_AFTER_SENDING, ()):
        db.session.delete(message)


def _resolve(message):
    """Turn a job into its e-mail; return False when there is nothing to send (the row is deleted)."""
    resolver = current_app.extensions.get(RESOLVERS, {}).get(message.template)
    if resolver is None:
        return True
    draft = resolver(message.to_address)
    if draft is None:
        db.session.delete(message)  # with it the address that was asked about
        db.session.commit()
        return False
    message.subject, message.body_text, message.body_html = render_message(
        draft.template, draft.language, **draft.context
    )
    message.to_address, message.template, message.language = draft.to_address, draft.template, draft.language
    return True


# --- sending (issue #3) ----------------------------------------------------------------------

# Minutes to wait after the 1st, 2nd, ... failed attempt.
BACKOFF_MINUTES = (1, 5, 15, 60, 240)


_utcnow = clock.naive_utcnow
_naive = clock.naive_utc


def backoff(attempts: int) -> timedelta:
    """Return the wait before the next try after `attempts` failed attempts."""
    return timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])


def header_value(text: object) -> str:
    """Return text fit for one header line: every line break and control character a space (#12).

    A name with a carriage return, VT, FF, NEL or U+2028 in a subject made EmailMessage raise,
    and the sender stopped on that message at every run.
    """
    cleaned = "".join(
        " " if unicodedata.category(char)[0] in "CZ" and char != " " else char for char in str(text or "")
    )
    return " ".join(cleaned.split())


def build_email(message: OutboxMessage, mail_from: str) -> EmailMessage:
    """Return an EmailMessage (plain text plus HTML alternative) for an outbox row."""
    email = EmailMessage()
    email["Subject"] = header_value(message.subject)
    email["From"] = header_value(mail_from)
    email["To"] = header_value(message.to_address)
    email["Date"] = formatdate(localtime=False)
    domain = mail_from.rpartition("@")[2].strip(" >") or "localhost"
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain=domain)
    email["Content-Language"] = message.language
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


def _claim(message_id, now, lease):
    """Take one due message for this worker: a conditional UPDATE, so two workers never both win."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now)
        .values(next_attempt_at=now + lease, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return cast(CursorResult[Any], result).rowcount == 1


def send_due(now: datetime | None = None, limit: int = 100, transport: Transport | None = None) -> tuple[int, int]:
    """Send the queued messages that are due; return (sent, failed_attempts)."""
    config = current_app.config
    now = _naive(now)
    transport = transport or create_transport(config)
    max_attempts = config["MAIL_MAX_ATTEMPTS"]
    due_ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    sent = failed = 0
    # While one worker sends, the row's next_attempt_at is pushed past the SMTP timeout (a lease).
    lease = timedelta(seconds=max(60, 3 * float(config.get("SMTP_TIMEOUT", 10))))
    for message_id in due_ids:
        if not _claim(message_id, now, lease):
            continue
        message = db.session.get(OutboxMessage, message_id, populate_existing=True)
        if message is None or not _resolve(message):  # None: deleted since the claim (an erased account)
            continue
        try:
            email = build_email(message, config["MAIL_FROM"])
        except (ValueError, TypeError) as error:
            # a message that cannot be built never will be: fail it, with the reason, and go on
            failed += 1
            message.status, message.last_error = "failed", f"cannot build the e-mail: {type(error).__name__}"
            _forget_when_done(message)
            db.session.commit()
            current_app.logger.error(
                "outbox message %s failed: it cannot be built (%s)", message_id, type(error).__name__
            )
            continue
        try:
            transport.send(email, f"{message.id}-{message.template}")
        except DeliveryError as error:
            failed += 1
            message.last_error = str(error)
            if message.attempts >= max_attempts:
                message.status = "failed"
            else:
                message.next_attempt_at = now + backoff(message.attempts)
        else:
            sent += 1
            message.status, message.sent_at, message.last_error = "sent", now, ""
        _forget_when_done(message)
        db.session.commit()
    return sent, failed


def backlog(now: datetime | None = None) -> tuple[int, datetime | None]:
    """Return how many queued messages are due and since when the oldest of them is due (None: none; #16)."""
    now = _naive(now)
    count, oldest = db.session.execute(
        select(func.count(OutboxMessage.id), func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now
        )
    ).one()
    return count, oldest


def outbox_messages(statuses: Iterable[str], limit: int = 200) -> tuple[Sequence[OutboxMessage], dict[str, int]]:
    """Return outbox rows with these statuses (failed before queued, newest first) and counts per status."""
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status.in_(statuses))
        .order_by(OutboxMessage.status, OutboxMessage.next_attempt_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    ).all()
    counts: dict[str, int] = dict(
        db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    )
    return rows, {name: counts.get(name, 0) for name in STATUSES}


def requeue(message_id: int, now: datetime | None = None) -> OutboxMessage:
    """Put a failed or waiting message back in the queue with fresh attempts (the caller commits)."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status == "sent":
        raise NotFound(f"outbox message {message_id} to retry")
    message.status = "queued"
    message.attempts = 0
    message.next_attempt_at = _naive(now)
    return message
