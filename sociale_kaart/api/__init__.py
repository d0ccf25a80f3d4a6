"""Read-only HSDS 3.0 JSON API of the directory, its OpenAPI spec and the /api page (issue #5)."""
