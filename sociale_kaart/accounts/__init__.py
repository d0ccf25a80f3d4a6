"""Accounts: registration, login, roles, organisation membership and broker areas (issue #3)."""
