"""Microsoft Graph state and rules over the world: transitive group membership (what
checkMemberGroups / getMemberGroups answer) and the usage reports' download links. Graph's
throttle state is in ``throttling.py`` (its own module: limits, buckets and metering together)."""

from __future__ import annotations

from typing import Any

from azure_emulator.core.runtime import Runtime
from azure_emulator.world.model import Tenant


def member_groups(tenant: Tenant, object_id: str, *, security_only: bool = False) -> list[str]:
    """Ids of the groups ``object_id`` belongs to, directly or through nested groups."""
    parents: dict[str, list[str]] = {}
    for g in tenant.groups.values():
        for m in g.member_ids:
            parents.setdefault(m.lower(), []).append(g.object_id)
    seen: dict[str, None] = {}
    todo = list(parents.get(object_id.lower(), []))
    while todo:
        gid = todo.pop(0)
        if gid in seen:
            continue
        seen[gid] = None
        todo.extend(parents.get(gid.lower(), []))
    return [gid for gid in seen if not security_only or tenant.groups[gid].security_enabled]


def report_state(runtime: Runtime) -> dict[str, Any]:
    """The usage reports' short-lived download links (token -> report, tenant, expiry)."""
    state: dict[str, Any] = runtime.services.setdefault("graph_reports", {})
    state.setdefault("downloads", {})
    return state
