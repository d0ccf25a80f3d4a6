"""Admin pages: users, roles, organisations and areas, the e-mail outbox (issue #3)."""
