"""Sending the outbox: real SMTP (aiosmtpd), the file transport, retries with backoff."""

from datetime import datetime, timedelta

from sqlalchemy import select

from sociale_kaart.accounts import services as accounts
from sociale_kaart.extensions import db
from sociale_kaart.notify import services
from sociale_kaart.notify.models import OutboxMessage
from tests.builders import make_user
from tests.conftest import free_port

NOW = datetime(2026, 11, 23, 9, 0)


def queue(to="jan@example.org", when=NOW):
    message = services.queue_message(
        to, "password_changed", language="nl", name="Jan", reset_url="http://example.org/wachtwoord-vergeten"
    )
    message.next_attempt_at = when
    db.session.commit()
    return message


def test_send_due_delivers_multipart_mail_over_smtp(smtp_app, smtp_server):
    message = queue()
    assert services.send_due(now=NOW) == (1, 0)
    [received] = smtp_server.messages
    assert received["To"] == "jan@example.org"
    assert received["From"] == smtp_app.config["MAIL_FROM"]
    assert received["Subject"] == "Uw wachtwoord is veranderd"
    assert received["Message-ID"] and received["Date"]
    assert received.get_content_type() == "multipart/alternative"
    assert "Beste Jan" in received.get_body(("plain",)).get_content()
    assert "<p>" in received.get_body(("html",)).get_content()
    db.session.refresh(message)
    assert (message.status, message.attempts, message.sent_at) == ("sent", 1, NOW)


def test_messages_not_yet_due_wait(smtp_app, smtp_server):
    queue(when=NOW + timedelta(minutes=1))
    assert services.send_due(now=NOW) == (0, 0)
    assert smtp_server.messages == []


def test_refused_message_is_retried_with_backoff_then_failed(smtp_app, smtp_server):
    smtp_app.config["MAIL_MAX_ATTEMPTS"] = 3
    smtp_server.refuse = True
    message = queue()
    assert services.send_due(now=NOW) == (0, 1)
    db.session.refresh(message)
    assert message.status == "queued" and message.attempts == 1
    assert message.next_attempt_at == NOW + timedelta(minutes=1)
    assert "554" in message.last_error
    assert services.send_due(now=NOW + timedelta(seconds=59)) == (0, 0)  # not due yet
    second = NOW + timedelta(minutes=1)
    assert services.send_due(now=second) == (0, 1)
    db.session.refresh(message)
    assert message.next_attempt_at == second + timedelta(minutes=5)
    assert services.send_due(now=second + timedelta(minutes=5)) == (0, 1)
    db.session.refresh(message)
    assert (message.status, message.attempts) == ("failed", 3)
    assert services.send_due(now=NOW + timedelta(days=1)) == (0, 0)
    # an admin retries; the server accepts again
    smtp_server.refuse = False
    admin = make_user(roles=("admin",))
    accounts.retry_outbox_message(message.id, by=admin, now=NOW + timedelta(days=1))
    assert services.send_due(now=NOW + timedelta(days=1)) == (1, 0)
    assert len(smtp_server.messages) == 1


def test_server_down_schedules_a_retry_without_secrets_in_the_error(app):
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=free_port(),
        SMTP_TIMEOUT=2.0,
        SMTP_USERNAME="mailer",
        SMTP_PASSWORD="geheim-wachtwoord-123",
    )
    message = queue()
    assert services.send_due(now=NOW) == (0, 1)
    db.session.refresh(message)
    assert message.status == "queued" and "ConnectionRefusedError" in message.last_error
    assert "geheim" not in message.last_error


def test_without_smtp_messages_are_written_to_the_mail_folder(app, tmp_path):
    app.config["MAIL_DIR"] = str(tmp_path / "mail")
    message = queue()
    assert services.send_due(now=NOW) == (1, 0)
    written = (tmp_path / "mail" / f"{message.id}-password_changed.eml").read_text()
    assert "Subject: Uw wachtwoord is veranderd" in written and "multipart/alternative" in written


def test_a_claimed_message_is_not_claimed_again(app):
    message = queue()
    lease = timedelta(seconds=60)
    assert services._claim(message.id, NOW, lease) is True
    assert services._claim(message.id, NOW, lease) is False  # a second worker at the same moment
    assert services._claim(message.id, NOW + lease, lease) is True  # the first worker died: lease over


def test_backoff_grows_and_stays_at_the_last_step():
    assert [services.backoff(n) for n in (1, 2, 3, 4, 5, 6, 9)] == [
        timedelta(minutes=m) for m in (1, 5, 15, 60, 240, 240, 240)
    ]


def test_outbox_lists_failed_and_queued_for_admins(app):
    admin = make_user(roles=("admin",))
    waiting = queue()
    failed = queue(to="b@example.org")
    failed.status = "failed"
    sent = queue(to="c@example.org")
    sent.status = "sent"
    db.session.commit()
    rows, counts = accounts.list_outbox(admin)
    assert [row.id for row in rows] == [failed.id, waiting.id]
    assert counts == {"queued": 1, "sent": 1, "failed": 1}
    assert [row.id for row in accounts.list_outbox(admin, status="sent")[0]] == [sent.id]


def test_external_url_outside_a_request_uses_public_url(app):
    app.config["PUBLIC_URL"] = "https://kaart.example.org"
    assert services.external_url("accounts.login") == "https://kaart.example.org/inloggen"
    assert db.session.scalars(select(OutboxMessage)).all() == []


# -- issue #12: one message never stops the mail ----------------------------------------------------

POISON = ["\r", "\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\x00", "\x1b"]


def test_header_values_lose_every_line_break_and_control_character():
    for char in POISON:
        assert services.header_value(f"Welkom Eve{char}Poison") == "Welkom Eve Poison"
    assert services.header_value("  Gewoon   een  onderwerp ") == "Gewoon een onderwerp"


def test_a_name_with_a_line_break_in_the_subject_is_sent_on_one_line(smtp_app, smtp_server):
    poisoned = queue()
    poisoned.subject = "Welkom Eve\u2028Poison\rBcc: iedereen@example.org"
    db.session.commit()
    assert services.send_due(now=NOW) == (1, 0)
    [received] = smtp_server.messages
    assert received["Subject"] == "Welkom Eve Poison Bcc: iedereen@example.org"
    assert received["Bcc"] is None and received.envelope_recipients == ["jan@example.org"]


def test_a_message_that_cannot_be_built_fails_with_its_reason_and_the_rest_go_out(smtp_app, smtp_server, monkeypatch):
    _, broken, _ = queue("a@example.org"), queue("b@example.org"), queue("c@example.org")
    real_build = services.build_email

    def build(message, mail_from):
        if message.id == broken.id:  # whatever the next unforeseen input is: EmailMessage raises
            raise ValueError("Header values may not contain linefeed or carriage return characters")
        return real_build(message, mail_from)

    monkeypatch.setattr(services, "build_email", build)
    sent, failed = services.send_due(now=NOW)
    assert (sent, failed) == (2, 1)
    assert sorted(m.envelope_recipients[0] for m in smtp_server.messages) == ["a@example.org", "c@example.org"]
    db.session.refresh(broken)
    assert broken.status == "failed" and "cannot build" in broken.last_error
    assert services.send_due(now=NOW + timedelta(hours=1)) == (0, 0)  # and it is not tried again


# -- issue #12: deferred jobs (a reset request whose outcome the request must not show) -----------------


def _job(to, when=NOW):
    message = services.queue_deferred(to, "test_job")
    message.next_attempt_at = when
    db.session.commit()
    return message


def _resolver(app, function):
    app.extensions[services.RESOLVERS] = {**app.extensions[services.RESOLVERS], "test_job": function}


def test_a_job_becomes_the_e_mail_its_resolver_drafts(smtp_app, smtp_server):
    _resolver(
        smtp_app,
        lambda address: services.Draft(
            address.upper(), "password_changed", "en", {"name": "Jan", "reset_url": "http://example.org/x"}
        ),
    )
    job = _job("jan@example.org")
    assert (job.subject, job.body_text) == ("", "")
    assert services.send_due(now=NOW) == (1, 0)
    [received] = smtp_server.messages
    assert received.envelope_recipients == ["JAN@EXAMPLE.ORG"]
    db.session.refresh(job)
    assert (job.status, job.template, job.language) == ("sent", "password_changed", "en")
    assert job.subject and received["Subject"] == job.subject
    assert "Jan" in job.body_text and "http://example.org/x" in job.body_html


def test_a_job_with_nothing_to_send_is_deleted_with_its_address(smtp_app, smtp_server):
    _resolver(smtp_app, lambda address: None)
    _job("niemand@example.org")
    other = queue()
    assert services.send_due(now=NOW) == (1, 0)
    assert [m.envelope_recipients for m in smtp_server.messages] == [["jan@example.org"]]
    assert db.session.scalars(select(OutboxMessage)).all() == [other]


def test_a_reset_request_goes_out_as_the_reset_mail_over_smtp(smtp_app, smtp_server):
    user = make_user(email="jan@example.org", name="Jan")
    accounts.request_password_reset("jan@example.org")
    accounts.request_password_reset("niemand@example.org")
    assert services.send_due() == (1, 0)
    [received] = smtp_server.messages
    assert received.envelope_recipients == [user.email]
    assert "/wachtwoord-herstellen/" in received.get_body(("plain",)).get_content()
    assert [row.to_address for row in db.session.scalars(select(OutboxMessage))] == [user.email]
