"""Built-in role definitions with their real ids and actions.

Azure RBAC roles (assignable at "/", i.e. management groups, subscriptions, resource
groups and resources) carry the permissions Microsoft publishes for them. Billing roles
are not Azure RBAC roles: they are defined per billing scope (EA enrollment, MCA billing
account / profile / invoice section) and are kept here so the billing service can assign
them; their ``assignable_scopes`` name the billing scope kind they belong to, so the ARM
role-definition list at a subscription never shows them.
"""

from __future__ import annotations

from azure_emulator.world.model import RoleDefinition, World

OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
TAG_CONTRIBUTOR = "4a9ae827-6dc8-4573-8ac7-8239d42aa03f"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
BILLING_READER = "fa23ad8b-c56e-40d8-ac0c-ce449e1d2c64"
COST_MANAGEMENT_READER = "72fafb9e-0641-4937-9268-a91bfd8191a3"
COST_MANAGEMENT_CONTRIBUTOR = "434105ed-43f6-45c7-a02f-909b2ba83430"

# EA billing roles (assigned to service principals on an enrollment through
# Microsoft.Billing/billingAccounts/{id}/billingRoleAssignments).
EA_ENROLLMENT_READER = "24f8edb6-1668-4659-b5e2-40bb5f3a7d7e"
EA_PURCHASER = "da6647fb-7651-49ee-be91-c43c4877f0c4"
EA_DEPARTMENT_READER = "db609904-a47f-4794-9be8-9bd86fbffd8a"
EA_SUBSCRIPTION_CREATOR = "a0bcee42-bf30-4d1b-926a-48d21664ef71"
# MCA billing roles (billing account / billing profile / invoice section level).
MCA_BILLING_ACCOUNT_OWNER = "50000000-aaaa-bbbb-cccc-100000000000"
MCA_BILLING_ACCOUNT_CONTRIBUTOR = "50000000-aaaa-bbbb-cccc-100000000001"
MCA_BILLING_ACCOUNT_READER = "50000000-aaaa-bbbb-cccc-100000000002"
MCA_BILLING_PROFILE_OWNER = "40000000-aaaa-bbbb-cccc-100000000000"
MCA_BILLING_PROFILE_CONTRIBUTOR = "40000000-aaaa-bbbb-cccc-100000000001"
MCA_BILLING_PROFILE_READER = "40000000-aaaa-bbbb-cccc-100000000002"
MCA_INVOICE_MANAGER = "40000000-aaaa-bbbb-cccc-100000000003"
MCA_INVOICE_SECTION_OWNER = "30000000-aaaa-bbbb-cccc-100000000000"
MCA_INVOICE_SECTION_CONTRIBUTOR = "30000000-aaaa-bbbb-cccc-100000000001"
MCA_INVOICE_SECTION_READER = "30000000-aaaa-bbbb-cccc-100000000002"

# Assignable-scope markers for billing roles (not ARM paths: these roles live on billing scopes).
EA_SCOPE = "/providers/Microsoft.Billing/billingAccounts/{enrollment}"
MCA_ACCOUNT_SCOPE = "/providers/Microsoft.Billing/billingAccounts/{billingAccount}"
MCA_PROFILE_SCOPE = MCA_ACCOUNT_SCOPE + "/billingProfiles/{billingProfile}"
MCA_SECTION_SCOPE = MCA_PROFILE_SCOPE + "/invoiceSections/{invoiceSection}"

_AZURE_ROLES: list[RoleDefinition] = [
    RoleDefinition(
        OWNER,
        "Owner",
        "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
        ["*"],
    ),
    RoleDefinition(
        CONTRIBUTOR,
        "Contributor",
        "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, "
        "manage assignments in Azure Blueprints, or share image galleries.",
        ["*"],
        not_actions=[
            "Microsoft.Authorization/*/Delete",
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/elevateAccess/Action",
            "Microsoft.Blueprint/blueprintAssignments/write",
            "Microsoft.Blueprint/blueprintAssignments/delete",
            "Microsoft.Compute/galleries/share/action",
            "Microsoft.Purview/consents/write",
            "Microsoft.Purview/consents/delete",
            "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
            "Microsoft.Subscription/cancel/action",
            "Microsoft.Subscription/enable/action",
        ],
    ),
    RoleDefinition(
        READER,
        "Reader",
        "View all resources, but does not allow you to make any changes.",
        ["*/read"],
    ),
    RoleDefinition(
        TAG_CONTRIBUTOR,
        "Tag Contributor",
        "Lets you manage tags on entities, without providing access to the entities themselves.",
        [
            "Microsoft.Authorization/*/read",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Resources/subscriptions/resourceGroups/resources/read",
            "Microsoft.Resources/subscriptions/resources/read",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.Support/*",
            "Microsoft.Resources/tags/*",
        ],
    ),
    RoleDefinition(
        USER_ACCESS_ADMINISTRATOR,
        "User Access Administrator",
        "Lets you manage user access to Azure resources.",
        ["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"],
    ),
    RoleDefinition(
        BILLING_READER,
        "Billing Reader",
        "Allows read access to billing data",
        [
            "Microsoft.Authorization/*/read",
            "Microsoft.Billing/*/read",
            "Microsoft.Commerce/*/read",
            "Microsoft.Consumption/*/read",
            "Microsoft.Management/managementGroups/read",
            "Microsoft.CostManagement/*/read",
            "Microsoft.Support/*",
        ],
    ),
    RoleDefinition(
        COST_MANAGEMENT_READER,
        "Cost Management Reader",
        "Can view cost data and configuration (e.g. budgets, exports)",
        [
            "Microsoft.Consumption/*/read",
            "Microsoft.CostManagement/*/read",
            "Microsoft.Billing/billingPeriods/read",
            "Microsoft.Resources/subscriptions/read",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Support/*",
            "Microsoft.Advisor/configurations/read",
            "Microsoft.Advisor/recommendations/read",
            "Microsoft.Management/managementGroups/read",
            "Microsoft.Billing/billingProperty/read",
        ],
    ),
    RoleDefinition(
        COST_MANAGEMENT_CONTRIBUTOR,
        "Cost Management Contributor",
        "Can view costs and manage cost configuration (e.g. budgets, exports)",
        [
            "Microsoft.Consumption/*",
            "Microsoft.CostManagement/*",
            "Microsoft.Billing/billingPeriods/read",
            "Microsoft.Resources/subscriptions/read",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Support/*",
            "Microsoft.Advisor/configurations/read",
            "Microsoft.Advisor/recommendations/read",
            "Microsoft.Management/managementGroups/read",
            "Microsoft.Billing/billingProperty/read",
        ],
    ),
]

_BILLING_READ = ["Microsoft.Billing/*/read", "Microsoft.Consumption/*/read", "Microsoft.CostManagement/*/read"]
_BILLING_ALL = ["Microsoft.Billing/*", "Microsoft.Consumption/*", "Microsoft.CostManagement/*"]


def _billing(role_id: str, name: str, description: str, actions: list[str], scope: str) -> RoleDefinition:
    return RoleDefinition(role_id, name, description, list(actions), assignable_scopes=[scope])


_BILLING_ROLES: list[RoleDefinition] = [
    _billing(EA_ENROLLMENT_READER, "EnrollmentReader",
             "Can view usage and charges across all accounts and subscriptions of the enrollment.",
             _BILLING_READ, EA_SCOPE),
    _billing(EA_PURCHASER, "EA purchaser",
             "Can purchase reservations and view usage charges across the enrollment.",
             [*_BILLING_READ, "Microsoft.Capacity/reservationOrders/*"], EA_SCOPE),
    _billing(EA_DEPARTMENT_READER, "DepartmentReader",
             "Can download usage details for the department it is assigned to.",
             _BILLING_READ, EA_SCOPE + "/departments/{department}"),
    _billing(EA_SUBSCRIPTION_CREATOR, "SubscriptionCreator",
             "Can create new subscriptions in the given scope of an enrollment account.",
             ["Microsoft.Billing/billingAccounts/enrollmentAccounts/read",
              "Microsoft.Subscription/subscriptions/write"],
             EA_SCOPE + "/enrollmentAccounts/{enrollmentAccount}"),
    _billing(MCA_BILLING_ACCOUNT_OWNER, "Billing account owner",
             "Manage everything for the billing account.", _BILLING_ALL, MCA_ACCOUNT_SCOPE),
    _billing(MCA_BILLING_ACCOUNT_CONTRIBUTOR, "Billing account contributor",
             "Manage everything except permissions on the billing account.", _BILLING_ALL, MCA_ACCOUNT_SCOPE),
    _billing(MCA_BILLING_ACCOUNT_READER, "Billing account reader",
             "Read-only view of everything on the billing account.", _BILLING_READ, MCA_ACCOUNT_SCOPE),
    _billing(MCA_BILLING_PROFILE_OWNER, "Billing profile owner",
             "Manage everything for the billing profile.", _BILLING_ALL, MCA_PROFILE_SCOPE),
    _billing(MCA_BILLING_PROFILE_CONTRIBUTOR, "Billing profile contributor",
             "Manage everything except permissions on the billing profile.", _BILLING_ALL, MCA_PROFILE_SCOPE),
    _billing(MCA_BILLING_PROFILE_READER, "Billing profile reader",
             "Read-only view of everything on the billing profile.", _BILLING_READ, MCA_PROFILE_SCOPE),
    _billing(MCA_INVOICE_MANAGER, "Invoice manager",
             "View and pay invoices for the billing profile.",
             ["Microsoft.Billing/billingAccounts/billingProfiles/invoices/*"], MCA_PROFILE_SCOPE),
    _billing(MCA_INVOICE_SECTION_OWNER, "Invoice section owner",
             "Manage everything on the invoice section.", _BILLING_ALL, MCA_SECTION_SCOPE),
    _billing(MCA_INVOICE_SECTION_CONTRIBUTOR, "Invoice section contributor",
             "Manage everything except permissions on the invoice section.", _BILLING_ALL, MCA_SECTION_SCOPE),
    _billing(MCA_INVOICE_SECTION_READER, "Invoice section reader",
             "Read-only view of everything on the invoice section.", _BILLING_READ, MCA_SECTION_SCOPE),
]


def azure_role_definitions() -> list[RoleDefinition]:
    """Fresh copies of the Azure RBAC built-in roles (assignable at '/')."""
    return [_copy(r) for r in _AZURE_ROLES]


def billing_role_definitions() -> list[RoleDefinition]:
    """Fresh copies of the EA and MCA billing roles (assignable on billing scopes only)."""
    return [_copy(r) for r in _BILLING_ROLES]


def install_builtin_roles(world: World) -> None:
    """Put every built-in (Azure and billing) role into ``world.role_definitions``."""
    for role in [*azure_role_definitions(), *billing_role_definitions()]:
        world.role_definitions.setdefault(role.id, role)


def is_azure_rbac_role(role: RoleDefinition) -> bool:
    return "/" in role.assignable_scopes or any(
        s.lower().startswith("/subscriptions/") for s in role.assignable_scopes
    )


def _copy(role: RoleDefinition) -> RoleDefinition:
    return RoleDefinition(
        role.id,
        role.role_name,
        role.description,
        list(role.actions),
        list(role.not_actions),
        list(role.data_actions),
        list(role.not_data_actions),
        role.role_type,
        list(role.assignable_scopes),
    )
