"""Commands of the matching module (issue #4)."""
from flask.cli import AppGroup

matching_cli = AppGroup("matching", help="Hulpvragen en vrijwilligers: herinneringen, bewaartermijn, voorstellen.")
