"""E-mail commands: `flask notify send [--loop]`."""
from flask.cli import AppGroup

notify_cli = AppGroup("notify", help="Send queued e-mail.")
