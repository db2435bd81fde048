"""Microsoft.Billing routes (mounted at ``/arm``):

- ``GET /providers/Microsoft.Billing/billingAccounts`` — the accounts the caller holds a
  billing role on; ``…/billingAccounts/{name}`` — 404 BillingAccountNotFound, 403
  AuthorizationFailed without a billing role (EnrollmentReader / Billing account reader …).
  The shape follows the api-version (``responses.account_json``).
- MCA: ``…/{name}/billingProfiles[/{id}]``, ``…/billingProfiles/{id}/invoiceSections[/{id}]``
- EA: ``…/{name}/departments[/{id}]``, ``…/{name}/enrollmentAccounts[/{id}]``, and the legacy
  ``/providers/Microsoft.Billing/enrollmentAccounts`` (``az billing enrollment-account list``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Router

from azure_emulator.core.arm import ArmRoute, json_response, require_api_version
from azure_emulator.core.auth import Principal, require_principal
from azure_emulator.core.context import get_world
from azure_emulator.core.errors import arm_error
from azure_emulator.services.billing import backend
from azure_emulator.services.billing import responses as R
from azure_emulator.world.billing import BillingAccount, BillingProfile

_BASE = r"/providers/Microsoft\.Billing/billingAccounts"
_ACCOUNT = _BASE + r"/(?P<name>[^/]+)"
_PROFILE = _ACCOUNT + r"/billingProfiles/(?P<profile>[^/]+)"
READ = {
    "profiles": "Microsoft.Billing/billingAccounts/billingProfiles/read",
    "sections": "Microsoft.Billing/billingAccounts/billingProfiles/invoiceSections/read",
    "departments": "Microsoft.Billing/billingAccounts/departments/read",
    "enrollmentAccounts": "Microsoft.Billing/billingAccounts/enrollmentAccounts/read",
}


def _begin(request: Request) -> tuple[str, Principal]:
    return require_api_version(request), require_principal(request, api="arm")


def _account(request: Request) -> BillingAccount:
    name = request.path_params["name"]
    account = backend.find(get_world(request), name)
    if account is None:
        raise backend.not_found(name)
    return account


def _only(account: BillingAccount, mca: bool, what: str) -> None:
    if account.is_mca != mca:
        kind = "Microsoft Customer Agreement" if mca else "Enterprise Agreement"
        raise arm_error(400, "InvalidBillingAccountType", f"{what} exist only in {kind} billing accounts.")


def _profile(request: Request, account: BillingAccount) -> BillingProfile:
    _only(account, True, "Billing profiles")
    profile = account.profile(request.path_params["profile"])
    if profile is None:
        raise backend.child_not_found("billing profile", request.path_params["profile"])
    return profile


def _one_or_list(request: Request, items: list[Any], key: str, kind: str) -> Response:
    wanted = request.path_params.get(key)
    if wanted is None:
        return json_response({"value": [body for _, body in items]})
    found = next((body for ident, body in items if ident.lower() == wanted.lower()), None)
    if found is None:
        raise backend.child_not_found(kind, wanted)
    return json_response(found)


async def list_accounts(request: Request) -> Response:
    version, principal = _begin(request)
    world = get_world(request)
    expand = request.query_params.get("$expand", "")
    items = [R.account_json(a, expand, version) for a in backend.accounts(world) if backend.can_read(world, principal, a)]
    return json_response({"value": items})


async def get_account(request: Request) -> Response:
    version, principal = _begin(request)
    account = _account(request)
    backend.require_read(get_world(request), principal, account)
    return json_response(R.account_json(account, request.query_params.get("$expand", ""), version))


async def billing_profiles(request: Request) -> Response:
    _, principal = _begin(request)
    account = _account(request)
    _only(account, True, "Billing profiles")
    world = get_world(request)
    items = [(p.id, R.profile_json(account, p)) for p in account.billing_profiles]
    scope = f"{account.id}/billingProfiles/{request.path_params['profile']}" if "profile" in request.path_params else account.id
    backend.require_read_at(world, principal, scope, READ["profiles"])
    return _one_or_list(request, items, "profile", "billing profile")


async def invoice_sections(request: Request) -> Response:
    _, principal = _begin(request)
    account = _account(request)
    profile = _profile(request, account)
    scope = f"{account.id}/billingProfiles/{profile.id}"
    if "section" in request.path_params:
        scope += f"/invoiceSections/{request.path_params['section']}"
    backend.require_read_at(get_world(request), principal, scope, READ["sections"])
    items = [(s.id, R.section_json(account, profile, s)) for s in profile.invoice_sections]
    return _one_or_list(request, items, "section", "invoice section")


async def departments(request: Request) -> Response:
    _, principal = _begin(request)
    account = _account(request)
    _only(account, False, "Departments")
    backend.require_read_at(get_world(request), principal, account.id, READ["departments"])
    items = [(d.id, R.department_json(account, d)) for d in account.departments]
    return _one_or_list(request, items, "department", "department")


async def enrollment_accounts(request: Request) -> Response:
    _, principal = _begin(request)
    account = _account(request)
    _only(account, False, "Enrollment accounts")
    backend.require_read_at(get_world(request), principal, account.id, READ["enrollmentAccounts"])
    items = [(e.id, R.enrollment_account_json(account, e)) for e in account.enrollment_accounts]
    return _one_or_list(request, items, "enrollment", "enrollment account")


async def legacy_enrollment_accounts(request: Request) -> Response:
    """The enrollment accounts of every EA enrollment the caller may read (2018-03-01-preview)."""
    _, principal = _begin(request)
    world = get_world(request)
    items = [(e.id, R.legacy_enrollment_account_json(e)) for a in backend.accounts(world)
             if not a.is_mca and backend.can_read(world, principal, a) for e in a.enrollment_accounts]
    return _one_or_list(request, items, "enrollment", "enrollment account")


router = Router(
    routes=[
        ArmRoute(_BASE, list_accounts, ["GET"]),
        ArmRoute(_ACCOUNT, get_account, ["GET"]),
        ArmRoute(_ACCOUNT + r"/billingProfiles", billing_profiles, ["GET"]),
        ArmRoute(_PROFILE, billing_profiles, ["GET"]),
        ArmRoute(_PROFILE + r"/invoiceSections", invoice_sections, ["GET"]),
        ArmRoute(_PROFILE + r"/invoiceSections/(?P<section>[^/]+)", invoice_sections, ["GET"]),
        ArmRoute(_ACCOUNT + r"/departments", departments, ["GET"]),
        ArmRoute(_ACCOUNT + r"/departments/(?P<department>[^/]+)", departments, ["GET"]),
        ArmRoute(_ACCOUNT + r"/enrollmentAccounts", enrollment_accounts, ["GET"]),
        ArmRoute(_ACCOUNT + r"/enrollmentAccounts/(?P<enrollment>[^/]+)", enrollment_accounts, ["GET"]),
        ArmRoute(r"/providers/Microsoft\.Billing/enrollmentAccounts", legacy_enrollment_accounts, ["GET"]),
        ArmRoute(r"/providers/Microsoft\.Billing/enrollmentAccounts/(?P<enrollment>[^/]+)", legacy_enrollment_accounts, ["GET"]),
    ]
)
