"""The events behind the sample cost files (files.py): a catalogue of resources and
meters, and a seeded stream of usage, purchase, refund and unused-commitment events with
their cost in exact integer units of 1e-8, and Microsoft's rules for what each event is
billed and what it effectively costs."""

from __future__ import annotations

import calendar
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

SampleKind = Literal["actual", "amortized"]

_SCALE = 10**8  # money unit: 1e-8

_REGIONS = ["westeurope", "northeurope", "eastus", "eastus2", "westus2", "uksouth", "francecentral"]
_RESOURCE_TYPES = [
    # (provider/type, consumed service, meter category, subcategory, meter, family, unit, price)
    ("Microsoft.Compute/virtualMachines", "Microsoft.Compute", "Virtual Machines", "Dv3/DSv3 Series", "D2 v3/D2s v3", "Compute", "1 Hour", 0.096),
    ("Microsoft.Compute/disks", "Microsoft.Compute", "Storage", "Premium SSD Managed Disks", "P10 LRS Disk", "Storage", "1/Month", 19.71),
    ("Microsoft.Storage/storageAccounts", "Microsoft.Storage", "Storage", "Tiered Block Blob", "Hot LRS Data Stored", "Storage", "1 GB/Month", 0.0184),
    ("Microsoft.Sql/servers/databases", "Microsoft.Sql", "SQL Database", "General Purpose - Compute Gen5", "vCore", "Databases", "1 Hour", 0.5045),
    ("Microsoft.Network/publicIPAddresses", "Microsoft.Network", "Virtual Network", "IP Addresses", "Standard IPv4 Static Public IP", "Networking", "1 Hour", 0.005),
    ("Microsoft.Network/loadBalancers", "Microsoft.Network", "Load Balancer", "Standard", "Data Processed", "Networking", "1 GB", 0.005),
    ("Microsoft.Web/sites", "Microsoft.Web", "Azure App Service", "Premium v3 Plan", "P1 v3 App", "Compute", "1 Hour", 0.2),
    ("Microsoft.ContainerService/managedClusters", "Microsoft.ContainerService", "Azure Kubernetes Service", "Standard", "Uptime SLA", "Compute", "1 Hour", 0.1),
    ("Microsoft.KeyVault/vaults", "Microsoft.KeyVault", "Key Vault", "Standard", "Operations", "Security", "10K", 0.03),
    ("Microsoft.Insights/components", "Microsoft.Insights", "Log Analytics", "Analytics Logs", "Data Ingestion", "Management and Governance", "1 GB", 2.76),
    # no tags on these (untaggable types / classic)
    ("Microsoft.ClassicCompute/domainNames", "Microsoft.ClassicCompute", "Cloud Services", "Basic", "A1 Compute Hour", "Compute", "1 Hour", 0.06),
    ("Microsoft.Network/virtualNetworks/subnets", "Microsoft.Network", "Virtual Network", "Peering", "Intra-Region Ingress", "Networking", "1 GB", 0.01),
]
_UNTAGGABLE = {"Microsoft.ClassicCompute/domainNames", "Microsoft.Network/virtualNetworks/subnets"}
_TAG_SETS = [
    {"env": "prod", "costcenter": "1234", "owner": "alice@contoso.com"},
    {"env": "dev", "costcenter": "5678"},
    {"Environment": "test", "app": "web-shop", "ms-resource-usage": "azure-cloud-shell"},
    {"env": "prod", "app": "data.lake", "aks-managed-createOperationID": ""},
    {"CostCenter": "1234", "city": "Zürich"},
    {},  # untagged resource
    {},
]



@dataclass(frozen=True)
class _Resource:
    sub_id: str
    sub_name: str
    rg: str
    rid: str
    name: str
    rtype: str
    consumed_service: str
    meter_category: str
    meter_sub: str
    meter_name: str
    family: str
    unit: str
    price: float
    meter_id: str
    region: str
    tags: dict[str, str]


@dataclass(frozen=True)
class _Event:
    res: _Resource
    period: str
    day: int
    charge_type: str  # Usage | Purchase | Refund | UnusedReservation | Credit
    pricing_model: str  # OnDemand | Spot | Reservation | SavingsPlan
    publisher_type: str  # Azure/Microsoft | Marketplace
    quantity: str
    cost: int  # 1e-8 units in the file's cost column
    reservation: tuple[str, str] | None  # (id, name)
    frequency: str
    product: str


def _money(v: int) -> str:
    sign = "-" if v < 0 else ""
    q, r = divmod(abs(v), _SCALE)
    return f"{sign}{q}.{r:08d}".rstrip("0").rstrip(".") if r else f"{sign}{q}"


def _period_bounds(period: str) -> tuple[int, int, int]:
    y, m = (int(x) for x in period.split("-"))
    return y, m, calendar.monthrange(y, m)[1]


def _resources(rng: random.Random, subscriptions: int, per_sub: int) -> list[_Resource]:
    out: list[_Resource] = []
    for s in range(subscriptions):
        sub_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        sub_name = f"sub-{['prod', 'dev', 'test', 'data', 'shared'][s % 5]}-{s:02d}"
        for r in range(per_sub):
            rtype, cs, mc, msub, mname, fam, unit, price = _RESOURCE_TYPES[
                (r * 7 + s) % len(_RESOURCE_TYPES)
            ]
            rg = f"rg-{['app', 'data', 'net', 'ops'][r % 4]}-{s:02d}"
            name = f"{rtype.split('/')[-1][:6].lower()}{r:04d}"
            if rtype == "Microsoft.Sql/servers/databases":
                rid = f"/subscriptions/{sub_id}/resourceGroups/{rg}/providers/Microsoft.Sql/servers/sql{r:04d}/databases/{name}"
            else:
                rid = f"/subscriptions/{sub_id}/resourceGroups/{rg}/providers/{rtype}/{name}"
            tags = {} if rtype in _UNTAGGABLE else dict(_TAG_SETS[(r + s) % len(_TAG_SETS)])
            if r % 53 == 0 and tags:
                tags = {**tags, "Env": "Prod"}  # same key in another case (Azure keeps both spellings)
            out.append(
                _Resource(sub_id, sub_name, rg, rid, name, rtype, cs, mc, msub, mname, fam, unit,
                          price, str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                          _REGIONS[(r + s) % len(_REGIONS)], tags)
            )
    return out


def _events(rng: random.Random, rows: int, periods: list[str], resources: list[_Resource],
            kind: SampleKind) -> Iterator[_Event]:
    """The same seed yields the same stream of business events for both kinds; the kind
    only changes how an event is priced and which events appear."""
    reservations = [
        (f"/providers/Microsoft.Capacity/reservationOrders/{uuid.UUID(int=rng.getrandbits(128), version=4)}"
         f"/reservations/{uuid.UUID(int=rng.getrandbits(128), version=4)}", f"VM_RI_{i:02d}")
        for i in range(3)
    ]
    purchase_every = max(rows // 3, 1) if rows >= 30 else 0
    n = 0
    while n < rows:
        i = n
        period = periods[i % len(periods)]
        res = resources[rng.randrange(len(resources))]
        _, _, days = _period_bounds(period)
        day = 1 + rng.randrange(days)
        x = rng.random()
        qty = rng.randrange(1, 2400) / 100
        base = int(qty * res.price * _SCALE * (0.9 + rng.random() * 0.2))
        qty_text = f"{qty:g}" if rng.random() > 0.01 else f"{qty / 1e6:.3E}"  # a few in E notation
        product = f"{res.meter_category} {res.meter_sub} - {res.meter_name}"
        if purchase_every and i % purchase_every == purchase_every // 2:
            # a reservation purchase (actual) / nothing (amortized: spread over usage)
            resv = reservations[(i // purchase_every) % len(reservations)]
            n += 1
            if kind == "actual":
                yield _Event(res, period, 1, "Purchase", "Reservation", "Azure", "1", 1234_5678_9012,
                             resv, "OneTime", "Reserved VM Instance, Standard_D2s_v3, 1 Year")
            else:
                # amortized files carry the unused part of the reservation instead
                yield _Event(res, period, day, "UnusedReservation", "Reservation", "Azure", "1",
                             base // 3, resv, "UsageBased", product)
            continue
        n += 1
        if x < 0.05 and res.rtype == "Microsoft.Compute/virtualMachines":
            resv = reservations[i % len(reservations)]
            yield _Event(res, period, day, "Usage", "Reservation", "Azure", qty_text,
                         0 if kind == "actual" else base // 2, resv, "UsageBased", product)
        elif x < 0.07:
            yield _Event(res, period, day, "Usage", "Spot", "Azure", qty_text, base // 4, None,
                         "UsageBased", product)
        elif x < 0.09:
            yield _Event(res, period, day, "Usage", "OnDemand", "Marketplace", qty_text, base, None,
                         "UsageBased", "Contoso Firewall NVA - BYOL")
        elif x < 0.0905:
            yield _Event(res, period, 1, "Purchase", "OnDemand", "Marketplace", "1", 99_9900_0000,
                         None, "Recurring", "Contoso SaaS - Monthly plan")
        elif x < 0.0908:
            if kind != "actual":
                continue  # amortized data has no refund row (the amortization changes instead)
            resv = reservations[i % len(reservations)]
            yield _Event(res, period, day, "Refund", "Reservation", "Azure", "1", -12_3400_0000,
                         resv, "OneTime", "Reserved VM Instance refund")
        else:
            yield _Event(res, period, day, "Usage", "OnDemand", "Azure", qty_text, base, None,
                         "UsageBased", product)


def _is_commitment(e: _Event) -> bool:
    return e.pricing_model in ("Reservation", "SavingsPlan")


def _billed(e: _Event) -> int:
    if _is_commitment(e) and e.charge_type in ("Usage", "UnusedReservation", "UnusedSavingsPlan"):
        return 0
    return e.cost


def _effective(e: _Event) -> int:
    if _is_commitment(e) and e.charge_type in ("Purchase", "Refund"):
        return 0
    return e.cost
