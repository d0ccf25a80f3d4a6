import pytest

from sociale_kaart.notify.transports import FileTransport, SMTPTransport, create_transport


def test_smtp_when_a_host_is_set_else_files(tmp_path):
    config = {"SMTP_HOST": "", "MAIL_DIR": str(tmp_path), "SMTP_PORT": 25}
    assert isinstance(create_transport(config), FileTransport)
    config["SMTP_HOST"] = "mail.example.org"
    transport = create_transport(config)
    assert isinstance(transport, SMTPTransport) and transport.security == "none"


def test_unknown_security_is_refused():
    with pytest.raises(ValueError):
        SMTPTransport("mail.example.org", security="tls-please")
