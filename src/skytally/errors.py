"""Errors a user can cause. Interfaces turn these into one clear message.

Every message says what was wrong and what to do about it; none carries a secret.
"""

from __future__ import annotations


class UserError(Exception):
    """Something the caller can fix. `str(err)` is safe to show."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, cause: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # the form field it is about, when one is (pages show it there)
        self.cause = cause  # a machine-readable cause for tests and the API ("wrong_secret")


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


class AlreadyConnected(Conflict):
    """What the user tried to add is already connected: the message says what can be done
    instead; `account_id` names the existing cloud account (the web page links to it)."""

    def __init__(self, message: str, account_id: int) -> None:
        super().__init__(message)
        self.account_id = account_id
