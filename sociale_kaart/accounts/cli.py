"""Account commands: `flask users ...`."""
from flask.cli import AppGroup

users_cli = AppGroup("users", help="Manage user accounts.")
