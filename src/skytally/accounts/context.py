"""What the accounts services need besides a session and an actor."""

from __future__ import annotations

from dataclasses import dataclass, field

from skytally.azure.clients import AzureConnector
from skytally.config import Settings
from skytally.security.vault import Vault


@dataclass
class AccountsEnv:
    settings: Settings
    vault: Vault
    connector: AzureConnector = field(init=False)

    def __post_init__(self) -> None:
        self.connector = AzureConnector(self.settings.endpoints)

    def __repr__(self) -> str:
        return f"AccountsEnv({self.connector!r})"
