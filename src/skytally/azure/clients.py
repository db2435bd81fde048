"""Builds official Azure SDK clients from a cloud endpoint set and a credential.

Services receive the clients this module makes; they never construct SDK clients
themselves, never see endpoint URLs, and never handle secrets as plain strings.
Everything that differs between public Azure, a national cloud and the bundled
emulator is in `CloudEndpoints` — there is no other switch.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from skytally.clouds import CloudEndpoints

# The SDK packages (azure-identity, azure-mgmt-*, msal, requests, and azure-core under
# skytally.azure.rest/retry) take ~1 s to import; they are imported by the method that
# builds their client, so a process that never calls Azure (`skytally accounts list`,
# `--help`) does not pay for them.
if TYPE_CHECKING:
    import requests
    from azure.core.credentials import TokenCredential
    from azure.identity import CertificateCredential, ClientSecretCredential
    from azure.mgmt.authorization import AuthorizationManagementClient
    from azure.mgmt.costmanagement import CostManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.resource.subscriptions import SubscriptionClient
    from azure.mgmt.resourcegraph import ResourceGraphClient
    from msal import ConfidentialClientApplication

    from skytally.azure.rest import (
        ArmRestClient,
        EaReportingClient,
        GraphClient,
        OpenIdClient,
        StaticTokenCredential,
    )


# Connections an ARM SDK client keeps open (requests' default is 10): see _arm_transport.
ARM_CONNECTIONS = 32


class AzureConnector:
    """SDK clients and credentials for one cloud."""

    def __init__(self, endpoints: CloudEndpoints) -> None:
        self.endpoints = endpoints

    def __repr__(self) -> str:
        return f"AzureConnector(arm={self.endpoints.url('resource_manager')})"

    # --- transport -------------------------------------------------------------------
    def transport_kwargs(self) -> dict[str, Any]:
        """azure-core pipeline options: trust the configured CA bundle, if any; the
        timeouts of the one retry policy (retry.py)."""
        from skytally.azure import retry

        kwargs = retry.current().transport_kwargs()
        if self.endpoints.ca_bundle is not None:
            kwargs["connection_verify"] = str(self.endpoints.ca_bundle)
        return kwargs

    def _identity_kwargs(self) -> dict[str, Any]:
        from skytally.azure import retry

        return {
            "authority": self.endpoints.url("authority_host"),
            "disable_instance_discovery": not self.endpoints.instance_discovery,
            "retry_policy_class": retry.SkytallyRetryPolicy,
            "retry_after_cap": retry.current().retry_after_cap,
            **retry.current().policy_kwargs(),
            **self.transport_kwargs(),
        }

    # --- credentials -----------------------------------------------------------------
    def client_secret_credential(
        self, tenant_id: str, client_id: str, secret: SecretStr
    ) -> ClientSecretCredential:
        from azure.identity import ClientSecretCredential

        return ClientSecretCredential(
            tenant_id, client_id, secret.get_secret_value(), **self._identity_kwargs()
        )

    def certificate_credential(
        self, tenant_id: str, client_id: str, certificate_pem: SecretStr
    ) -> CertificateCredential:
        from azure.identity import CertificateCredential

        return CertificateCredential(
            tenant_id,
            client_id,
            certificate_data=certificate_pem.get_secret_value().encode(),
            **self._identity_kwargs(),
        )

    # --- Resource Manager clients ----------------------------------------------------
    def _arm_kwargs(self) -> dict[str, Any]:
        from requests.utils import get_environ_proxies

        from skytally.azure import retry

        base_url = self.endpoints.url("resource_manager")
        kwargs: dict[str, Any] = {
            "base_url": base_url,
            "credential_scopes": [self.endpoints.arm_scope()],
            "retry_policy": retry.retry_policy(),
            "per_retry_policies": [retry.ReadWholeAnswer()],
            "transport": self._arm_transport(),
        }
        proxies = get_environ_proxies(base_url)  # the environment's proxies for ARM's host (NO_PROXY honoured)
        if proxies:
            kwargs["proxies"] = proxies
        return kwargs

    def _arm_transport(self) -> Any:
        """The HTTP transport of an ARM SDK client. Two differences from azure-core's
        default, both measured on a tag push (10k calls): the environment (proxies,
        NO_PROXY, CA bundle, ~/.netrc) is read once here for the one host the client talks
        to, not by requests on every call (a third of the push's CPU with ~100 environment
        variables); and the connection pool keeps ARM_CONNECTIONS connections, not 10
        (callers run up to ~24 calls at once on a client: past the pool's size every call
        opened and closed a TLS connection)."""
        import os

        from azure.core.pipeline.transport import RequestsTransport

        kwargs = self.transport_kwargs()
        if "connection_verify" not in kwargs:  # what requests would take from the environment
            env_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            if env_bundle:
                kwargs["connection_verify"] = env_bundle

        class ArmTransport(RequestsTransport):
            def _init_session(self, session: Any) -> None:
                super()._init_session(session)
                for adapter in {id(a): a for a in session.adapters.values()}.values():
                    adapter.init_poolmanager(10, ARM_CONNECTIONS)  # 10 hosts (the default), ARM_CONNECTIONS each

        return ArmTransport(use_env_settings=False, **kwargs)

    def subscriptions(self, credential: TokenCredential) -> SubscriptionClient:
        from azure.mgmt.resource.subscriptions import SubscriptionClient

        return SubscriptionClient(credential, **self._arm_kwargs())

    def resources(self, credential: TokenCredential, subscription_id: str) -> ResourceManagementClient:
        from azure.mgmt.resource.resources import ResourceManagementClient

        return ResourceManagementClient(credential, subscription_id, **self._arm_kwargs())

    def resource_graph(self, credential: TokenCredential) -> ResourceGraphClient:
        from azure.mgmt.resourcegraph import ResourceGraphClient

        return ResourceGraphClient(credential, **self._arm_kwargs())

    def authorization(
        self, credential: TokenCredential, subscription_id: str
    ) -> AuthorizationManagementClient:
        from azure.mgmt.authorization import AuthorizationManagementClient

        return AuthorizationManagementClient(credential, subscription_id, **self._arm_kwargs())

    def cost_management(self, credential: TokenCredential) -> CostManagementClient:
        from azure.mgmt.costmanagement import CostManagementClient

        return CostManagementClient(credential, **self._arm_kwargs())

    def download_blob(self, url: str, dest: Path) -> int:
        """Download a report blob (a SAS URL: no credential) into `dest`, streamed, with
        the retry policy (a broken stream restarts the download). Raises AzureHttpError /
        AzureUnreachable like the REST clients."""
        from skytally.azure.rest import BlobClient

        return BlobClient(self.transport_kwargs()).download(url, dest)

    # --- thin REST clients (see skytally.azure.rest for why) ---------------------------
    def arm_rest(self, credential: TokenCredential) -> ArmRestClient:
        from skytally.azure.rest import ArmRestClient

        return ArmRestClient(
            self.endpoints.url("resource_manager"), credential, self.endpoints.arm_scope(),
            self.transport_kwargs(),
        )

    def graph(self, credential: TokenCredential) -> GraphClient:
        from skytally.azure.rest import GraphClient

        return GraphClient(
            self.endpoints.url("microsoft_graph"), credential, self.endpoints.graph_scope(),
            self.transport_kwargs(),
        )

    def ea_reporting(self, api_key: SecretStr) -> EaReportingClient:
        from skytally.azure.rest import EaReportingClient

        return EaReportingClient(
            self.endpoints.url("ea_reporting"), api_key.get_secret_value(), self.transport_kwargs()
        )

    def openid(self) -> OpenIdClient:
        from skytally.azure.rest import OpenIdClient

        return OpenIdClient(self.endpoints.url("authority_host"), self.transport_kwargs())

    # --- interactive sign-in (consent) -------------------------------------------------
    def msal_app(self, tenant_id: str, client_id: str, secret: SecretStr) -> ConfidentialClientApplication:
        """A confidential MSAL client for one tenant, with no persistent token cache."""
        from msal import ConfidentialClientApplication

        return ConfidentialClientApplication(
            client_id,
            client_credential=secret.get_secret_value(),
            authority=f"{self.endpoints.url('authority_host')}/{tenant_id}",
            instance_discovery=self.endpoints.instance_discovery,
            http_client=self._msal_http(),
            # No refresh token: the delegated access is meant to end with its access token.
            exclude_scopes=["offline_access"],
        )

    def admin_consent_url(self, tenant_id: str, client_id: str, redirect_uri: str, state: str,
                          graph_permissions: list[str] | None = None) -> str:
        """Entra ID's admin consent endpoint (v2.0): for the named Microsoft Graph
        permissions (only those are granted), or for all the app's static permissions."""
        from urllib.parse import urlencode

        audience = self.endpoints.microsoft_graph_audience.rstrip("/")
        scope = " ".join(f"{audience}/{p}" for p in graph_permissions) if graph_permissions else self.endpoints.graph_scope()
        query = urlencode(
            {
                "client_id": client_id,
                "scope": scope,
                "redirect_uri": redirect_uri,
                "state": state,
            }
        )
        return f"{self.endpoints.url('authority_host')}/{tenant_id}/v2.0/adminconsent?{query}"

    def _msal_http(self) -> requests.Session:
        """A requests session for MSAL that trusts the configured CA bundle, with the
        one retry policy (retry.py)."""
        from skytally.azure import retry

        verify: str | bool = str(self.endpoints.ca_bundle) if self.endpoints.ca_bundle else True
        session: requests.Session = retry.requests_session(verify)
        return session

    @staticmethod
    def delegated_credential(access_token: str, expires_on: int) -> StaticTokenCredential:
        """An in-memory credential around a user's delegated token (never stored)."""
        from skytally.azure.rest import StaticTokenCredential

        return StaticTokenCredential(access_token, expires_on)
