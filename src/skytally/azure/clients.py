"""Builds official Azure SDK clients from a cloud endpoint set and a credential.

Services receive the clients this module makes; they never construct SDK clients
themselves, never see endpoint URLs, and never handle secrets as plain strings.
Everything that differs between public Azure, a national cloud and the bundled
emulator is in `CloudEndpoints` — there is no other switch.
"""

from __future__ import annotations

from typing import Any

from azure.core.credentials import TokenCredential
from azure.identity import CertificateCredential, ClientSecretCredential
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient
from azure.mgmt.resource.subscriptions import SubscriptionClient
from azure.mgmt.resourcegraph import ResourceGraphClient
from pydantic import SecretStr

from skytally.clouds import CloudEndpoints


class AzureConnector:
    """SDK clients and credentials for one cloud."""

    def __init__(self, endpoints: CloudEndpoints) -> None:
        self.endpoints = endpoints

    def __repr__(self) -> str:
        return f"AzureConnector(arm={self.endpoints.url('resource_manager')})"

    # --- transport -------------------------------------------------------------------
    def transport_kwargs(self) -> dict[str, Any]:
        """azure-core pipeline options: trust the configured CA bundle, if any."""
        if self.endpoints.ca_bundle is not None:
            return {"connection_verify": str(self.endpoints.ca_bundle)}
        return {}

    def _identity_kwargs(self) -> dict[str, Any]:
        return {
            "authority": self.endpoints.url("authority_host"),
            "disable_instance_discovery": not self.endpoints.instance_discovery,
            **self.transport_kwargs(),
        }

    # --- credentials -----------------------------------------------------------------
    def client_secret_credential(
        self, tenant_id: str, client_id: str, secret: SecretStr
    ) -> ClientSecretCredential:
        return ClientSecretCredential(
            tenant_id, client_id, secret.get_secret_value(), **self._identity_kwargs()
        )

    def certificate_credential(
        self, tenant_id: str, client_id: str, certificate_pem: SecretStr
    ) -> CertificateCredential:
        return CertificateCredential(
            tenant_id,
            client_id,
            certificate_data=certificate_pem.get_secret_value().encode(),
            **self._identity_kwargs(),
        )

    # --- Resource Manager clients ----------------------------------------------------
    def _arm_kwargs(self) -> dict[str, Any]:
        return {
            "base_url": self.endpoints.url("resource_manager"),
            "credential_scopes": [self.endpoints.arm_scope()],
            **self.transport_kwargs(),
        }

    def subscriptions(self, credential: TokenCredential) -> SubscriptionClient:
        return SubscriptionClient(credential, **self._arm_kwargs())

    def resources(self, credential: TokenCredential, subscription_id: str) -> ResourceManagementClient:
        return ResourceManagementClient(credential, subscription_id, **self._arm_kwargs())

    def resource_graph(self, credential: TokenCredential) -> ResourceGraphClient:
        return ResourceGraphClient(credential, **self._arm_kwargs())

    def authorization(
        self, credential: TokenCredential, subscription_id: str
    ) -> AuthorizationManagementClient:
        return AuthorizationManagementClient(credential, subscription_id, **self._arm_kwargs())
