"""WSGI entry point: `flask --app wsgi run` or `gunicorn wsgi:app`."""
from sociale_kaart import create_app

app = create_app()
