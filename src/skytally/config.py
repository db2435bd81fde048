"""Settings, read from the environment (`SKYTALLY_*`, `__` for nesting), an optional
`.env` file, and an optional YAML file named by `SKYTALLY_CONFIG_FILE`.

Nothing here touches the disk or the network at import time: `get_settings()` builds
the settings on first use, and `Settings.prepare()` creates the data directory.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from skytally.clouds import KNOWN_CLOUDS, CloudEndpoints, CloudName
from skytally.errors import ConfigurationError

# Values people leave in templates. Outside the demo they are refused so a
# half-configured production install fails at start, not at the first sign-in.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "password", "placeholder", "xxx", "todo", "demo"}
)


class AzureApp(BaseModel):
    """skytally's own multi-tenant app registration, used for consent and app-only sync."""

    client_id: str | None = None
    client_secret: SecretStr | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SKYTALLY_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    data_dir: Path = Field(default_factory=lambda: Path.home() / ".skytally")
    database_url: str | None = None
    queue_url: str | None = None
    secret_key: SecretStr | None = None
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    # reverse proxies whose X-Forwarded-For / -Proto `skytally serve` believes (comma-separated
    # addresses); none by default: the client address is the connection's
    trusted_proxies: str = ""
    cookie_secure: bool | None = None
    session_hours: int = 12
    # a full copy of Microsoft's "Product names and service plan identifiers for licensing" CSV
    # (its download, unchanged): names every product and plan the bundled partial copy lacks
    licence_names_csv: Path | None = None
    log_level: str = "INFO"
    demo: bool = False
    cloud: CloudName = CloudName.PUBLIC
    cloud_endpoints: CloudEndpoints | None = None
    azure_app: AzureApp = Field(default_factory=AzureApp)
    job_history_days: int = 90

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv_settings]
        config_file = os.environ.get("SKYTALLY_CONFIG_FILE")
        if config_file:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config_file))
        sources.append(file_secret_settings)
        return tuple(sources)

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.cloud is CloudName.CUSTOM and self.cloud_endpoints is None:
            raise ValueError(
                "SKYTALLY_CLOUD=custom needs SKYTALLY_CLOUD_ENDPOINTS__AUTHORITY_HOST, "
                "__RESOURCE_MANAGER, __RESOURCE_MANAGER_AUDIENCE, __MICROSOFT_GRAPH, "
                "__MICROSOFT_GRAPH_AUDIENCE and __EA_REPORTING"
            )
        if not self.demo:
            for name, secret in (
                ("SKYTALLY_SECRET_KEY", self.secret_key),
                ("SKYTALLY_AZURE_APP__CLIENT_SECRET", self.azure_app.client_secret),
            ):
                if secret is not None and secret.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
                    raise ValueError(
                        f"{name} is a placeholder value; set a real secret (or unset it)"
                    )
        return self

    # --- derived -----------------------------------------------------------------
    @property
    def endpoints(self) -> CloudEndpoints:
        if self.cloud is CloudName.CUSTOM:
            assert self.cloud_endpoints is not None
            return self.cloud_endpoints
        return self.cloud_endpoints or KNOWN_CLOUDS[self.cloud]

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'skytally.db'}"

    @property
    def cost_store_dir(self) -> Path:
        return self.data_dir / "costs"

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.base_url.startswith("https://")

    def check_queue_url(self) -> None:
        """Refuse a queue URL Huey cannot use (checked at start, before the queue is built)."""
        url = self.queue_url
        if url and not url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigurationError(f"SKYTALLY_QUEUE_URL must be a redis:// URL, got {url.split('://')[0]}://…")

    def prepare(self) -> None:
        """Create the data directory (owner-only) if needed."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.data_dir.chmod(0o700)
        except PermissionError:
            pass


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()


def describe_settings() -> list[tuple[str, str, Any]]:
    """(variable, description, default) for every setting, for docs and `--help`."""
    return SETTINGS_TABLE


SETTINGS_TABLE: list[tuple[str, str, Any]] = [
    ("SKYTALLY_DATA_DIR", "Where the SQLite database, job queue, key file and cost store live", "~/.skytally"),
    ("SKYTALLY_DATABASE_URL", "App database; `postgresql+psycopg://user@host/db` for PostgreSQL", "SQLite in the data dir"),
    ("SKYTALLY_QUEUE_URL", "Job queue; `redis://host:6379/0` for Redis", "SQLite queue in the data dir"),
    ("SKYTALLY_SECRET_KEY", "Fernet key(s), comma-separated, newest first, for secrets at rest", "key file in the data dir"),
    ("SKYTALLY_BASE_URL", "Public URL of the web app (redirect URIs, cookies)", "http://127.0.0.1:8000"),
    ("SKYTALLY_HOST / SKYTALLY_PORT", "Address `skytally serve` binds", "127.0.0.1 / 8000"),
    ("SKYTALLY_TRUSTED_PROXIES", "Reverse proxies (addresses, comma-separated) whose X-Forwarded-For is believed", "none"),
    ("SKYTALLY_COOKIE_SECURE", "Force the Secure flag on cookies", "on when BASE_URL is https"),
    ("SKYTALLY_SESSION_HOURS", "Web session lifetime", "12"),
    ("SKYTALLY_LOG_LEVEL", "Log level", "INFO"),
    ("SKYTALLY_DEMO", "Demo mode: allows placeholder secrets", "false"),
    ("SKYTALLY_CLOUD", "public, china, usgov or custom", "public"),
    ("SKYTALLY_CLOUD_ENDPOINTS__AUTHORITY_HOST", "Entra ID authority host (custom clouds)", "per cloud"),
    ("SKYTALLY_CLOUD_ENDPOINTS__RESOURCE_MANAGER", "Azure Resource Manager endpoint", "per cloud"),
    ("SKYTALLY_CLOUD_ENDPOINTS__RESOURCE_MANAGER_AUDIENCE", "Token audience for ARM", "per cloud"),
    ("SKYTALLY_CLOUD_ENDPOINTS__MICROSOFT_GRAPH", "Microsoft Graph endpoint", "per cloud"),
    ("SKYTALLY_CLOUD_ENDPOINTS__MICROSOFT_GRAPH_AUDIENCE", "Token audience for Graph", "per cloud"),
    ("SKYTALLY_CLOUD_ENDPOINTS__EA_REPORTING", "Legacy EA reporting API endpoint", "per cloud"),
    ("SKYTALLY_CLOUD_ENDPOINTS__CA_BUNDLE", "PEM bundle to trust for these endpoints", "system store"),
    ("SKYTALLY_CLOUD_ENDPOINTS__INSTANCE_DISCOVERY", "Let MSAL validate the authority with Microsoft", "true"),
    ("SKYTALLY_AZURE_APP__CLIENT_ID", "skytally's multi-tenant app registration (client ID)", "unset"),
    ("SKYTALLY_AZURE_APP__CLIENT_SECRET", "Its client secret", "unset"),
    ("SKYTALLY_JOB_HISTORY_DAYS", "How long finished job runs are kept", "90"),
    ("SKYTALLY_CONFIG_FILE", "Optional YAML file with the same settings (lower-case keys)", "unset"),
]
