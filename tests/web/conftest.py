"""Fixtures for the page tests: a seeded installation per module, on every backend."""

from httpkit import world

__all__ = ["world"]
