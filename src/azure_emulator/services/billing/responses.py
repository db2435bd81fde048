"""Microsoft.Billing JSON shapes: billing accounts (per api-version), billing profiles,
invoice sections, departments and enrollment accounts (2024-04-01 unless stated), and the
legacy ``Microsoft.Billing/enrollmentAccounts`` list (2018-03-01-preview)."""

from __future__ import annotations

from typing import Any

from azure_emulator.world.billing import (
    BillingAccount,
    BillingProfile,
    EnrollmentAccount,
    InvoiceSection,
)

# Before 2020-05-01 the account properties were the preview's: no status/read-access flags,
# the organization (tenant) id instead (2019-10-01-preview BillingAccountsList example).
_MODERN_SINCE = "2020-05-01"


def account_json(account: BillingAccount, expand: str = "", api_version: str = "2024-04-01") -> dict[str, Any]:
    props: dict[str, Any] = {
        "displayName": account.display_name,
        "agreementType": account.agreement_type,
        "accountType": "Business" if account.is_mca else "Enterprise",
    }
    if api_version < _MODERN_SINCE:
        props["organizationId"] = account.tenant_id
    else:
        props["accountStatus"] = "Active"
        props["hasReadAccess"] = True
        if account.is_mca:
            props.update({"accountSubType": "Enterprise", "primaryBillingTenantId": account.tenant_id})
        else:
            props["accountSubType"] = "None"
    wanted = {p.strip().lower() for p in expand.split(",") if p.strip()}
    if not account.is_mca and "enrollmentdetails" in wanted:
        props["enrollmentDetails"] = {"currency": account.currency, "channel": "EaDirect", "status": "Active",
                                      "billingCycle": "Monthly", "countryCode": "US", "language": "en"}
    if account.is_mca and "billingprofiles" in wanted:
        props["billingProfiles"] = {"hasMoreResults": False,
                                    "value": [profile_json(account, p) for p in account.billing_profiles]}
    if not account.is_mca and "departments" in wanted:
        props["departments"] = [department_json(account, d) for d in account.departments]
    if not account.is_mca and "enrollmentaccounts" in wanted:
        props["enrollmentAccounts"] = [enrollment_account_json(account, e) for e in account.enrollment_accounts]
    return {"id": account.id, "name": account.name, "type": "Microsoft.Billing/billingAccounts", "properties": props}


def profile_json(account: BillingAccount, profile: BillingProfile) -> dict[str, Any]:
    return {
        "id": f"{account.id}/billingProfiles/{profile.id}",
        "name": profile.id,
        "type": "Microsoft.Billing/billingAccounts/billingProfiles",
        "properties": {
            "billingRelationshipType": "Direct",
            "currency": profile.currency,
            "displayName": profile.display_name,
            "hasReadAccess": True,
            "invoiceDay": 5,
            "invoiceEmailOptIn": False,
            "spendingLimit": "Off",
            "status": "Active",
            "systemId": profile.id,
        },
    }


def section_json(account: BillingAccount, profile: BillingProfile, section: InvoiceSection) -> dict[str, Any]:
    return {
        "id": f"{account.id}/billingProfiles/{profile.id}/invoiceSections/{section.id}",
        "name": section.id,
        "type": "Microsoft.Billing/billingAccounts/billingProfiles/invoiceSections",
        "properties": {"displayName": section.display_name, "state": "Active", "systemId": section.id},
    }


def department_json(account: BillingAccount, department: InvoiceSection) -> dict[str, Any]:
    return {
        "id": f"{account.id}/departments/{department.id}",
        "name": department.id,
        "type": "Microsoft.Billing/billingAccounts/departments",
        "properties": {"costCenter": "", "displayName": department.display_name, "id": department.id, "status": "Active"},
    }


def enrollment_account_json(account: BillingAccount, enrollment: EnrollmentAccount) -> dict[str, Any]:
    department = next((d for d in account.departments if d.id == enrollment.department_id), None)
    return {
        "id": f"{account.id}/enrollmentAccounts/{enrollment.id}",
        "name": enrollment.id,
        "type": "Microsoft.Billing/billingAccounts/enrollmentAccounts",
        "properties": {
            "accountOwner": enrollment.owner,
            "authType": "OrganizationalAccountOnly",
            "costCenter": "",
            "departmentDisplayName": department.display_name if department else "",
            "departmentId": department.id if department else "",
            "displayName": enrollment.account_name,
            "isDevTestEnabled": False,
            "status": "Active",
        },
    }


def legacy_enrollment_account_json(enrollment: EnrollmentAccount) -> dict[str, Any]:
    """``/providers/Microsoft.Billing/enrollmentAccounts`` (2018-03-01-preview)."""
    return {
        "id": f"/providers/Microsoft.Billing/enrollmentAccounts/{enrollment.id}",
        "name": enrollment.id,
        "type": "Microsoft.Billing/enrollmentAccounts",
        "properties": {"principalName": enrollment.owner},
    }
