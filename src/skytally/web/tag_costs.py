"""The share of cost carrying each tag key, asked of the costs capability for the tag
coverage views (web, API, CLI): inventory knows resources, costs knows money, and only the
interfaces see both."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from skytally.config import Settings
from skytally.costs import explore
from skytally.costs.service import open_store
from skytally.errors import UserError
from skytally.workspaces.schemas import Actor


def cost_shares(settings: Settings, session: Session, actor: Actor | None, keys: Sequence[str]) -> dict[str, float]:
    """key (lower case) → share of EffectiveCost on rows carrying it; keys whose share
    cannot be told (no cost data, several currencies) are left out."""
    if not keys:
        return {}
    try:
        store = open_store(settings.cost_store_dir)
        q = explore.query_for(session, store, actor)
    except UserError:
        return {}
    out: dict[str, float] = {}
    for key in keys:
        results = explore.untagged(session, store, actor, q, key.lower())
        if len(results) == 1 and any(results[0].total.values()):
            out[key.lower()] = 1.0 - results[0].share
    return out
