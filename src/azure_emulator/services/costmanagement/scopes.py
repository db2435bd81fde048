"""Cost scopes shared by Cost Details and Consumption: parse, check existence and RBAC.

Supported: ``/subscriptions/{id}``, ``/providers/Microsoft.Billing/billingAccounts/{id}``,
``…/billingProfiles/{id}`` and ``…/billingProfiles/{id}/invoiceSections/{id}`` (MCA),
``…/departments/{id}`` (EA). Resource groups answer 404 for Cost Details (as Azure does) and are resolved for the
APIs that take them (Query, budgets, exports); management groups 400.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request

from azure_emulator.core.arm import require_api_version
from azure_emulator.core.auth import Principal, require_principal
from azure_emulator.core.context import get_runtime, get_world
from azure_emulator.core.errors import arm_error
from azure_emulator.services.authorization import rbac
from azure_emulator.services.billing import backend as billing
from azure_emulator.services.costmanagement import backend
from azure_emulator.world.costs.model import CostAccount, Unit
from azure_emulator.world.model import World

_SUB = re.compile(r"^/?subscriptions/(?P<sub>[^/]+)$", re.I)
_RG = re.compile(r"^/?subscriptions/[^/]+/resourceGroups/[^/]+", re.I)
_RG_SCOPE = re.compile(r"^/?subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)$", re.I)
_BILLING = re.compile(
    r"^/?providers/Microsoft\.Billing/billingAccounts/(?P<account>[^/]+)"
    r"(?:/billingProfiles/(?P<profile>[^/]+)(?:/invoiceSections/(?P<section>[^/]+))?|/departments/(?P<department>[^/]+))?$",
    re.I,
)
_MG = re.compile(r"^/?providers/Microsoft\.Management/managementGroups/", re.I)


@dataclass
class CostScope:
    path: str  # as requested, without the leading slash
    account: CostAccount
    subscription: str | None = None
    sections: set[str] | None = None
    profile: bool = False  # billing profile (or below) scope
    resource_group: str | None = None  # resource group scope (Query, budgets, exports)

    @property
    def arm_scope(self) -> str:
        return "/" + self.path


def resolve(world: World, st: backend.CostState, raw: str, *, resource_groups: bool = False) -> CostScope:
    """The cost scope ``raw`` names; resource groups only where the API supports them."""
    path = raw.strip("/")
    settings = st.settings
    if resource_groups and (m := _RG_SCOPE.match(path)):
        parent = resolve(world, st, f"subscriptions/{m.group('sub')}")
        sub = world.subscription(m.group("sub"))
        assert sub is not None
        if sub.resource_groups.get(m.group("rg").lower()) is None:
            raise arm_error(404, "ResourceGroupNotFound", f"Resource group '{m.group('rg')}' could not be found.")
        return CostScope(path, parent.account, subscription=parent.subscription, resource_group=m.group("rg").lower())
    if m := _SUB.match(path):
        sub_id = m.group("sub")
        sub = world.subscription(sub_id)
        if sub is None:
            raise arm_error(404, "SubscriptionNotFound", f"The subscription '{sub_id}' could not be found.")
        account = backend.account_of_subscription(world, settings, sub_id)
        if account is None:
            raise arm_error(400, "BadRequest", "Cost details are only available for Enterprise Agreement and "
                            "Microsoft Customer Agreement subscriptions.")
        return CostScope(path, account, subscription=sub.subscription_id)
    if _RG.match(path):
        raise arm_error(404, "NotFound", f"The scope '/{path}' is not supported: resource group scopes are not "
                        "supported by this API.")
    if _MG.match(path):
        raise arm_error(400, "BadRequest", "The Cost Details API doesn't support management groups.")
    m = _BILLING.match(path)
    if m is None:
        raise arm_error(404, "NotFound", f"The requested path '/{path}' was not found.")
    name = m.group("account")
    account = backend.find_account(world, settings, name)
    if account is None:
        raise billing.not_found(name)
    profile, section, department = m.group("profile"), m.group("section"), m.group("department")
    if (profile or section) and account.agreement != "MCA":
        raise arm_error(400, "BadRequest", "Billing profiles and invoice sections exist only in Microsoft "
                        "Customer Agreement billing accounts.")
    if department and account.agreement != "EA":
        raise arm_error(400, "BadRequest", "Departments exist only in Enterprise Agreement billing accounts.")
    if profile and profile.lower() != account.profile_id.lower():
        raise arm_error(404, "BillingProfileNotFound", f"Billing profile '{profile}' was not found.")
    wanted = section or department
    sections = None
    if wanted:
        match = [s.id for s in account.sections if s.id.lower() == wanted.lower()]
        if not match:
            kind = "Invoice section" if section else "Department"
            raise arm_error(404, f"{kind.replace(' ', '')}NotFound", f"{kind} '{wanted}' was not found.")
        sections = set(match)
    return CostScope(path, account, sections=sections, profile=bool(profile))


def authorize(world: World, principal: Principal, scope: CostScope, read_action: str, action: str | None = None) -> None:
    """403 AuthorizationFailed unless a role (Azure RBAC on a subscription, a billing role on a
    billing scope) at or above the scope allows ``read_action`` (or ``action``)."""
    target = scope.arm_scope
    if rbac.is_authorized(world, principal, read_action, target):
        return
    if action and rbac.is_authorized(world, principal, action, target):
        return
    raise rbac.authorization_failed(principal, action or read_action, target)


def covers(scope: CostScope) -> Callable[[Unit], bool]:
    """Whether a charge unit falls in ``scope`` (subscription, resource group, sections)."""
    sub = scope.subscription.lower() if scope.subscription else None
    rg = scope.resource_group
    sections = scope.sections

    def inside(unit: Unit) -> bool:
        if sub is not None and unit.subscription_id.lower() != sub:
            return False
        if rg is not None and unit.resource_group.lower() != rg:
            return False
        return sections is None or unit.section.id in sections

    return inside


def cost_context(request: Request, action: str) -> tuple[World, backend.CostState, CostScope, Principal]:
    """api-version, caller, scope (resource groups allowed) and RBAC for a cost API call."""
    require_api_version(request)
    principal = require_principal(request, api="arm")
    world = get_world(request)
    st = backend.state(get_runtime(request))
    scope = resolve(world, st, request.path_params["scope"], resource_groups=True)
    authorize(world, principal, scope, action)
    return world, st, scope, principal
