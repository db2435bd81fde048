"""Meters: what each resource type of the world is charged for (pay-as-you-go USD prices).

A meter says how a resource consumes it per day (``hours``: 24 h a day, ``month``: a
monthly fee spread over the days of the month, ``usage``: a variable quantity around a
base). Prices are list prices in USD per unit (Microsoft's public prices, rounded); the
negotiated (EA) price is a discount on them. Everything here is plain data.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from azure_emulator.world.model import Resource

Shape = Literal["hours", "month", "usage"]
_NS = uuid.UUID("6f1d1c57-3b7e-4b9b-9a3c-0c0c5e7a1d00")


@dataclass(frozen=True, slots=True)
class Meter:
    category: str  # MeterCategory
    subcategory: str  # MeterSubCategory
    name: str  # MeterName
    unit: str  # UnitOfMeasure
    price: float  # list price (USD) per unit
    family: str  # ServiceFamily
    shape: Shape
    base: float = 24.0  # quantity per day (hours: hours a day; usage: mean quantity)

    @property
    def meter_id(self) -> str:
        return str(uuid.uuid5(_NS, f"{self.category}|{self.subcategory}|{self.name}"))

    @property
    def product(self) -> str:
        return f"{self.category} {self.subcategory} - {self.name}"

    @property
    def part_number(self) -> str:
        return f"AAA-{uuid.uuid5(_NS, self.meter_id).int % 100000:05d}"


_VM_PRICES = {"Standard_B2s": 0.0416, "Standard_B2ms": 0.0832, "Standard_D2s_v3": 0.096, "Standard_D4s_v3": 0.192,
              "Standard_D2s_v5": 0.096, "Standard_D4s_v5": 0.192, "Standard_E4s_v5": 0.252,
              "Standard_F4s_v2": 0.169, "Standard_D8s_v5": 0.384}
_PREMIUM_DISKS = [(32, "P4", 5.28), (64, "P6", 10.21), (128, "P10", 19.71), (256, "P15", 38.02),
                  (512, "P20", 73.22), (1024, "P30", 135.17)]
_SSD_DISKS = [(32, "E4", 2.40), (64, "E6", 4.80), (128, "E10", 9.60), (256, "E15", 19.20),
              (512, "E20", 38.40), (1024, "E30", 76.80)]

BANDWIDTH = Meter("Bandwidth", "", "Standard Data Transfer Out", "1 GB", 0.087, "Networking", "usage", 3.0)


def _series(size: str) -> str:
    body = size.removeprefix("Standard_")  # D4s_v5 → "Dv5 Series", B2s → "B Series"
    version = body.rsplit("_", 1)[-1] if "_v" in body else ""
    return f"{body[0]}{version} Series"


def vm_meter(size: str, windows: bool) -> Meter:
    price = _VM_PRICES.get(size, 0.096) * (1.46 if windows else 1.0)
    label = size.removeprefix("Standard_").replace("_", " ")
    sub = f"{_series(size)}{' Windows' if windows else ''}"
    return Meter("Virtual Machines", sub, label, "1 Hour", round(price, 4), "Compute", "hours")


def disk_meter(sku: str, size_gb: int) -> Meter:
    table = _PREMIUM_DISKS if sku.startswith("Premium") else _SSD_DISKS
    _gb, tier, price = next(((g, t, p) for g, t, p in table if size_gb <= g), table[-1])
    sub = "Premium SSD Managed Disks" if sku.startswith("Premium") else "Standard SSD Managed Disks"
    return Meter("Storage", sub, f"{tier} LRS Disk", "1/Month", price, "Storage", "month")


# type → meters (types not listed are free: NICs, VNets, NSGs, SQL servers, sites billed via plans …)
STATIC: dict[str, list[Meter]] = {
    "Microsoft.Network/publicIPAddresses": [
        Meter("Virtual Network", "IP Addresses", "Standard IPv4 Static Public IP", "1 Hour", 0.005, "Networking", "hours")],
    "Microsoft.Network/loadBalancers": [
        Meter("Load Balancer", "Standard", "Standard Included LB Rules and Outbound Rules", "1 Hour", 0.025, "Networking", "hours"),
        Meter("Load Balancer", "Standard", "Standard Data Processed", "1 GB", 0.005, "Networking", "usage", 40.0)],
    "Microsoft.Storage/storageAccounts": [
        Meter("Storage", "Tiered Block Blob", "Hot LRS Data Stored", "1 GB/Month", 0.0184, "Storage", "month", 0.0),
        Meter("Storage", "Tiered Block Blob", "Hot LRS Write Operations", "10K", 0.055, "Storage", "usage", 12.0)],
    "Microsoft.Sql/servers/databases": [
        Meter("SQL Database", "General Purpose - Compute Gen5", "vCore", "1 Hour", 0.2525, "Databases", "hours", 48.0),
        Meter("SQL Database", "General Purpose - Storage", "Data Stored", "1 GB/Month", 0.115, "Databases", "month", 0.0)],
    "Microsoft.Web/serverFarms": [
        Meter("Azure App Service", "Premium v3 Plan", "P1 v3 App", "1 Hour", 0.20, "Compute", "hours")],
    "Microsoft.ContainerService/managedClusters": [
        Meter("Azure Kubernetes Service", "Standard", "Standard Uptime SLA", "1 Hour", 0.10, "Compute", "hours")],
    "Microsoft.Compute/virtualMachineScaleSets": [
        Meter("Virtual Machines", "Dv5 Series", "D4s v5", "1 Hour", 0.192, "Compute", "hours", 72.0)],
    "Microsoft.Insights/components": [
        Meter("Log Analytics", "Analytics Logs", "Analytics Logs Data Ingestion", "1 GB", 2.76, "Management and Governance", "usage", 0.8)],
    "Microsoft.OperationalInsights/workspaces": [
        Meter("Log Analytics", "Analytics Logs", "Pay-as-you-go Data Ingestion", "1 GB", 2.76, "Management and Governance", "usage", 2.5)],
    "Microsoft.ContainerRegistry/registries": [
        Meter("Container Registry", "Premium", "Premium Registry Unit", "1/Day", 1.667, "Containers", "hours", 1.0)],
    "Microsoft.DocumentDB/databaseAccounts": [
        Meter("Azure Cosmos DB", "RUs", "100 RU/s", "1 Hour", 0.008, "Databases", "hours", 96.0),
        Meter("Azure Cosmos DB", "Data Stored", "Data Stored", "1 GB/Month", 0.25, "Databases", "month", 0.0)],
    "Microsoft.Cache/redis": [
        Meter("Redis Cache", "Standard", "C1 Cache Instance", "1 Hour", 0.10, "Databases", "hours")],
    "Microsoft.EventHub/namespaces": [
        Meter("Event Hubs", "Standard", "Standard Throughput Unit", "1 Hour", 0.03, "Internet of Things", "hours"),
        Meter("Event Hubs", "Standard", "Standard Ingress Events", "1M", 0.028, "Internet of Things", "usage", 30.0)],
    "Microsoft.KeyVault/vaults": [
        Meter("Key Vault", "Standard", "Operations", "10K", 0.03, "Security", "usage", 4.0)],
    "Microsoft.DataFactory/factories": [
        Meter("Azure Data Factory v2", "Data Movement", "Cloud Data Movement", "1 Hour", 0.25, "Analytics", "usage", 6.0)],
    "Microsoft.Automation/automationAccounts": [
        Meter("Automation", "Process Automation", "Basic Runtime", "1 Minute", 0.002, "Management and Governance", "usage", 120.0)],
    "Microsoft.RecoveryServices/vaults": [
        Meter("Backup", "Azure VM Protected Instances", "Azure VM Protected Instance", "1/Month", 10.0, "Storage", "month", 1.0)],
    "Microsoft.Network/dnszones": [
        Meter("Azure DNS", "Public", "Public Zone", "1/Month", 0.5, "Networking", "month", 1.0)],
    "Microsoft.Network/privateDnsZones": [
        Meter("Azure DNS", "Private", "Private Zone", "1/Month", 0.5, "Networking", "month", 1.0)],
    "Microsoft.ServiceBus/namespaces": [
        Meter("Service Bus", "Standard", "Standard Base Unit", "1 Hour", 0.0135, "Integration", "hours")],
    "Microsoft.ClassicCompute/domainNames": [
        Meter("Cloud Services", "A Series", "A2", "1 Hour", 0.12, "Compute", "hours")],
    "Microsoft.ClassicStorage/storageAccounts": [
        Meter("Storage", "Locally Redundant", "Data Stored", "1 GB/Month", 0.045, "Storage", "month", 0.0)],
}

CONSUMED_SERVICE = {
    "Microsoft.Network/dnszones": "Microsoft.Network", "Microsoft.Network/privateDnsZones": "Microsoft.Network",
    "Microsoft.Insights/components": "microsoft.insights",
    "Microsoft.OperationalInsights/workspaces": "Microsoft.OperationalInsights",
}


def dig(data: object, *keys: str) -> object:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def meters_for(res: Resource) -> list[tuple[Meter, float]]:
    """(meter, quantity scale) pairs a resource is charged for; [] for free resources."""
    props = res.properties or {}
    sku = res.sku or {}
    if res.type == "Microsoft.Compute/virtualMachines":
        size = str(dig(props, "hardwareProfile", "vmSize") or "Standard_D2s_v3")
        windows = dig(props, "storageProfile", "osDisk", "osType") == "Windows"
        return [(vm_meter(size, windows), 1.0), (BANDWIDTH, 1.0)]
    if res.type == "Microsoft.Compute/disks":
        size = int(props.get("diskSizeGB", 128))  # type: ignore[call-overload]
        return [(disk_meter(str(sku.get("name", "Premium_LRS")), size), 1.0)]
    if res.type == "Microsoft.Sql/servers/databases" and str(sku.get("name", "")).lower() == "system":
        return []
    found = STATIC.get(res.type, [])
    out = []
    for meter in found:
        scale = 1.0
        if meter.shape == "month" and meter.base == 0.0:
            scale = 50.0 + (hash_unit(res.id, meter.name) % 950)  # stored GB
        out.append((meter, scale))
    return out


def hash_unit(*parts: str) -> int:
    """A stable 32-bit hash (Python's ``hash`` is salted per process)."""
    import zlib

    return zlib.crc32("|".join(parts).encode())


# --- marketplace and reservations ------------------------------------------------------

MARKETPLACE_USAGE = Meter("SaaS", "Datadog Pro", "Infrastructure Host", "1 Hour", 0.021, "Compute", "usage", 240.0)
MARKETPLACE_PUBLISHER = ("Datadog", "datadog1591740804488.dd_liftr_v2", "pro")
SAAS_MONTHLY = Meter("SaaS", "Elastic Cloud", "Elastic Cloud Standard Monthly", "1/Month", 450.0, "Compute", "month", 1.0)
SAAS_PUBLISHER = ("Elastic", "elastic.ec-azure-pp", "ec-standard-monthly")
RESERVATION_METER = Meter("Virtual Machines Reservation", "Reservation-Base VM", "D2s v5", "1 Hour", 0.0574,
                          "Compute", "hours")
