"""Tag coverage: per key, the share of resources carrying it (keys compared as Azure does,
case-insensitively, with every spelling counted as a casing variant), its top values,
untaggable resources; per subscription. Scoped to a filter and optionally a workspace.

The share of *cost* carrying a key belongs to the costs capability: interfaces ask it
(`costs.explore.untagged` per key) and pass the shares in (`cost_shares`); this module
never reads cost data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from pydantic import BaseModel, Field
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from skytally.accounts import service as accounts
from skytally.inventory import filters, rules, tag_repo, tag_service
from skytally.inventory.models import InventoryResource
from skytally.inventory.tag_models import InventoryTag
from skytally.workspaces.schemas import Actor


class KeyCoverage(BaseModel):
    key: str = Field(description="The most used spelling")
    resources: int
    share: float = Field(description="Share of the taggable resources carrying the key (any spelling)")
    variants: dict[str, int] = Field(description="Spellings and how many resources use each")
    top_values: list[tuple[str, int]]
    cost_share: float | None = Field(None, description="Share of cost carrying the key (from costs); null: unknown")


class SubscriptionCoverage(BaseModel):
    subscription_id: str
    resources: int
    tagged: int


class CoverageOut(BaseModel):
    where: str
    workspace_id: int | None
    resources: int
    taggable: int
    untaggable: int
    untaggable_types: dict[str, int]
    keys: list[KeyCoverage]
    subscriptions: list[SubscriptionCoverage]


def account_ids(session: Session, actor: Actor | None, workspace_id: int | None) -> list[int]:
    ids = tag_service.visible_ids(session, actor)
    if workspace_id is None:
        return ids
    return [i for i in ids if workspace_id in accounts.workspace_ids_of(session, i)]


def coverage(session: Session, actor: Actor | None, where: str = "", *, workspace_id: int | None = None,
             keys: int = 30, values: int = 5, cost_shares: Mapping[str, float] | None = None) -> CoverageOut:
    flt = filters.parse(where)
    ids = account_ids(session, actor, workspace_id)
    if not ids:
        return CoverageOut(where=flt.text, workspace_id=workspace_id, resources=0, taggable=0, untaggable=0,
                           untaggable_types={}, keys=[], subscriptions=[])
    conds = tag_repo.conditions(flt, ids)
    by_type = dict(session.execute(select(InventoryResource.type, func.count()).where(*conds)
                                   .group_by(InventoryResource.type)).all())
    total = sum(by_type.values())
    untaggable = {t: n for t, n in by_type.items() if not rules.taggable(t)}
    taggable = total - sum(untaggable.values())
    joined = (select(InventoryTag.key_lower, InventoryTag.local_key, func.count())
              .join(InventoryResource, InventoryResource.id == InventoryTag.resource_pk)
              .where(*conds, InventoryTag.local_value.is_not(None))
              .group_by(InventoryTag.key_lower, InventoryTag.local_key))
    variants: dict[str, dict[str, int]] = defaultdict(dict)
    for low, spelled, n in session.execute(joined):
        variants[low][spelled] = n
    ranked = sorted(variants.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))[:keys]
    out_keys = []
    for low, spellings in ranked:
        count = sum(spellings.values())
        top = session.execute(
            select(InventoryTag.local_value, func.count()).join(InventoryResource, InventoryResource.id ==
                                                                 InventoryTag.resource_pk)
            .where(*conds, InventoryTag.key_lower == low, InventoryTag.local_value.is_not(None))
            .group_by(InventoryTag.local_value).order_by(func.count().desc(), InventoryTag.local_value).limit(values))
        main = max(spellings.items(), key=lambda kv: (kv[1], kv[0]))[0]
        out_keys.append(KeyCoverage(key=main, resources=count, share=count / taggable if taggable else 0.0,
                                    variants=dict(sorted(spellings.items(), key=lambda kv: -kv[1])),
                                    top_values=[(str(v), int(n)) for v, n in top],
                                    cost_share=(cost_shares or {}).get(low)))
    tagged = dict(session.execute(
        select(InventoryResource.subscription_id, func.count(distinct(InventoryTag.resource_pk)))
        .join(InventoryTag, InventoryTag.resource_pk == InventoryResource.id)
        .where(*conds, InventoryTag.local_value.is_not(None)).group_by(InventoryResource.subscription_id)).all())
    per_sub = session.execute(select(InventoryResource.subscription_id, func.count()).where(*conds)
                              .group_by(InventoryResource.subscription_id).order_by(InventoryResource.subscription_id))
    return CoverageOut(where=flt.text, workspace_id=workspace_id, resources=total, taggable=taggable,
                       untaggable=sum(untaggable.values()), untaggable_types=untaggable, keys=out_keys,
                       subscriptions=[SubscriptionCoverage(subscription_id=s, resources=n, tagged=tagged.get(s, 0))
                                      for s, n in per_sub])
