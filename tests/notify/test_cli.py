"""`flask notify send` delivers the due messages."""

from sociale_kaart.extensions import db
from sociale_kaart.notify import services


def test_notify_send_delivers_over_smtp(smtp_app, smtp_server):
    services.queue_message("jan@example.org", "password_changed", name="Jan", reset_url="http://x/")
    db.session.commit()
    result = smtp_app.test_cli_runner().invoke(args=["notify", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert [m["To"] for m in smtp_server.messages] == ["jan@example.org"]


def test_notify_send_loop_runs_repeatedly(app, tmp_path):
    app.config["MAIL_DIR"] = str(tmp_path)
    result = app.test_cli_runner().invoke(args=["notify", "send", "--loop", "--interval", "0", "--runs", "2"])
    assert result.exit_code == 0, result.output
