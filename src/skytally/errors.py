"""Errors a user can cause. Interfaces turn these into one clear message.

Every message says what was wrong and what to do about it; none carries a secret.
"""

from __future__ import annotations


class UserError(Exception):
    """Something the caller can fix. `str(err)` is safe to show."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(UserError):
    status_code = 422


class NotFound(UserError):
    status_code = 404


class PermissionDenied(UserError):
    status_code = 403


class NotAuthenticated(UserError):
    status_code = 401


class Conflict(UserError):
    status_code = 409


class ConfigurationError(UserError):
    """The installation's settings are wrong (bad key, placeholder secret, bad URL)."""

    status_code = 500
