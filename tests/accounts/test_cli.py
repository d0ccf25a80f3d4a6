"""`flask users create-admin`, `flask users demo` and `flask users prune-sessions`."""

from sqlalchemy import select

from sociale_kaart.accounts import services
from sociale_kaart.accounts.models import User
from sociale_kaart.extensions import db


def test_create_admin(app):
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create-admin",
            "--email",
            "Baas@Example.org",
            "--name",
            "Baas",
            "--password",
            "Heuvelrug-Zonnebloem-2026",
        ]
    )
    assert result.exit_code == 0, result.output
    user = services.authenticate("baas@example.org", "Heuvelrug-Zonnebloem-2026")
    assert user is not None and user.is_admin


def test_create_admin_refuses_a_weak_password(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "--email", "baas@example.org", "--password", "qwertyuiop"]
    )
    assert result.exit_code != 0 and "veel gebruikt" in result.output
    assert services.find_user_by_email("baas@example.org") is None


def test_demo_accounts_are_created_once_with_random_passwords(seeded_app):
    runner = seeded_app.test_cli_runner()
    first = runner.invoke(args=["users", "demo"])
    assert first.exit_code == 0, first.output
    lines = [line for line in first.output.splitlines() if "password:" in line]
    assert len(lines) == 4
    email, password = lines[1].split("  password: ")
    broker = services.authenticate(email, password)
    assert broker.is_broker and sorted(a.code for a in broker.areas) == ["doorn", "driebergen_rijsenburg"]
    editor = db.session.scalars(select(User).where(User.email.like("redacteur@%"))).one()
    assert len(editor.organization_ids) == 2 and editor.has_role("editor")
    email, password = lines[3].split("  password: ")
    policy = services.authenticate(email, password)
    assert policy.has_role("policy") and not policy.is_staff and not policy.areas
    second = runner.invoke(args=["users", "demo"])
    assert second.exit_code == 0 and "password:" not in second.output


def test_demo_refuses_production(app):
    app.config["ENV"] = "production"
    result = app.test_cli_runner().invoke(args=["users", "demo"])
    assert result.exit_code != 0


def test_prune_sessions_deletes_the_ended_login_sessions(app):
    from datetime import timedelta

    from sociale_kaart import clock
    from sociale_kaart.accounts.models import LoginSession
    from tests.builders import make_user

    broker = make_user(roles=("broker",))
    live = services.start_session(broker)
    services.start_session(broker, now=clock.naive_utcnow() - timedelta(hours=5))
    result = app.test_cli_runner().invoke(args=["users", "prune-sessions"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 ended login sessions." in result.output
    assert db.session.scalar(select(db.func.count()).select_from(LoginSession)) == 1
    assert services.load_session(live).user is broker


def test_create_admin_of_one_municipality_of_a_region(app):
    from tests.matching.factories import load_region

    load_region()  # the demo's areas: Utrechtse Heuvelrug and Rhenen (0340), a region
    base = ["users", "create-admin", "--email", "rhenen@example.org", "--password", "Heuvelrug-Zonnebloem-2026"]
    refused = app.test_cli_runner().invoke(args=[*base, "--municipality", "0363"])
    assert refused.exit_code != 0 and "hoort niet bij deze installatie" in refused.output
    result = app.test_cli_runner().invoke(args=[*base, "--municipality", "0340"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "rhenen@example.org"))
    assert user.is_admin and user.municipality_code == "0340"
