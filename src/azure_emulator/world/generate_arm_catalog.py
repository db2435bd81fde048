"""Catalogs for ARM world generation: regions, apps, tag styles and workload templates."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

REGIONS = ["eastus", "eastus2", "westus2", "centralus", "westeurope", "northeurope", "uksouth",
           "francecentral", "germanywestcentral", "swedencentral", "southeastasia", "japaneast",
           "australiaeast", "canadacentral", "brazilsouth"]
REGION_SHORT = {"eastus": "eus", "eastus2": "eus2", "westus2": "wus2", "centralus": "cus", "westeurope": "weu",
                "northeurope": "neu", "uksouth": "uks", "francecentral": "frc", "germanywestcentral": "gwc",
                "swedencentral": "sdc", "southeastasia": "sea", "japaneast": "jpe", "australiaeast": "aue",
                "canadacentral": "cac", "brazilsouth": "brs"}
APPS = ["billing", "orders", "crm", "portal", "payments", "search", "analytics", "hr", "inventory",
        "catalog", "identity", "reporting", "etl", "api", "web", "mobile", "ml", "iot", "logistics", "erp"]
SUB_NAMES = ["Production", "Development", "Shared Services", "Data Platform", "Sandbox", "Dev/Test",
             "Connectivity", "Analytics", "Marketing Apps", "Finance Apps", "SAP", "Identity"]

_LOWER = {"prod": ("prod", "prod", "production"), "dev": ("dev", "development"), "test": ("test", "qa"),
          "uat": ("uat",), "staging": ("staging", "stage")}
_TITLE = {"prod": ("Prod", "Production"), "dev": ("Dev", "Development"), "test": ("Test", "QA"),
          "uat": ("UAT",), "staging": ("Staging",)}
_UPPER = {"prod": ("PROD", "PRD"), "dev": ("DEV",), "test": ("TEST",), "uat": ("UAT",), "staging": ("STG",)}
# (env key, env values, owner key, cost-centre key, app key); None: a team that never tags
ENV_STYLES: list[Any] = [
    ("env", _LOWER, "owner", "costCenter", "app"),
    ("env", _LOWER, "owner", "cost-center", "application"),
    ("Env", _TITLE, "Owner", "CostCenter", "Application"),
    ("Environment", _TITLE, "Owner", "CostCentre", "App"),
    ("ENV", _UPPER, "OWNER", "COSTCENTER", "APP"),
    ("environment", _LOWER, "owner", "cost_center", "app"),
    None,
    None,
]

VM_SIZES = ["Standard_B2s", "Standard_B2ms", "Standard_D2s_v3", "Standard_D4s_v3", "Standard_D2s_v5",
            "Standard_D4s_v5", "Standard_E4s_v5", "Standard_F4s_v2", "Standard_D8s_v5"]


@dataclass(slots=True)
class Spec:
    """A resource to create: full type, name (``parent/child`` for nested types), extras."""

    type: str
    name: str
    kind: str | None = None
    sku: tuple[str, ...] | None = None
    properties: dict[str, Any] | None = None
    location: str | None = None
    untaggable: bool = False

    def __post_init__(self) -> None:
        if self.properties is None:
            self.properties = {}

    def path(self) -> str:
        ns, *types = self.type.split("/")
        names = self.name.split("/")
        return ns + "".join(f"/{t}/{n}" for t, n in zip(types, names, strict=False))


def _vm(rng: random.Random, app: str, env: str, i: int, hexid: Callable[[int], str]) -> list[Spec]:
    name = f"vm-{app}-{env}-{i:02d}"
    windows = rng.random() < 0.4
    specs = [
        Spec("Microsoft.Compute/virtualMachines", name, properties={
            "vmId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "hardwareProfile": {"vmSize": rng.choice(VM_SIZES)},
            "storageProfile": {"osDisk": {"osType": "Windows" if windows else "Linux"}},
        }),
        Spec("Microsoft.Compute/disks", f"{name}_OsDisk_1_{hexid(32)}", sku=(rng.choice(("Premium_LRS", "StandardSSD_LRS")), ),
             properties={"diskSizeGB": rng.choice((30, 64, 128, 127)), "diskState": "Attached"}),
        Spec("Microsoft.Network/networkInterfaces", f"{name}{rng.randint(100, 999)}"),
    ]
    for d in range(rng.choice((0, 0, 1, 2))):
        specs.append(Spec("Microsoft.Compute/disks", f"{name}_DataDisk_{d}", sku=("Premium_LRS",),
                          properties={"diskSizeGB": rng.choice((128, 256, 512, 1024)), "diskState": "Attached"}))
    if rng.random() < 0.4:
        specs.append(Spec("Microsoft.Network/publicIPAddresses", f"{name}-ip", sku=("Standard",)))
    if rng.random() < 0.1:
        specs.append(Spec("Microsoft.Compute/virtualMachines/extensions", f"{name}/AzureMonitorLinuxAgent"))
    return specs


def workload_specs(rng: random.Random, app: str, env: str, hexid: Callable[[int], str]) -> list[Spec]:
    """The resources of one resource group: a workload of a few related resources."""
    kind = rng.random()
    s: list[Spec] = []
    if kind < 0.30:
        for i in range(rng.randint(1, 4)):
            s += _vm(rng, app, env, i + 1, hexid)
        s.append(Spec("Microsoft.Network/virtualNetworks", f"vnet-{app}-{env}"))
        s.append(Spec("Microsoft.Network/networkSecurityGroups", f"nsg-{app}-{env}"))
    elif kind < 0.50:
        s.append(Spec("Microsoft.Web/serverFarms", f"asp-{app}-{env}", kind="app", sku=("P1v3", "PremiumV3", "1")))
        for i in range(rng.randint(1, 3)):
            s.append(Spec("Microsoft.Web/sites", f"app-{app}-{env}-{hexid(4)}" if i else f"app-{app}-{env}", kind="app"))
        s.append(Spec("Microsoft.Insights/components", f"appi-{app}-{env}", kind="web"))
        s.append(Spec("Microsoft.Storage/storageAccounts", f"st{app}{env}{hexid(6)}"[:24], kind="StorageV2",
                      sku=("Standard_LRS", "Standard"), properties={"accessTier": "Hot"}))
    elif kind < 0.65:
        server = f"sql-{app}-{env}-{hexid(4)}"
        s.append(Spec("Microsoft.Sql/servers", server, kind="v12.0"))
        s.append(Spec("Microsoft.Sql/servers/databases", f"{server}/master", kind="v12.0,system", sku=("System", "System")))
        for db in rng.sample(("orders", "customers", "billing", "audit", "reporting", "staging"), rng.randint(1, 3)):
            s.append(Spec("Microsoft.Sql/servers/databases", f"{server}/{db}", kind="v12.0,user,vcore",
                          sku=("GP_Gen5", "GeneralPurpose", "2")))
        s.append(Spec("Microsoft.KeyVault/vaults", f"kv-{app}-{env}-{hexid(4)}", properties={"tenantId": None}))
    elif kind < 0.73:
        s.append(Spec("Microsoft.ContainerService/managedClusters", f"aks-{app}-{env}",
                      sku=("Base", "Standard"), properties={"kubernetesVersion": rng.choice(("1.29.7", "1.30.3", "1.28.9"))}))
        s.append(Spec("Microsoft.ContainerRegistry/registries", f"acr{app}{env}{hexid(4)}", sku=("Premium", "Premium")))
        s.append(Spec("Microsoft.OperationalInsights/workspaces", f"log-{app}-{env}"))
    elif kind < 0.82:
        s.append(Spec("Microsoft.DocumentDB/databaseAccounts", f"cosmos-{app}-{env}-{hexid(4)}", kind="GlobalDocumentDB"))
        s.append(Spec("Microsoft.Cache/redis", f"redis-{app}-{env}-{hexid(4)}"))
        s.append(Spec("Microsoft.EventHub/namespaces", f"evhns-{app}-{env}", sku=("Standard", "Standard", "1")))
    elif kind < 0.90:
        for _ in range(rng.randint(1, 4)):
            s.append(Spec("Microsoft.Storage/storageAccounts", f"st{app}{hexid(10)}"[:24],
                          kind=rng.choice(("StorageV2", "StorageV2", "BlobStorage")),
                          sku=(rng.choice(("Standard_LRS", "Standard_GRS", "Standard_RAGRS")), "Standard"),
                          properties={"accessTier": rng.choice(("Hot", "Cool"))}))
        s.append(Spec("Microsoft.DataFactory/factories", f"adf-{app}-{env}-{hexid(4)}"))
    elif kind < 0.95:
        s.append(Spec("Microsoft.Automation/automationAccounts", f"aa-{app}-{env}"))
        s.append(Spec("Microsoft.RecoveryServices/vaults", f"rsv-{app}-{env}", sku=("RS0", "Standard")))
        s.append(Spec("Microsoft.Insights/actionGroups", f"ag-{app}-{env}", location="global"))
    else:
        s.append(Spec("Microsoft.Network/dnszones", f"{app}-{env}.contoso.com", location="global"))
        s.append(Spec("Microsoft.Network/privateDnsZones", f"privatelink.{app}.{env}.internal", location="global"))
        s.append(Spec("Microsoft.ServiceBus/namespaces", f"sb-{app}-{env}-{hexid(4)}", sku=("Standard", "Standard")))
    return s
