"""Microsoft Graph throttling limits of a world (enforced by services/graph/throttling.py).

Defaults are Microsoft's documented figures ("Microsoft Graph service-specific throttling
limits", microsoftgraph/microsoft-graph-docs-contrib concepts/throttling-limits.md at
commit e62a3c1df706cc5487fc6095fc689734bb25d2f6; see tests/reference/MANIFEST.md):

- Identity and access (directory reads and writes): token buckets of *resource units*,
  per application + tenant pair 3,500 / 5,000 / 8,000 per 10 s for tenants under 50 /
  50–500 / above 500 users; per application across tenants 150,000 per 20 s. Writes:
  3,000 per 2 min 30 s per app + tenant, 70,000 per 5 min per app, 18,000 per 5 min per
  tenant.
- Microsoft 365 usage reports (CSV): 14 requests per 10 minutes per app per tenant and 40
  per tenant for all apps, counted for each report API on its own.

A world file may override any field (``graph_limits: {ru_large: 100}``); 0 disables that
limit, ``enabled: false`` all of them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class GraphLimits:
    enabled: bool = True
    # identity & access: resource units per application + tenant pair, by tenant size
    ru_small: int = 3_500  # under 50 users
    ru_medium: int = 5_000  # 50 to 500 users
    ru_large: int = 8_000  # above 500 users
    ru_window_seconds: float = 10.0
    app_ru: int = 150_000  # per application, all tenants
    app_ru_window_seconds: float = 20.0
    writes: int = 3_000  # per application + tenant pair
    writes_window_seconds: float = 150.0
    app_writes: int = 70_000  # per application, all tenants
    tenant_writes: int = 18_000  # per tenant, all applications
    app_tenant_writes_window_seconds: float = 300.0
    # usage reports (CSV), each report API counted on its own
    reports: int = 14  # per application per tenant
    reports_tenant: int = 40  # per tenant, all applications
    reports_window_seconds: float = 600.0

    def ru_quota(self, users: int) -> int:
        """The application + tenant pair's resource units per window for a tenant this size."""
        if users < 50:
            return self.ru_small
        return self.ru_medium if users <= 500 else self.ru_large
