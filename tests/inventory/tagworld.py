"""A small inventory written straight into the app database (no emulator): one Azure
account with two subscriptions (one at tags-writeback, one at tags), resources with messy
tags, for the editing tests."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from skytally.accounts.models import CloudAccount, CloudSubscription
from skytally.inventory.models import InventoryResource
from skytally.inventory.tag_models import InventoryContainer, InventoryTag
from skytally.store.base import utcnow

WB = "00000000-0000-0000-0000-0000000000aa"
TG = "00000000-0000-0000-0000-0000000000bb"


@dataclass
class World:
    account_id: int
    ids: dict[str, int]  # resource name → pk


def build(session: Session) -> World:
    account = CloudAccount(kind="azure", name="Contoso", tenant_id="t" * 36, connection="service_principal")
    session.add(account)
    session.flush()
    for sid, level in ((WB, "tags-writeback"), (TG, "tags")):
        session.add(CloudSubscription(account_id=account.id, subscription_id=sid, display_name=level,
                                      access_level=level, role_status="active"))
    now = utcnow()
    spec = [
        (WB, "web-1", "microsoft.compute/virtualmachines", "rg-web", {"env": "prod", "CostCenter": "cc1"}),
        (WB, "web-2", "microsoft.compute/virtualmachines", "rg-web", {"Env": "prod"}),
        (WB, "db-1", "microsoft.sql/servers", "rg-data", {"ENV": "dev"}),
        (WB, "stor1", "microsoft.storage/storageaccounts", "rg-data", {}),
        (WB, "subnet-a", "microsoft.network/virtualnetworks/subnets", "rg-web", {}),
        (TG, "app-1", "microsoft.web/sites", "rg-app", {"env": "test"}),
    ]
    ids: dict[str, int] = {}
    for sid, name, rtype, rg, tags in spec:
        res = InventoryResource(account_id=account.id, subscription_id=sid, name=name, type=rtype, resource_group=rg,
                                location="westeurope", first_seen=now, last_seen=now,
                                resource_id=f"/subscriptions/{sid}/resourcegroups/{rg}/providers/{rtype}/{name}")
        session.add(res)
        session.flush()
        ids[name] = res.id
        for k, v in tags.items():
            session.add(InventoryTag(resource_pk=res.id, key_lower=k.lower(), azure_key=k, azure_value=v, local_key=k,
                                     local_value=v, state="in_sync", source="azure", set_by="azure", set_at=now))
    session.add(InventoryContainer(account_id=account.id, subscription_id=WB, resource_group="rg-web", name="rg-web",
                                   tags={"Owner": "team-web"}))
    session.flush()
    return World(account.id, ids)
