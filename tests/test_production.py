"""The production set-up (issue #16): the files of compose.yaml and the Dockerfile, and a smoke test
that runs the processes compose.yaml defines, with the commands read from it.

Docker may be absent (it is on CI), so compose.yaml is checked as YAML and its commands are run
here directly: the migration step, two gunicorn servers (2 workers each, their own instance
folders, different ports) on one PostgreSQL database, the e-mail worker and the scheduler.
"""

import json
import os
import re
import secrets
import shlex
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from sqlalchemy import select

from sociale_kaart import clock, config
from sociale_kaart.extensions import db
from tests.builders import TEST_PASSWORD
from tests.conftest import REDIS_URL, TEST_DATABASE_URL, database_url, free_port, make_app, pinned_start, redis_or_skip
from tests.servers import BIN, ROOT, Process, wait_for

COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
WORD = "kwebbelkoffie"  # a word no listing has until the edit


# --- the files -----------------------------------------------------------------------------------


def test_compose_defines_the_processes_in_their_order():
    assert set(SERVICES) == {"db", "redis", "migrate", "web", "worker", "scheduler"}
    assert SERVICES["db"]["image"] == "postgres:15"
    assert SERVICES["migrate"]["command"] == ["sh", "-c", "flask db upgrade && flask search reindex"]
    web = SERVICES["web"]["command"]
    assert web[:3] == ["gunicorn", "-c", "gunicorn.conf.py"] and web[-1] == "wsgi:app"
    assert web[web.index("--workers") + 1] == "2"
    assert SERVICES["worker"]["command"][:4] == ["flask", "notify", "send", "--loop"]
    assert SERVICES["scheduler"]["command"] == ["flask", "jobs", "schedule"]
    for name in ("web", "worker", "scheduler"):
        assert SERVICES[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert SERVICES[name]["build"] == "." and SERVICES[name]["environment"]["SOCIALE_KAART_ENV"] == "production"
    assert "healthcheck" not in SERVICES["web"]  # the image's HEALTHCHECK on /healthz
    assert all(SERVICES[name]["healthcheck"] == {"disable": True} for name in ("migrate", "worker", "scheduler"))


def test_every_variable_in_compose_is_a_setting_and_documented():
    known = {variable for variable, _ in config.ENVIRONMENT.values()}
    readme = (ROOT / "README.md").read_text()
    for name in SERVICES["web"]["environment"]:
        assert name in known, name
        assert f"`{name}`" in readme, name


def test_the_image_runs_gunicorn_as_a_user_without_dev_extras_and_checks_healthz():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "\nFROM python:3.11-slim\n" in dockerfile
    assert "RUN pip install . " in dockerfile and "[test]" not in dockerfile and "-e " not in dockerfile
    assert "pybabel compile -d sociale_kaart/translations" in dockerfile
    assert re.search(r"^USER sociale_kaart$", dockerfile, re.M) and "useradd --system" in dockerfile
    assert re.search(r"^HEALTHCHECK .*\n.*/healthz", dockerfile, re.M)
    assert 'CMD ["gunicorn", "-c", "gunicorn.conf.py"' in dockerfile and '"wsgi:app"]' in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "instance", "tests"} <= set(ignored)


# --- running the processes ---------------------------------------------------------------------


def _command(service, **options):
    """Return a service's command from compose.yaml with some --options changed (faster loops here)."""
    command = list(SERVICES[service]["command"])
    for name, value in options.items():
        flag = "--" + name
        if flag in command:
            command[command.index(flag) + 1] = value
        else:
            command += [flag, value]
    return command


def _environment(tmp_path, url, name, **more):
    """The environment compose.yaml gives the app, pointed at this test's database and servers."""
    # The servers' clock: the real one moved to the tests' pinned day, as every test sees it.
    days = (pinned_start().date() - (clock.real_utcnow() - clock.offset()).date()).days
    instance = tmp_path / name
    return {
        **os.environ,
        "PATH": BIN + os.pathsep + os.environ.get("PATH", ""),
        "FLASK_APP": "wsgi.py",
        "SOCIALE_KAART_ENV": "production",
        "SOCIALE_KAART_SECRET_KEY": more.pop("secret"),
        "SOCIALE_KAART_DATABASE_URL": url,
        "SOCIALE_KAART_PUBLIC_URL": "https://kaart.example.org",
        "SOCIALE_KAART_TRUSTED_PROXIES": "1",  # the test plays the TLS proxy
        "SOCIALE_KAART_LOG_FORMAT": "json",
        "SOCIALE_KAART_SEARCH_DIR": str(instance / "search-index"),  # nothing on disk is shared
        "SOCIALE_KAART_MAIL_DIR": str(instance / "mail"),
        "SOCIALE_KAART_CLOCK_OFFSET_DAYS": str(days),
        "SOCIALE_KAART_MAP_TILE_URL": "",
        **{key: str(value) for key, value in more.items()},
    }


class Browser:
    """A client behind the TLS proxy: X-Forwarded-Proto https, Referer, and its own cookie jar
    (the production cookies are Secure, which urllib's jar would not send over plain HTTP)."""

    def __init__(self, base):
        self.base, self.cookies = base, {}

    def open(self, path, data=None, headers=None):
        host = self.base.split("//", 1)[1]
        sent = {"X-Forwarded-Proto": "https", "Referer": f"https://{host}{path}", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=sent)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            response = opener.open(request, timeout=20)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            for header in response.headers.get_all("Set-Cookie") or ():
                name, _, value = header.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value
            return response.status, response.headers, response.read().decode()

    def token(self, path):
        status, _, page = self.open(path)
        assert status == 200, (path, status)
        return TOKEN.search(page).group(1)

    def post(self, path, data, token_from=None):
        return self.open(path, {**data, "csrf_token": self.token(token_from or path)})

    def log_in(self, email):
        status, headers, _ = self.post("/inloggen", {"email": email, "password": TEST_PASSWORD})
        assert status == 302, status


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _healthy(base):
    with urllib.request.urlopen(base + "/healthz", timeout=10) as response:
        return response.status, json.loads(response.read())


def _edit_and_approve(app, browser_editor, browser_broker, world):
    """The editor proposes a summary with WORD through the form; the broker approves it."""
    from sociale_kaart.directory.models import ChangeRequest, Service
    from tests.workspace.helpers import service_form

    with app.app_context():
        form = service_form(db.session.get(Service, world["service_id"]), summary=f"Elke week {WORD} in het dorpshuis.")
        db.session.remove()
    edit = f"/werkplek/aanbod/{world['service_id']}/bewerken"
    status, _, _ = browser_editor.post(edit, form)
    assert status == 302
    with app.app_context():
        change_id = db.session.scalars(select(ChangeRequest.id).where(ChangeRequest.status == "pending")).one()
        db.session.remove()
    status, _, _ = browser_broker.post(
        f"/werkplek/controle/{change_id}/goedkeuren", {}, token_from=f"/werkplek/controle/{change_id}"
    )
    assert status == 302


def _found(base):
    status, headers, page = Browser(base).open(f"/zoeken?q={WORD}")
    assert status == 200
    return "Maatjesproject Doorn" in page


def _json_lines(process):
    lines = process.log.read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _make_world(app):
    """Areas, organisations with a published service each, and users (tests.workspace.helpers); return
    the edited service's id and the e-mail addresses of its editor and broker."""
    from tests.workspace.helpers import make_world

    with app.app_context():
        world = make_world()
        made = {
            "service_id": world.service_a.id,
            "editor": world.users["editor_a"].email,
            "broker": world.users["broker_a"].email,
        }
        db.session.remove()
        return made


@pytest.mark.postgres
@pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL: set SOCIALE_KAART_TEST_DATABASE_URL")
def test_two_servers_a_worker_and_a_scheduler_on_one_postgresql(tmp_path, smtp_server):
    from sociale_kaart.directory.search_log import QUEUE_KEY, SearchLogEntry

    store = redis_or_skip()  # compose.yaml's Redis: searches wait there for the scheduler
    store.delete(QUEUE_KEY)
    url = database_url(tmp_path, "production_smoke")
    secret = secrets.token_hex(32)
    base_env = dict(
        url=url,
        secret=secret,
        SOCIALE_KAART_SEARCH_LOG_QUEUE_URI=REDIS_URL,
        SOCIALE_KAART_SMTP_HOST=smtp_server.host,
        SOCIALE_KAART_SMTP_PORT=smtp_server.port,
        SOCIALE_KAART_SMTP_SECURITY="none",
    )
    _run_step(SERVICES["migrate"]["command"], _environment(tmp_path, name="migrate", **base_env))
    app = make_app(tmp_path, name="production_data", SQLALCHEMY_DATABASE_URI=url, SEARCH_BACKEND="postgres")
    world = _make_world(app)

    ports = {"a": free_port(), "b": free_port()}
    processes = {}
    try:
        for name, port in ports.items():
            web = _command("web", bind=f"127.0.0.1:{port}")
            processes[name] = Process(
                web, _environment(tmp_path, name=f"instance-{name}", **base_env), tmp_path / f"web-{name}.log"
            )
        processes["worker"] = Process(
            _command("worker", interval="0.5"),
            _environment(tmp_path, name="worker", **base_env),
            tmp_path / "worker.log",
        )
        processes["scheduler"] = Process(
            _command("scheduler", interval="0.5"),
            _environment(tmp_path, name="scheduler", **base_env),
            tmp_path / "scheduler.log",
        )
        a, b = (f"http://127.0.0.1:{ports[name]}" for name in ("a", "b"))
        wait_for(a + "/healthz", processes["a"])
        wait_for(b + "/healthz", processes["b"])

        # An edit approved through server A is found through server B at once: the index is in PostgreSQL.
        assert not _found(b)
        editor, broker = Browser(a), Browser(a)
        editor.log_in(world["editor"])
        broker.log_in(world["broker"])
        _edit_and_approve(app, editor, broker, world)
        assert _found(b)  # the first search after the approval's answer, not after a wait

        # A help request over HTTP: its confirmation e-mail goes out through the worker and SMTP.
        from tests.matching.test_views_public import form_data

        address = f"aanvrager-{secrets.token_hex(4)}@example.org"
        with app.app_context():
            request_form = form_data(contact_email=address)  # dates from the app clock
        # One resident walks the form's steps through both servers in turn: the draft is in PostgreSQL.
        from sociale_kaart.matching.forms import STEPS, step_fields
        from tests.matching.form_steps import CHECK_URL, as_answers, step_url

        resident_a, resident_b = Browser(a), Browser(b)
        resident_b.cookies = resident_a.cookies
        for number, step in enumerate(STEPS[:-1]):
            fields = step_fields(step.name, as_answers(request_form))
            status, headers, _ = (resident_a, resident_b)[number % 2].post(
                step_url(step.name),
                {f: request_form[f] for f in fields if f in request_form},
                token_from="/hulp-vragen",
            )
            assert status == 303, (step.name, status)
        status, headers, _ = resident_b.post(CHECK_URL, {}, token_from="/hulp-vragen")
        assert status == 303 and headers["Location"].endswith("/hulp-vragen/verstuurd")
        _wait(
            lambda: any(address in message["To"] for message in smtp_server.messages),
            processes["worker"],
            "the confirmation e-mail",
        )

        # The scheduler ran each job of the timetable once (its first look catches up every slot).
        from sociale_kaart.ops import jobs
        from sociale_kaart.ops.models import JobRun

        def all_jobs_ran():
            with app.app_context():
                runs = db.session.scalars(select(JobRun).where(JobRun.finished_at.is_not(None))).all()
                db.session.remove()
            return runs if len(runs) == len(jobs.TIMETABLE) else None

        runs = _wait(all_jobs_ran, processes["scheduler"], "the scheduler's runs")
        assert {run.job for run in runs} == {job.name for job in jobs.TIMETABLE}
        assert {run.status for run in runs} == {"ok"}, [(run.job, run.summary) for run in runs]

        # The two searches through server B waited in Redis; the scheduler wrote them into the search log.
        def logged():
            with app.app_context():
                rows = db.session.execute(
                    select(SearchLogEntry.query, SearchLogEntry.result_count, SearchLogEntry.source)
                ).all()
                db.session.remove()
            return rows if len(rows) >= 2 else None

        rows = _wait(logged, processes["scheduler"], "the searches in the search log")
        assert sorted(tuple(row) for row in rows) == [(WORD, 0, "web"), (WORD, 1, "web")]

        for base in (a, b):
            status, report = _healthy(base)
            assert status == 200 and (report["database"], report["search"]) == ("ok", "ok")
            assert report["search_log_waiting"] == 0

        # The trusted proxy's request id reaches server A's access log; every line is JSON.
        request_id = "5f0c2b8e9d6a4c1f8b7e3a2d1c0b9a88"
        Browser(a).open("/healthz", headers={"X-Request-ID": request_id})
    finally:
        for process in processes.values():
            process.stop()
        with app.app_context():
            db.engine.dispose()
        store.delete(QUEUE_KEY)
    access = [line for line in _json_lines(processes["a"]) if line["logger"] == "gunicorn.access"]
    assert any(line["request_id"] == request_id and line["path"] == "/healthz" for line in access)
    assert all({"time", "level", "message", "method", "status", "duration_ms"} <= set(line) for line in access)
    assert not any("127.0.0.1" in json.dumps(line) for line in access)  # no client address
    for name in ("b", "scheduler", "worker"):
        _json_lines(processes[name])  # parses: JSON lines only
    assert any(line["message"].startswith("sent ") for line in _json_lines(processes["worker"]))  # its summaries
    assert any("job freshness" in line["message"] for line in _json_lines(processes["scheduler"]))
    # the scheduler wrote them (the servers wrote none themselves): at a look, or in the monthly job's drain
    drained = re.compile(r"search log: (\d+) waiting searches written|job search-log-months, .*: done \(written (\d+)")
    written = [drained.search(line["message"]) for line in _json_lines(processes["scheduler"])]
    assert sum(int(found.group(1) or found.group(2)) for found in written if found) == 2


def _run_step(command, environment):
    """Run a command that ends (the migration step) and fail with its output when it fails."""
    done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def _wait(found, process, what, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = found()
        if result:
            return result
        process.check_running()
        time.sleep(0.2)
    pytest.fail(f"{what}: not there after {seconds} s: {process.output()}")


def test_two_workers_of_one_server_see_an_edit_in_the_whoosh_index(tmp_path):
    """SQLite and Whoosh on one machine: each worker reads the index folder a worker wrote."""
    if TEST_DATABASE_URL:
        pytest.skip("the Whoosh case runs in the SQLite phase")
    url = f"sqlite:///{tmp_path / 'whoosh.db'}"
    app = make_app(
        tmp_path,
        name="whoosh_data",
        SQLALCHEMY_DATABASE_URI=url,
        SEARCH_BACKEND="whoosh",
        SEARCH_DIR=str(tmp_path / "instance-a" / "search-index"),
    )
    environment = _environment(tmp_path, url, name="instance-a", secret=secrets.token_hex(32))
    _run_step(shlex.split("flask db upgrade"), environment)
    world = _make_world(app)
    _run_step(shlex.split("flask search reindex"), environment)
    port = free_port()
    server = Process(_command("web", bind=f"127.0.0.1:{port}"), environment, tmp_path / "web.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/healthz", server)
        assert _pids_seeing(base, server, found=False) == 2  # both workers have the index open
        editor, broker = Browser(base), Browser(base)
        editor.log_in(world["editor"])
        broker.log_in(world["broker"])
        _edit_and_approve(app, editor, broker, world)
        assert _pids_seeing(base, server, found=True) == 2  # and both see the edit
    finally:
        server.stop()
        with app.app_context():
            db.engine.dispose()


def _pids_seeing(base, server, found, rounds=20):
    """Search in parallel until both workers (by the pid in the access log) answered; return how many did.

    Every answer must agree with `found`: a worker that missed the edit fails the test."""
    seen = set()
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(rounds):
            ids = [f"zoek{secrets.token_hex(8)}" for _ in range(4)]
            answers = list(pool.map(lambda rid: (rid, _search_with_id(base, rid)), ids))
            assert all(hit is found for _, hit in answers), answers
            time.sleep(0.3)  # gunicorn writes the access lines after the answers
            pids = {
                line["pid"]
                for line in _json_lines(server)
                if line.get("logger") == "gunicorn.access" and line.get("request_id") in ids
            }
            seen |= pids
            if len(seen) >= 2:
                break
    return len(seen)


def _search_with_id(base, request_id):
    status, _, page = Browser(base).open(f"/zoeken?q={WORD}", headers={"X-Request-ID": request_id})
    assert status == 200
    return "Maatjesproject Doorn" in page
