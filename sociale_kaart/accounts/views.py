"""Account pages: log in and out, register, confirm, reset password, profile."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)
