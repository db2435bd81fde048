"""Token resources (audiences) the emulator serves, public and emulator-local names alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Api = Literal["arm", "graph", "ea"]

ARM_APP_ID = "797f4846-ba00-4fd7-ba43-dac1f8f63013"  # Windows Azure Service Management API
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"  # Microsoft Graph
EA_APP_ID = "00000000-0000-0000-0000-0000000000ea"  # emulator-only resource for the EA API

PUBLIC_AUDIENCES: dict[Api, tuple[str, ...]] = {
    "arm": (
        "https://management.azure.com/",
        "https://management.azure.com",
        "https://management.core.windows.net/",
        "https://management.core.windows.net",
        ARM_APP_ID,
    ),
    "graph": ("https://graph.microsoft.com", "https://graph.microsoft.com/", GRAPH_APP_ID),
    "ea": (EA_APP_ID,),
}
RESOURCE_APP_IDS: dict[Api, str] = {"arm": ARM_APP_ID, "graph": GRAPH_APP_ID, "ea": EA_APP_ID}


@dataclass(frozen=True, slots=True)
class TokenResource:
    api: Api
    app_id: str
    identifier: str  # what goes into the token's aud claim


def audiences(api: Api, own_url: str) -> frozenset[str]:
    """All ``aud`` values accepted for ``api`` (``own_url`` is e.g. https://127.0.0.1:P/arm)."""
    own = own_url.rstrip("/")
    return frozenset((own, own + "/", *PUBLIC_AUDIENCES[api]))


def resolve(identifier: str, own_urls: dict[Api, str]) -> TokenResource | None:
    """Map a resource identifier (scope prefix, app id or URL) to the API it names."""
    ident = identifier.rstrip("/").lower()
    for api, own in own_urls.items():
        names = {a.rstrip("/").lower() for a in audiences(api, own)}
        if ident in names:
            return TokenResource(api, RESOURCE_APP_IDS[api], identifier)
    return None
