# sociale_kaart: one image for every process of compose.yaml (issue #16) — the web server
# (gunicorn), the e-mail worker (flask notify send --loop), the scheduler (flask jobs schedule)
# and the migration step (flask db upgrade, flask search reindex).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLASK_APP=wsgi.py \
    SOCIALE_KAART_ENV=production \
    SOCIALE_KAART_LOG_FORMAT=json \
    PYTHONPATH=/app

WORKDIR /app

# Dependencies first (a layer that changes only with pyproject.toml): `pip install .` without the
# test and bench extras. The code runs from /app, beside its templates, static files, migrations
# and translations (PYTHONPATH), not from the copy pip puts in site-packages.
COPY pyproject.toml README.md ./
COPY sociale_kaart ./sociale_kaart
RUN pip install . && pybabel --version

COPY . .
# The English catalogue, compiled from the .po in the source (the .mo is not trusted to be current).
RUN pybabel compile -d sociale_kaart/translations \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin sociale_kaart \
    && mkdir -p /app/instance \
    && chown sociale_kaart /app/instance

USER sociale_kaart
EXPOSE 8000

# The load balancer's check, for the container too: 200 while the database and search answer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

CMD ["gunicorn", "-c", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--workers", "2", "wsgi:app"]
