"""Queue e-mail in the outbox; the caller's commit makes it durable with the change itself."""
from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale

from ..extensions import db
from .models import OutboxMessage


def external_url(endpoint, **values):
    """Return an absolute URL for a link in an e-mail, also outside a request (CLI, worker)."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        return url_for(endpoint, _external=True, **values)


def render_message(template, language, **context):
    """Render mail/<template>.txt (first line: subject) and .html in a language."""
    language = language if language in current_app.config["LANGUAGES"] else "nl"
    with force_locale(language):
        text = render_template(f"mail/{template}.txt", language=language, **context)
        subject, _, body = text.strip().partition("\n")
        body_text = body.strip() + "\n"
        body_html = render_template(f"mail/{template}.html", language=language, subject=subject.strip(), **context)
    return subject.strip(), body_text, body_html


def queue_message(to_address, template, language="nl", **context):
    """Add an e-mail to the outbox in the current transaction (the caller commits)."""
    subject, body_text, body_html = render_message(template, language, **context)
    message = OutboxMessage(
        to_address=to_address, subject=subject, body_text=body_text, body_html=body_html,
        template=template, language=language,
    )
    db.session.add(message)
    return message
