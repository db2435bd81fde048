"""Which Graph permissions each directory operation accepts (app roles / delegated scopes)."""

from __future__ import annotations

from starlette.requests import Request

from azure_emulator.core.auth import Principal
from azure_emulator.core.context import get_world
from azure_emulator.core.errors import ApiError, graph_error

_DIR_READ = ("Directory.Read.All", "Directory.ReadWrite.All")
_DIR_DELEGATED = (*_DIR_READ, "Directory.AccessAsUser.All")

# operation → (application permissions, delegated permissions)
REQUIRED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "users": (("User.Read.All", "User.ReadWrite.All", *_DIR_READ),
              ("User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", *_DIR_DELEGATED)),
    "me": ((), ("User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", *_DIR_DELEGATED)),
    "groups": (("Group.Read.All", "GroupMember.Read.All", "Group.ReadWrite.All", *_DIR_READ),
               ("Group.Read.All", "GroupMember.Read.All", "Group.ReadWrite.All", *_DIR_DELEGATED)),
    "applications": (("Application.Read.All", "Application.ReadWrite.All", *_DIR_READ),
                     ("Application.Read.All", "Application.ReadWrite.All", *_DIR_DELEGATED)),
    "organization": (("Organization.Read.All", "Organization.ReadWrite.All", *_DIR_READ),
                     ("User.Read", "Organization.Read.All", "Organization.ReadWrite.All", *_DIR_DELEGATED)),
    "domains": (("Domain.Read.All", "Domain.ReadWrite.All", *_DIR_READ),
                ("Domain.Read.All", "Domain.ReadWrite.All", *_DIR_DELEGATED)),
    # subscribedSkus: least privileged LicenseAssignment.Read.All (subscribedsku-list.md)
    "skus": (("LicenseAssignment.Read.All", "Organization.Read.All", "Organization.ReadWrite.All", *_DIR_READ),
             ("LicenseAssignment.Read.All", "Organization.Read.All", "Organization.ReadWrite.All", *_DIR_DELEGATED)),
    "reports": (("Reports.Read.All",), ("Reports.Read.All",)),
    "reportSettings": (("ReportSettings.Read.All", "ReportSettings.ReadWrite.All"),
                       ("ReportSettings.Read.All", "ReportSettings.ReadWrite.All")),
    "grants": (("DelegatedPermissionGrant.Read.All", *_DIR_READ),
               ("DelegatedPermissionGrant.Read.All", *_DIR_DELEGATED)),
}


def denied(request: Request) -> ApiError:
    return graph_error(
        403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.",
        client_request_id=request.headers.get("client-request-id"), now=get_world(request).clock.now(),
    )


def require(request: Request, principal: Principal, operation: str) -> None:
    app_perms, delegated = REQUIRED[operation]
    held = principal.roles if principal.is_app else principal.scopes
    wanted = app_perms if principal.is_app else delegated
    if not held.intersection(wanted):
        raise denied(request)
