"""Resource providers the emulator knows: namespaces, resource types, api-versions, locations.

Minimal but real: ``GET /subscriptions/{id}/providers[/{namespace}]`` and the tenant-level
``/providers[/{namespace}]`` answer from this catalog, and a generic GET by resource id
checks its api-version against it (ARM's ``NoRegisteredProviderFound``).
"""

from __future__ import annotations

from typing import Any

from azure_emulator.core.errors import ApiError, arm_error

LOCATIONS = [
    "East US", "East US 2", "West US", "West US 2", "West US 3", "Central US", "North Central US",
    "South Central US", "West Central US", "Canada Central", "Brazil South", "North Europe",
    "West Europe", "UK South", "France Central", "Germany West Central", "Switzerland North",
    "Sweden Central", "Norway East", "East Asia", "Southeast Asia", "Japan East", "Australia East",
    "Central India", "Korea Central", "South Africa North", "UAE North",
]

_COMPUTE = ["2024-07-01", "2024-03-01", "2023-09-01", "2023-07-01", "2023-03-01", "2022-11-01", "2022-08-01",
            "2022-03-01", "2021-11-01", "2021-07-01", "2021-03-01", "2020-12-01", "2020-06-01", "2019-07-01"]
_DISKS = ["2024-03-02", "2023-10-02", "2023-04-02", "2023-01-02", "2022-07-02", "2022-03-02", "2021-12-01",
          "2021-08-01", "2021-04-01", "2020-12-01", "2020-09-30", "2019-07-01"]
_NETWORK = ["2024-05-01", "2024-03-01", "2024-01-01", "2023-11-01", "2023-09-01", "2023-06-01", "2023-05-01",
            "2023-04-01", "2023-02-01", "2022-11-01", "2022-09-01", "2022-07-01", "2022-05-01", "2022-01-01",
            "2021-08-01", "2021-05-01", "2021-02-01", "2020-11-01", "2020-07-01", "2020-05-01"]
_STORAGE = ["2023-05-01", "2023-04-01", "2023-01-01", "2022-09-01", "2022-05-01", "2021-09-01", "2021-08-01",
            "2021-06-01", "2021-04-01", "2021-02-01", "2021-01-01", "2019-06-01"]
_SQL = ["2023-08-01-preview", "2023-05-01-preview", "2022-11-01-preview", "2022-05-01-preview", "2021-11-01",
        "2021-02-01-preview", "2020-11-01-preview", "2014-04-01"]
_WEB = ["2023-12-01", "2023-01-01", "2022-09-01", "2022-03-01", "2021-03-01", "2021-02-01", "2020-12-01",
        "2020-06-01", "2019-08-01", "2018-11-01"]
_KV = ["2024-04-01-preview", "2023-07-01", "2023-02-01", "2022-07-01", "2021-10-01", "2021-06-01-preview",
       "2019-09-01", "2018-02-14"]
_AKS = ["2024-05-01", "2024-02-01", "2023-11-01", "2023-10-01", "2023-08-01", "2023-05-01", "2023-01-01",
        "2022-11-01", "2022-09-01"]
_COSMOS = ["2024-05-15", "2024-02-15-preview", "2023-11-15", "2023-04-15", "2022-11-15", "2022-08-15",
           "2021-10-15", "2021-06-15"]
_CLASSIC = ["2016-11-01", "2016-04-01", "2015-12-01", "2015-10-01", "2014-06-01"]

# namespace → {resourceType: apiVersions}
CATALOG: dict[str, dict[str, list[str]]] = {
    "Microsoft.Compute": {
        "virtualMachines": _COMPUTE, "virtualMachines/extensions": _COMPUTE, "virtualMachineScaleSets": _COMPUTE,
        "availabilitySets": _COMPUTE, "images": _COMPUTE, "disks": _DISKS, "snapshots": _DISKS,
        "sshPublicKeys": _COMPUTE, "locations": _COMPUTE, "operations": _COMPUTE,
    },
    "Microsoft.Network": {
        "virtualNetworks": _NETWORK, "virtualNetworks/subnets": _NETWORK, "networkInterfaces": _NETWORK,
        "publicIPAddresses": _NETWORK, "networkSecurityGroups": _NETWORK, "loadBalancers": _NETWORK,
        "applicationGateways": _NETWORK, "privateEndpoints": _NETWORK, "networkWatchers": _NETWORK,
        "routeTables": _NETWORK, "dnszones": ["2023-07-01-preview", "2018-05-01", "2017-10-01", "2016-04-01"],
        "privateDnsZones": ["2024-06-01", "2020-06-01", "2020-01-01", "2018-09-01"],
    },
    "Microsoft.Storage": {"storageAccounts": _STORAGE},
    "Microsoft.Sql": {"servers": _SQL, "servers/databases": _SQL, "servers/elasticPools": _SQL},
    "Microsoft.Web": {"serverFarms": _WEB, "sites": _WEB, "sites/slots": _WEB},
    "Microsoft.KeyVault": {"vaults": _KV},
    "Microsoft.ContainerService": {"managedClusters": _AKS},
    "Microsoft.ContainerRegistry": {"registries": ["2023-07-01", "2023-01-01-preview", "2022-12-01", "2021-09-01", "2019-05-01"]},
    "Microsoft.DocumentDB": {"databaseAccounts": _COSMOS},
    "Microsoft.Cache": {"redis": ["2024-03-01", "2023-08-01", "2023-04-01", "2022-06-01", "2021-06-01", "2020-06-01"]},
    "Microsoft.Insights": {"components": ["2020-02-02", "2018-05-01-preview", "2015-05-01"],
                           "actionGroups": ["2023-01-01", "2022-06-01", "2021-09-01", "2019-06-01"]},
    "Microsoft.OperationalInsights": {"workspaces": ["2023-09-01", "2022-10-01", "2021-06-01", "2020-08-01", "2020-03-01-preview"]},
    "Microsoft.Automation": {"automationAccounts": ["2023-11-01", "2022-08-08", "2021-06-22", "2019-06-01", "2015-10-31"]},
    "Microsoft.EventHub": {"namespaces": ["2024-01-01", "2022-10-01-preview", "2021-11-01", "2017-04-01"]},
    "Microsoft.ServiceBus": {"namespaces": ["2022-10-01-preview", "2021-11-01", "2017-04-01"]},
    "Microsoft.DataFactory": {"factories": ["2018-06-01"]},
    "Microsoft.NotificationHubs": {"namespaces": ["2023-10-01-preview", "2023-09-01", "2023-01-01-preview", "2017-04-01", "2016-03-01"],
                                   "namespaces/notificationHubs": ["2023-10-01-preview", "2023-09-01", "2017-04-01", "2016-03-01"]},
    "Microsoft.RecoveryServices": {"vaults": ["2024-04-01", "2023-06-01", "2023-04-01", "2022-10-01", "2021-03-01"]},
    "Microsoft.ClassicCompute": {"domainNames": _CLASSIC, "virtualMachines": _CLASSIC},
    "Microsoft.ClassicStorage": {"storageAccounts": _CLASSIC},
    "Microsoft.Resources": {
        "tenants": ["2022-12-01", "2022-09-01", "2021-01-01", "2020-01-01", "2019-11-01", "2016-06-01"],
        "subscriptions": ["2022-12-01", "2022-09-01", "2021-01-01", "2020-01-01", "2019-11-01", "2016-06-01"],
        "subscriptions/resourceGroups": ["2025-04-01", "2024-11-01", "2024-07-01", "2024-03-01", "2023-07-01",
                                         "2022-09-01", "2021-04-01", "2021-01-01", "2020-06-01", "2019-10-01"],
        "resourceGroups": ["2025-04-01", "2024-11-01", "2024-07-01", "2024-03-01", "2023-07-01", "2022-09-01",
                           "2021-04-01", "2021-01-01", "2020-06-01", "2019-10-01"],
        "tags": ["2025-04-01", "2024-11-01", "2024-07-01", "2024-03-01", "2023-07-01", "2022-09-01",
                 "2021-04-01", "2021-01-01", "2020-06-01", "2019-10-01"],
        "providers": ["2025-04-01", "2024-11-01", "2024-07-01", "2024-03-01", "2022-09-01", "2021-04-01"],
    },
    "Microsoft.Authorization": {
        "roleAssignments": ["2022-04-01", "2022-01-01-preview", "2020-10-01-preview", "2020-04-01-preview",
                            "2018-09-01-preview", "2018-01-01-preview", "2017-10-01-preview", "2015-07-01"],
        "roleDefinitions": ["2022-05-01-preview", "2022-04-01", "2018-01-01-preview", "2015-07-01"],
        "permissions": ["2022-05-01-preview", "2022-04-01", "2018-07-01", "2018-01-01-preview", "2015-07-01"],
        "locks": ["2020-05-01", "2017-04-01", "2016-09-01", "2015-01-01"],
    },
    "Microsoft.ResourceGraph": {
        "resources": ["2024-04-01", "2022-10-01", "2021-06-01-preview", "2021-03-01", "2020-04-01-preview", "2019-04-01"],
    },
}
_NS_BY_LOWER = {ns.lower(): ns for ns in CATALOG}
_LOCATIONLESS_NS = {"Microsoft.Resources", "Microsoft.Authorization", "Microsoft.ResourceGraph"}


def namespace(name: str) -> str | None:
    return _NS_BY_LOWER.get(name.lower())


def api_versions(resource_type: str) -> list[str] | None:
    """Versions for a full type like ``Microsoft.Sql/servers/databases`` (None: unknown type)."""
    ns, _, rest = resource_type.partition("/")
    canonical = namespace(ns)
    if canonical is None:
        return None
    for rtype, versions in CATALOG[canonical].items():
        if rtype.lower() == rest.lower():
            return versions
    return None


def check_api_version(resource_type: str, location: str, version: str) -> None:
    versions = api_versions(resource_type)
    if versions is None or version.lower() in (v.lower() for v in versions):
        return
    raise no_registered_provider(resource_type, location, version, versions)


def no_registered_provider(resource_type: str, location: str, version: str, versions: list[str]) -> ApiError:
    rest = resource_type.partition("/")[2]
    return arm_error(
        400,
        "NoRegisteredProviderFound",
        f"No registered resource provider found for location '{location}' and API version '{version}' "
        f"for type '{rest}'. The supported api-versions are '{', '.join(versions)}'. The supported "
        f"locations are '{', '.join(loc.replace(' ', '').lower() for loc in LOCATIONS)}'.",
    )


def provider_json(ns: str, subscription_id: str | None) -> dict[str, Any]:
    types = []
    for rtype, versions in CATALOG[ns].items():
        entry: dict[str, Any] = {
            "resourceType": rtype,
            "locations": [] if ns in _LOCATIONLESS_NS else list(LOCATIONS),
            "apiVersions": list(versions),
        }
        if ns not in _LOCATIONLESS_NS and "/" not in rtype:
            entry["capabilities"] = "CrossResourceGroupResourceMove, CrossSubscriptionResourceMove, SupportsTags, SupportsLocation"
        types.append(entry)
    body: dict[str, Any] = {
        "id": f"/subscriptions/{subscription_id}/providers/{ns}" if subscription_id else f"/providers/{ns}",
        "namespace": ns,
        "resourceTypes": types,
    }
    if subscription_id:
        body["registrationState"] = "Registered"
        body["registrationPolicy"] = "RegistrationRequired"
    return body


def provider_not_found(ns: str) -> ApiError:
    return arm_error(
        404,
        "InvalidResourceNamespace",
        f"The resource namespace '{ns}' is invalid.",
    )
