"""Billing accounts over the world, shaped as Microsoft.Billing 2024-04-01 returns them
(see specs/Microsoft.Billing/stable/2024-04-01/examples), with billing RBAC: a caller
reads an account only through a billing role assignment on its scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from azure_emulator.core.errors import ApiError, arm_error
from azure_emulator.services.authorization import rbac
from azure_emulator.services.authorization.rbac import Caller
from azure_emulator.world.generate_billing import billing_scope
from azure_emulator.world.model import World

READ_ACTION = "Microsoft.Billing/billingAccounts/read"


@dataclass(frozen=True)
class BillingAccount:
    name: str
    agreement_type: str  # EnterpriseAgreement | MicrosoftCustomerAgreement
    display_name: str
    tenant_id: str

    @property
    def id(self) -> str:
        return billing_scope(self.name)


def accounts(world: World) -> list[BillingAccount]:
    fx = world.fixtures
    found: list[BillingAccount] = []
    for key, tenant_key, agreement, label in (
        ("ea_enrollment_number", "ea_billing_tenant_id", "EnterpriseAgreement", "Enterprise Agreement"),
        ("mca_billing_account_id", "mca_billing_tenant_id", "MicrosoftCustomerAgreement", "Microsoft Customer Agreement"),
    ):
        name = fx.get(key)
        tenant = world.tenants.get(fx.get(tenant_key, ""))
        if name and tenant is not None:
            found.append(BillingAccount(name, agreement, f"{tenant.display_name} {label}", tenant.tenant_id))
    return found


def find(world: World, name: str) -> BillingAccount | None:
    return next((a for a in accounts(world) if a.name.lower() == name.lower()), None)


def not_found(name: str) -> ApiError:
    return arm_error(404, "BillingAccountNotFound", f"Billing account '{name}' was not found.")


def can_read(world: World, caller: Caller, account: BillingAccount) -> bool:
    return rbac.is_authorized(world, caller, READ_ACTION, account.id)


def require_read(world: World, caller: Caller, account: BillingAccount) -> None:
    if not can_read(world, caller, account):
        raise rbac.authorization_failed(caller, READ_ACTION, account.id)


def account_json(account: BillingAccount, expand: str = "") -> dict[str, Any]:
    props: dict[str, Any] = {
        "accountStatus": "Active",
        "agreementType": account.agreement_type,
        "displayName": account.display_name,
        "hasReadAccess": True,
    }
    if account.agreement_type == "MicrosoftCustomerAgreement":
        props.update({"accountType": "Business", "accountSubType": "Enterprise",
                      "primaryBillingTenantId": account.tenant_id})
    else:
        props.update({"accountType": "Enterprise", "accountSubType": "None"})
        if "enrollmentdetails" in expand.lower():
            props["enrollmentDetails"] = {"currency": "USD", "channel": "EaDirect", "status": "Active",
                                          "billingCycle": "Monthly", "countryCode": "US", "language": "en"}
    return {"id": account.id, "name": account.name, "type": "Microsoft.Billing/billingAccounts", "properties": props}
