"""Fixtures for the REST API tests: a seeded installation per module, on every backend."""

from httpkit import world

__all__ = ["world"]
