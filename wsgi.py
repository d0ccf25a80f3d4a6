"""WSGI entry point: `flask --app wsgi run` or `gunicorn wsgi:app`."""

import gc

from sociale_kaart import create_app

app = create_app()
# What the app holds from here on lives as long as the process: leave it out of the garbage collector's
# full runs, which otherwise walk all of it (~170,000 objects, ~60 ms) whenever a page has made many
# objects, as the area analysis does (bench/insights.py).
gc.freeze()
