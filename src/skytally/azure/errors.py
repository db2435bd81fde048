"""The errors skytally's Azure clients raise, in a module that imports no Azure SDK: code
that only catches them (or a process that never calls Azure, like `skytally accounts list`)
does not pay for azure-core."""

from __future__ import annotations


class AzureHttpError(Exception):
    """A Microsoft API answered with an error status (code and message as it sent them)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class AzureUnreachable(Exception):
    """The endpoint could not be reached at all (DNS, TLS, connection)."""
