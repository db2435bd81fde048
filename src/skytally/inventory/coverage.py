"""Tag coverage: per key, the share of resources carrying it (keys compared as Azure does,
case-insensitively, with every spelling counted as a casing variant), its top values,
untaggable resources; per subscription. Scoped to a filter and optionally a workspace.

Coverage counts what is true in Azure: a key counts where Azure had it at the last sync
or push (`azure_value`, spelled `azure_key`), never a wanted value not written yet. What
would change it is shown beside it, per key: changes waiting for a push (`pending`) and
pushes that failed (`failed`, e.g. a locked resource). A subscription at `resources`
stores no Azure tags, so it counts nothing (its resources are still counted, untagged).

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
from skytally.inventory.tag_models import InventoryTag, TagState
from skytally.workspaces.schemas import Actor


class KeyCoverage(BaseModel):
    key: str = Field(description="The most used spelling")
    resources: int
    share: float = Field(description="Share of the taggable resources carrying the key (any spelling)")
    variants: dict[str, int] = Field(description="Spellings and how many resources use each")
    top_values: list[tuple[str, int]]
    pending: int = Field(0, description="Resources with a change of this key waiting for a push (not counted yet)")
    failed: int = Field(0, description="Resources whose push of this key failed (not counted: Azure does not have it)")
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
    conds = tag_repo.conditions(flt, ids, session)
    by_type = dict(session.execute(select(InventoryResource.type, func.count()).where(*conds)
                                   .group_by(InventoryResource.type)).all())
    total = sum(by_type.values())
    untaggable = {t: n for t, n in by_type.items() if not rules.taggable(t)}
    taggable = total - sum(untaggable.values())
    in_azure = InventoryTag.azure_value.is_not(None)
    joined = (select(InventoryTag.key_lower, InventoryTag.azure_key, func.count())
              .join(InventoryResource, InventoryResource.id == InventoryTag.resource_pk)
              .where(*conds, in_azure).group_by(InventoryTag.key_lower, InventoryTag.azure_key))
    variants: dict[str, dict[str, int]] = defaultdict(dict)
    for low, spelled, n in session.execute(joined):
        variants[low][spelled or low] = n  # (azure_key is set wherever azure_value is)
    waiting: dict[str, dict[str, int]] = defaultdict(dict)  # key → state → resources
    spelled_locally: dict[str, str] = {}
    for low, spelled, state, n in session.execute(
            select(InventoryTag.key_lower, func.min(InventoryTag.local_key), InventoryTag.state, func.count())
            .join(InventoryResource, InventoryResource.id == InventoryTag.resource_pk)
            .where(*conds, InventoryTag.state.in_((TagState.PENDING.value, TagState.FAILED.value)))
            .group_by(InventoryTag.key_lower, InventoryTag.state)):
        waiting[low][state] = n
        spelled_locally.setdefault(low, spelled)
    for low in waiting:
        variants.setdefault(low, {})
    ranked = sorted(variants.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))[:keys]
    out_keys = []
    for low, spellings in ranked:
        count = sum(spellings.values())
        top = session.execute(
            select(InventoryTag.azure_value, func.count()).join(InventoryResource, InventoryResource.id ==
                                                                 InventoryTag.resource_pk)
            .where(*conds, InventoryTag.key_lower == low, in_azure)
            .group_by(InventoryTag.azure_value).order_by(func.count().desc(), InventoryTag.azure_value).limit(values))
        main = max(spellings.items(), key=lambda kv: (kv[1], kv[0]))[0] if spellings else spelled_locally[low]
        out_keys.append(KeyCoverage(key=main, resources=count, share=count / taggable if taggable else 0.0,
                                    variants=dict(sorted(spellings.items(), key=lambda kv: -kv[1])),
                                    top_values=[(str(v), int(n)) for v, n in top],
                                    pending=waiting[low].get(TagState.PENDING.value, 0),
                                    failed=waiting[low].get(TagState.FAILED.value, 0),
                                    cost_share=(cost_shares or {}).get(low)))
    tagged = dict(session.execute(
        select(InventoryResource.subscription_id, func.count(distinct(InventoryTag.resource_pk)))
        .join(InventoryTag, InventoryTag.resource_pk == InventoryResource.id)
        .where(*conds, in_azure).group_by(InventoryResource.subscription_id)).all())
    per_sub = session.execute(select(InventoryResource.subscription_id, func.count()).where(*conds)
                              .group_by(InventoryResource.subscription_id).order_by(InventoryResource.subscription_id))
    return CoverageOut(where=flt.text, workspace_id=workspace_id, resources=total, taggable=taggable,
                       untaggable=sum(untaggable.values()), untaggable_types=untaggable, keys=out_keys,
                       subscriptions=[SubscriptionCoverage(subscription_id=s, resources=n, tagged=tagged.get(s, 0))
                                      for s, n in per_sub])
