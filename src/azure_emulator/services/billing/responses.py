"""Microsoft.Billing JSON shapes: billing accounts (per api-version), billing profiles,
invoice sections, departments and enrollment accounts (2024-04-01 unless stated), and the
legacy ``Microsoft.Billing/enrollmentAccounts`` list (2018-03-01-preview)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from azure_emulator.world.billing import (
    BillingAccount,
    BillingProfile,
    EnrollmentAccount,
    InvoiceSection,
)


@dataclass(frozen=True, slots=True)
class AccountShape:
    """The billing account's ``properties`` as one api-version family of the swagger defines
    them (tests/reference/specs/Microsoft.Billing/*/billingAccount.excerpt.json and the
    shared 2024-04-01 examples); ``fields`` is what the emulator emits without ``$expand``."""

    since: str  # the first api-version answering this shape
    spec: str  # where the shape comes from (the conformance test validates against it)
    fields: frozenset[str]
    profiles_wrapped: bool  # $expand=billingProfiles: {hasMoreResults, value} (2024) or a bare array


# Newest first: a request takes the first shape whose ``since`` is not after its api-version
# (api-versions compare as strings: YYYY-MM-DD[-preview]). Before 2018-11-01-preview the
# billing accounts API did not exist; older versions get its oldest shape.
ACCOUNT_SHAPES: tuple[AccountShape, ...] = (
    AccountShape("2024-04-01", "stable/2024-04-01/examples/billingAccountsList.json",
                 frozenset({"displayName", "agreementType", "accountType", "accountStatus", "accountSubType",
                            "hasReadAccess", "primaryBillingTenantId"}), profiles_wrapped=True),
    AccountShape("2020-05-01", "stable/2020-05-01/billingAccount.excerpt.json",
                 frozenset({"displayName", "agreementType", "accountType", "accountStatus", "hasReadAccess"}),
                 profiles_wrapped=False),
    AccountShape("2019-10-01-preview", "preview/2019-10-01-preview/billingAccount.excerpt.json",
                 frozenset({"displayName", "agreementType", "customerType", "organizationId"}), profiles_wrapped=False),
    AccountShape("2018-11-01-preview", "preview/2018-11-01-preview/billingAccount.excerpt.json",
                 frozenset({"displayName", "accountType", "hasReadAccess"}), profiles_wrapped=False),
)


def account_shape(api_version: str) -> AccountShape:
    return next((s for s in ACCOUNT_SHAPES if s.since <= api_version), ACCOUNT_SHAPES[-1])


def _base_properties(account: BillingAccount, shape: AccountShape) -> dict[str, Any]:
    if shape.since >= "2024-04-01":
        props: dict[str, Any] = {"displayName": account.display_name, "agreementType": account.agreement_type,
                                 "accountType": "Business" if account.is_mca else "Enterprise",
                                 "accountStatus": "Active", "hasReadAccess": True}
        if account.is_mca:
            props.update({"accountSubType": "Enterprise", "primaryBillingTenantId": account.tenant_id})
        else:
            props["accountSubType"] = "None"
        return props
    if shape.since >= "2020-05-01":  # AccountType enum: Enterprise | Individual | Partner
        return {"displayName": account.display_name, "agreementType": account.agreement_type,
                "accountType": "Enterprise", "accountStatus": "Active", "hasReadAccess": True}
    if shape.since >= "2019-10-01-preview":  # customerType, and the billing tenant as organizationId
        return {"displayName": account.display_name, "agreementType": account.agreement_type,
                "customerType": "Enterprise", "organizationId": account.tenant_id}
    # 2018-11-01-preview: accountType is Organization (MCA) or Enrollment (EA); no agreementType
    return {"displayName": account.display_name, "accountType": "Organization" if account.is_mca else "Enrollment",
            "hasReadAccess": True}


def account_json(account: BillingAccount, expand: str = "", api_version: str = "2024-04-01") -> dict[str, Any]:
    shape = account_shape(api_version)
    props = _base_properties(account, shape)
    modern = shape.profiles_wrapped
    wanted = {p.strip().lower() for p in expand.split(",") if p.strip()}
    if not account.is_mca and "enrollmentdetails" in wanted:
        props["enrollmentDetails"] = {"currency": account.currency, "channel": "EaDirect", "status": "Active",
                                      "billingCycle": "Monthly", "countryCode": "US", "language": "en"}
    if account.is_mca and "billingprofiles" in wanted:
        profiles = [profile_json(account, p) for p in account.billing_profiles]
        props["billingProfiles"] = {"hasMoreResults": False, "value": profiles} if modern else profiles
    if not account.is_mca and "departments" in wanted:
        props["departments"] = [department_json(account, d) if modern else _legacy_department_json(account, d)
                                for d in account.departments]
    if not account.is_mca and "enrollmentaccounts" in wanted:
        props["enrollmentAccounts"] = [enrollment_account_json(account, e) if modern
                                       else _legacy_enrollment_account_json(account, e)
                                       for e in account.enrollment_accounts]
    return {"id": account.id, "name": account.name, "type": "Microsoft.Billing/billingAccounts", "properties": props}


def _legacy_department_json(account: BillingAccount, department: InvoiceSection) -> dict[str, Any]:
    """Before 2024-04-01 a department had ``departmentName`` (DepartmentProperties, 2018-11 to 2020-05)."""
    return {"id": f"{account.id}/departments/{department.id}", "name": department.id,
            "type": "Microsoft.Billing/billingAccounts/departments",
            "properties": {"departmentName": department.display_name, "costCenter": "", "status": "Active"}}


def _legacy_enrollment_account_json(account: BillingAccount, enrollment: EnrollmentAccount) -> dict[str, Any]:
    """EnrollmentAccountProperties before 2024-04-01: accountName, accountOwner, costCenter, status."""
    return {"id": f"{account.id}/enrollmentAccounts/{enrollment.id}", "name": enrollment.id,
            "type": "Microsoft.Billing/billingAccounts/enrollmentAccounts",
            "properties": {"accountName": enrollment.account_name, "accountOwner": enrollment.owner,
                           "costCenter": "", "status": "Active"}}


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
