"""E-mail: an outbox table filled in the same transaction as a change, sent by `flask notify send`."""
