"""Cloud endpoint sets, as data.

This is the only module that names Microsoft hosts. Public Azure is the default;
national clouds and any other Azure-compatible endpoint set (Azure Stack, the bundled
emulator) are just other values of `CloudEndpoints`.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, HttpUrl, field_validator


class CloudName(StrEnum):
    PUBLIC = "public"
    CHINA = "china"
    US_GOVERNMENT = "usgov"
    CUSTOM = "custom"


class CloudEndpoints(BaseModel):
    """Where each Microsoft API of one cloud lives, and how to trust it."""

    model_config = ConfigDict(frozen=True)

    authority_host: HttpUrl
    resource_manager: HttpUrl
    resource_manager_audience: str
    microsoft_graph: HttpUrl
    microsoft_graph_audience: str
    ea_reporting: HttpUrl
    # A PEM bundle to trust instead of the system store (private CAs, the emulator).
    ca_bundle: Path | None = None
    # MSAL asks Microsoft to validate unknown authorities; custom clouds must not.
    instance_discovery: bool = True

    @field_validator("ca_bundle")
    @classmethod
    def _bundle_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(
                f"CA bundle {value} does not exist; point SKYTALLY_CLOUD_ENDPOINTS__CA_BUNDLE "
                "at a PEM file"
            )
        return value

    def url(self, field: str) -> str:
        """An endpoint as a string without a trailing slash."""
        return str(getattr(self, field)).rstrip("/")

    def arm_scope(self) -> str:
        return self.resource_manager_audience.rstrip("/") + "/.default"

    def graph_scope(self) -> str:
        return self.microsoft_graph_audience.rstrip("/") + "/.default"


KNOWN_CLOUDS: dict[CloudName, CloudEndpoints] = {
    CloudName.PUBLIC: CloudEndpoints(
        authority_host=HttpUrl("https://login.microsoftonline.com"),
        resource_manager=HttpUrl("https://management.azure.com"),
        resource_manager_audience="https://management.azure.com",
        microsoft_graph=HttpUrl("https://graph.microsoft.com"),
        microsoft_graph_audience="https://graph.microsoft.com",
        ea_reporting=HttpUrl("https://consumption.azure.com"),
    ),
    CloudName.CHINA: CloudEndpoints(
        authority_host=HttpUrl("https://login.chinacloudapi.cn"),
        resource_manager=HttpUrl("https://management.chinacloudapi.cn"),
        resource_manager_audience="https://management.core.chinacloudapi.cn",
        microsoft_graph=HttpUrl("https://microsoftgraph.chinacloudapi.cn"),
        microsoft_graph_audience="https://microsoftgraph.chinacloudapi.cn",
        ea_reporting=HttpUrl("https://consumption.azure.cn"),
    ),
    CloudName.US_GOVERNMENT: CloudEndpoints(
        authority_host=HttpUrl("https://login.microsoftonline.us"),
        resource_manager=HttpUrl("https://management.usgovcloudapi.net"),
        resource_manager_audience="https://management.usgovcloudapi.net",
        microsoft_graph=HttpUrl("https://graph.microsoft.us"),
        microsoft_graph_audience="https://graph.microsoft.us",
        ea_reporting=HttpUrl("https://consumption.azure.us"),
    ),
}
