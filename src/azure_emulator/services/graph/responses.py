"""Graph JSON for directory objects: full property sets plus each type's default $select."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from azure_emulator.services.graph import licensing
from azure_emulator.world.firstparty import (
    ARM_APP_ID,
    GRAPH_APP_ID,
    app_roles_of,
    display_name_of,
    scopes_of,
)
from azure_emulator.world.model import (
    Application,
    AppRoleAssignment,
    DelegatedGrant,
    Group,
    ServicePrincipal,
    Tenant,
    User,
    World,
)

MICROSOFT_SERVICES_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"

USER_DEFAULT = ["businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
                "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"]


def ts(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def user(u: User, via_groups: list[tuple[str, str]] | None = None, *, sign_in: bool = False) -> dict[str, Any]:
    """A user; ``via_groups`` are the (skuId, group id) pairs it is licensed through."""
    assigned, states = licensing.licences(u, via_groups or [])
    out = {
        "businessPhones": [], "displayName": u.display_name, "givenName": u.given_name, "jobTitle": u.job_title,
        "mail": u.mail, "mobilePhone": None, "officeLocation": None, "preferredLanguage": "en-US",
        "surname": u.surname, "userPrincipalName": u.user_principal_name, "id": u.object_id,
        "accountEnabled": u.account_enabled,
        "assignedLicenses": assigned, "licenseAssignmentStates": states,
        "city": None, "companyName": None, "country": None, "createdDateTime": ts(u.created),
        "creationType": None, "department": u.department, "employeeId": None, "mailNickname": u.user_principal_name.split("@")[0],
        "onPremisesSyncEnabled": None, "otherMails": [],
        "proxyAddresses": [f"SMTP:{u.mail}"] if u.mail else [], "usageLocation": u.usage_location, "userType": u.user_type,
    }
    if sign_in:
        out["signInActivity"] = licensing.sign_in_activity(u)
    return out


def group(g: Group, tenant: Tenant) -> dict[str, Any]:
    mail = f"{g.mail_nickname}@{tenant.verified_domains[-1]}" if g.mail_enabled else None
    return {
        "id": g.object_id, "deletedDateTime": None, "classification": None, "createdDateTime": ts(g.created),
        "description": g.description, "displayName": g.display_name, "expirationDateTime": None,
        "groupTypes": list(g.group_types), "isAssignableToRole": None, "mail": mail, "mailEnabled": g.mail_enabled,
        "mailNickname": g.mail_nickname, "membershipRule": None, "membershipRuleProcessingState": None,
        "onPremisesLastSyncDateTime": None, "onPremisesSecurityIdentifier": None, "onPremisesSyncEnabled": None,
        "preferredDataLocation": None, "preferredLanguage": None,
        "proxyAddresses": [f"SMTP:{mail}"] if mail else [], "renewedDateTime": ts(g.created),
        "resourceBehaviorOptions": [], "resourceProvisioningOptions": [], "securityEnabled": g.security_enabled,
        "theme": None, "visibility": "Private" if "Unified" in g.group_types else None,
        "onPremisesProvisioningErrors": [],
    }


def password_credential(c: Any) -> dict[str, Any]:
    return {"customKeyIdentifier": None, "displayName": c.display_name, "endDateTime": ts(c.end), "hint": c.hint,
            "keyId": c.key_id, "secretText": None, "startDateTime": ts(c.start)}


def key_credential(c: Any) -> dict[str, Any]:
    return {"customKeyIdentifier": c.thumbprint_sha1_b64url, "displayName": c.display_name, "endDateTime": ts(c.end),
            "key": None, "keyId": c.key_id, "startDateTime": ts(c.start), "type": "AsymmetricX509Cert", "usage": "Verify"}


def _resource_access(app: Application) -> list[dict[str, Any]]:
    by_resource: dict[str, list[dict[str, str]]] = {}
    for p in app.required_permissions:
        table = app_roles_of(p.resource_app_id) if p.kind == "Application" else scopes_of(p.resource_app_id)
        perm_id = table[p.value].id if p.value in table else p.value
        by_resource.setdefault(p.resource_app_id, []).append({"id": perm_id, "type": "Role" if p.kind == "Application" else "Scope"})
    return [{"resourceAppId": k, "resourceAccess": v} for k, v in by_resource.items()]


def application(app: Application, tenant: Tenant) -> dict[str, Any]:
    return {
        "id": app.object_id, "deletedDateTime": None, "appId": app.app_id, "applicationTemplateId": None,
        "disabledByMicrosoftStatus": None, "createdDateTime": None, "displayName": app.display_name,
        "description": None, "groupMembershipClaims": None, "identifierUris": [], "isDeviceOnlyAuthSupported": None,
        "isFallbackPublicClient": app.is_public_client, "notes": None, "publisherDomain": tenant.verified_domains[-1],
        "serviceManagementReference": None, "signInAudience": app.sign_in_audience, "tags": [],
        "tokenEncryptionKeyId": None, "defaultRedirectUri": None, "certification": None, "optionalClaims": None,
        "addIns": [], "api": {"acceptMappedClaims": None, "knownClientApplications": [], "requestedAccessTokenVersion": None,
                              "oauth2PermissionScopes": [], "preAuthorizedApplications": []},
        "appRoles": [], "info": _info(), "keyCredentials": [key_credential(c) for c in app.key_credentials],
        "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
        "passwordCredentials": [password_credential(c) for c in app.password_credentials],
        "publicClient": {"redirectUris": []}, "requiredResourceAccess": _resource_access(app),
        "verifiedPublisher": {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None},
        "web": {"homePageUrl": None, "logoutUrl": None, "redirectUris": list(app.redirect_uris),
                "implicitGrantSettings": {"enableAccessTokenIssuance": False, "enableIdTokenIssuance": False}},
        "spa": {"redirectUris": []},
    }


def _info() -> dict[str, Any]:
    return {"logoUrl": None, "marketingUrl": None, "privacyStatementUrl": None, "supportUrl": None, "termsOfServiceUrl": None}


def _app_roles(resource_app_id: str) -> list[dict[str, Any]]:
    return [
        {"allowedMemberTypes": ["Application"], "description": p.display_name, "displayName": p.display_name,
         "id": p.id, "isEnabled": True, "origin": "Application", "value": p.value}
        for p in app_roles_of(resource_app_id).values()
    ]


def _scopes(resource_app_id: str) -> list[dict[str, Any]]:
    return [
        {"adminConsentDescription": p.display_name, "adminConsentDisplayName": p.display_name, "id": p.id,
         "isEnabled": True, "type": "Admin" if p.admin_consent_required else "User",
         "userConsentDescription": p.display_name, "userConsentDisplayName": p.display_name, "value": p.value}
        for p in scopes_of(resource_app_id).values()
    ]


def service_principal(sp: ServicePrincipal, world: World) -> dict[str, Any]:
    app = world.application(sp.app_id)
    first_party = sp.app_id in (GRAPH_APP_ID, ARM_APP_ID) or sp.app_id.lower() in world.first_party_apps
    owner_tenant = MICROSOFT_SERVICES_TENANT if first_party else (app.home_tenant_id if app else None)
    publisher = "Microsoft Services" if first_party else (world.tenants[app.home_tenant_id].display_name if app else None)
    names = [sp.app_id]
    if sp.app_id == GRAPH_APP_ID:
        names += ["https://graph.microsoft.com", "https://graph.microsoft.com/"]
    elif sp.app_id == ARM_APP_ID:
        names += ["https://management.azure.com/", "https://management.core.windows.net/"]
    return {
        "id": sp.object_id, "deletedDateTime": None, "accountEnabled": True, "alternativeNames": [],
        "appDisplayName": display_name_of(sp.app_id) if first_party else (app.display_name if app else sp.display_name),
        "appDescription": None, "appId": sp.app_id, "applicationTemplateId": None, "appOwnerOrganizationId": owner_tenant,
        "appRoleAssignmentRequired": False, "createdDateTime": ts(sp.created), "description": None,
        "disabledByMicrosoftStatus": None, "displayName": sp.display_name, "homepage": None, "loginUrl": None,
        "logoutUrl": None, "notes": None, "notificationEmailAddresses": [], "preferredSingleSignOnMode": None,
        "preferredTokenSigningKeyThumbprint": None, "publisherName": publisher,
        "replyUrls": list(app.redirect_uris) if app else [], "samlSingleSignOnSettings": None,
        "servicePrincipalNames": names, "servicePrincipalType": "Application",
        "signInAudience": "AzureADMultipleOrgs" if first_party else (app.sign_in_audience if app else "AzureADMyOrg"),
        "tags": [], "tokenEncryptionKeyId": None, "verifiedPublisher": {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None},
        "addIns": [], "appRoles": _app_roles(sp.app_id), "info": _info(), "keyCredentials": [],
        "oauth2PermissionScopes": _scopes(sp.app_id), "passwordCredentials": [],
        "resourceSpecificApplicationPermissions": [],
    }


SP_DEFAULT = ["id", "deletedDateTime", "accountEnabled", "alternativeNames", "appDisplayName", "appDescription", "appId",
              "applicationTemplateId", "appOwnerOrganizationId", "appRoleAssignmentRequired", "createdDateTime",
              "description", "disabledByMicrosoftStatus", "displayName", "homepage", "loginUrl", "logoutUrl", "notes",
              "notificationEmailAddresses", "preferredSingleSignOnMode", "preferredTokenSigningKeyThumbprint",
              "publisherName", "replyUrls", "samlSingleSignOnSettings", "servicePrincipalNames",
              "servicePrincipalType", "signInAudience", "tags", "tokenEncryptionKeyId", "verifiedPublisher",
              "addIns", "appRoles", "info", "keyCredentials", "oauth2PermissionScopes", "passwordCredentials",
              "resourceSpecificApplicationPermissions"]


def app_role_assignment(a: AppRoleAssignment, tenant: Tenant) -> dict[str, Any]:
    principal = tenant.service_principals.get(a.principal_id)
    resource = tenant.service_principal_by_app_id(a.resource_app_id)
    roles = app_roles_of(a.resource_app_id)
    return {
        "id": a.id, "deletedDateTime": None, "appRoleId": roles[a.value].id if a.value in roles else a.value,
        "createdDateTime": ts(a.created), "principalDisplayName": principal.display_name if principal else None,
        "principalId": a.principal_id, "principalType": "ServicePrincipal",
        "resourceDisplayName": display_name_of(a.resource_app_id), "resourceId": resource.object_id if resource else None,
    }


def permission_grant(g: DelegatedGrant, tenant: Tenant) -> dict[str, Any]:
    client = tenant.service_principal_by_app_id(g.client_app_id)
    resource = tenant.service_principal_by_app_id(g.resource_app_id)
    return {
        "clientId": client.object_id if client else None, "consentType": g.consent_type, "id": g.id,
        "principalId": g.user_id, "resourceId": resource.object_id if resource else None, "scope": " ".join(g.scopes),
    }


def organization(tenant: Tenant) -> dict[str, Any]:
    return {
        "id": tenant.tenant_id, "deletedDateTime": None, "businessPhones": [], "city": None, "country": None,
        "countryLetterCode": tenant.country_letter_code, "createdDateTime": None, "defaultUsageLocation": None,
        "displayName": tenant.display_name, "isMultipleDataLocationsForServicesEnabled": None,
        "marketingNotificationEmails": [], "onPremisesLastSyncDateTime": None, "onPremisesSyncEnabled": None,
        "partnerTenantType": None, "postalCode": None, "preferredLanguage": "en",
        "securityComplianceNotificationMails": [], "securityComplianceNotificationPhones": [], "state": None,
        "street": None, "technicalNotificationMails": [], "tenantType": "AAD",
        "directorySizeQuota": {"used": len(tenant.users) + len(tenant.groups) + len(tenant.service_principals), "total": 300000},
        "privacyProfile": None, "assignedPlans": [], "provisionedPlans": [],
        "verifiedDomains": [
            {"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": d == tenant.verified_domains[-1],
             "isInitial": d == tenant.default_domain, "name": d, "type": "Managed"}
            for d in tenant.verified_domains
        ],
    }


def domain(name: str, tenant: Tenant) -> dict[str, Any]:
    return {
        "authenticationType": "Managed", "availabilityStatus": None, "id": name, "isAdminManaged": True,
        "isDefault": name == tenant.verified_domains[-1], "isInitial": name == tenant.default_domain, "isRoot": True,
        "isVerified": True, "passwordNotificationWindowInDays": 14, "passwordValidityPeriodInDays": 2147483647,
        "supportedServices": ["Email", "OfficeCommunicationsOnline"], "state": None,
    }
