"""ARM's cloud metadata document (``GET /metadata/endpoints``), every endpoint on the emulator.

This is what ``az cloud register --endpoint-resource-manager <arm>`` reads (with
``api-version=2022-09-01``) to learn where sign-in, Microsoft Graph and the rest of a cloud
live: one cloud object. ``api-version=2019-05-01`` answers the list of clouds the host knows
(the form ``ARM_CLOUD_METADATA_URL`` points at); here that list holds the emulator's cloud.
No token is needed (Azure serves the document anonymously).

Suffixes name hosts the emulator does not serve (storage, Key Vault, ...): they are kept
Azure's so a client that composes them gets a well-formed value, never a working host.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Router

from azure_emulator.core.arm import ArmRoute, json_response
from azure_emulator.core.context import base_urls
from azure_emulator.core.errors import arm_error

CLOUD_NAME = "AzureEmulator"
_LIST_VERSIONS = ("2019-05-01",)
_KNOWN_VERSIONS = ("2018-01-01", "2019-05-01", "2020-06-01", "2022-09-01", "2023-11-01")

# Azure's public suffixes (hosts the emulator does not serve).
_SUFFIXES = {
    "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
    "acrLoginServer": "azurecr.io",
    "sqlServerHostname": "database.windows.net",
    "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
    "keyVaultDns": "vault.azure.net",
    "storage": "core.windows.net",
    "azureFrontDoorEndpointSuffix": "azurefd.net",
    "storageSyncEndpointSuffix": "afs.azure.net",
    "mhsmDns": "managedhsm.azure.net",
    "mysqlServerEndpoint": "mysql.database.azure.com",
    "postgresqlServerEndpoint": "postgres.database.azure.com",
    "mariadbServerEndpoint": "mariadb.database.azure.com",
    "synapseAnalytics": "dev.azuresynapse.net",
    "attestationEndpoint": "attest.azure.net",
}


def cloud_document(request: Request) -> dict[str, Any]:
    base = base_urls(request)
    arm = base.arm + "/"
    return {
        "portal": base.root,
        "authentication": {
            "loginEndpoint": base.login,
            # The first audience is the one clients ask tokens for.
            "audiences": [arm, base.arm],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "media": base.root,
        "graphAudience": base.graph + "/",
        "graph": base.graph + "/",
        "name": CLOUD_NAME,
        "suffixes": dict(_SUFFIXES),
        "batch": base.root + "/",
        "resourceManager": arm,
        "vmImageAliasDoc": base.root + "/_emulator/vm-image-aliases.json",
        "activeDirectoryDataLake": base.root + "/",
        "sqlManagement": base.root + "/",
        "microsoftGraphResourceId": base.graph + "/",
        "appInsightsResourceId": base.root,
        "appInsightsTelemetryChannelResourceId": base.root,
        "attestationResourceId": base.root,
        "synapseAnalyticsResourceId": base.root,
        "logAnalyticsResourceId": base.root,
        "ossrDbmsResourceId": base.root,
    }


async def metadata_endpoints(request: Request) -> Response:
    version = request.query_params.get("api-version")
    if not version:
        raise arm_error(400, "MissingApiVersionParameter",
                        "The api-version query parameter (?api-version=) is required for all requests.")
    if version not in _KNOWN_VERSIONS:
        raise arm_error(400, "InvalidApiVersionParameter",
                        f"The api-version '{version}' is invalid. The supported versions are '{','.join(reversed(_KNOWN_VERSIONS))}'.")
    document = cloud_document(request)
    return json_response([document] if version in _LIST_VERSIONS else document)


router = Router(routes=[ArmRoute(r"/metadata/endpoints", metadata_endpoints, ["GET"])])
