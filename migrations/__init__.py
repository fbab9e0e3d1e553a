"""Alembic environment and versions; `cdp.migrate` drives them."""
