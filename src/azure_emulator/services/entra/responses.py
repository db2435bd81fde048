"""Entra ID's answers: the AADSTS errors the emulator returns, worded as Entra ID words them.

Each function returns an ``ApiError`` (token endpoint JSON). Pages and redirects reuse
``.body["error"]`` and ``.body["error_description"]``.
"""

from __future__ import annotations

from datetime import datetime

from azure_emulator.core.errors import ApiError, aad_error

NOT_FOUND_TENANT = (
    "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing "
    "into the correct cloud. Check with your subscription administrator, this may happen if there are "
    "no active subscriptions for the tenant."
)


def tenant_not_found(tenant: str, now: datetime, *, status: int = 400) -> ApiError:
    return aad_error(status, "invalid_tenant" if status == 400 else "invalid_request", NOT_FOUND_TENANT.format(tenant=tenant), [90002], now=now)


def tenant_not_found_token(tenant: str, now: datetime) -> ApiError:
    return aad_error(400, "invalid_request", NOT_FOUND_TENANT.format(tenant=tenant), [90002], now=now)


def missing_parameter(name: str, now: datetime) -> ApiError:
    return aad_error(400, "invalid_request", f"The request body must contain the following parameter: '{name}'.", [900144], now=now)


def unsupported_grant(grant: str, now: datetime) -> ApiError:
    return aad_error(400, "unsupported_grant_type", f"The app requested an unsupported grant type '{grant}'.", [70003], now=now)


def grant_over_common(now: datetime) -> ApiError:
    return aad_error(
        400, "invalid_request",
        "The grant type is not supported over the /common or /consumers endpoints. Please use the "
        "/organizations or tenant-specific endpoint.", [9001023], now=now,
    )


def app_not_found(client_id: str, tenant_name: str, now: datetime) -> ApiError:
    return aad_error(
        400, "unauthorized_client",
        f"Application with identifier '{client_id}' was not found in the directory '{tenant_name}'. "
        "This can happen if the application has not been installed by the administrator of the tenant "
        "or consented to by any user in the tenant. You might have sent your authentication request to "
        "the wrong tenant.", [700016], now=now,
    )


def single_tenant_over_common(client_id: str, name: str, now: datetime) -> ApiError:
    return aad_error(
        400, "invalid_request",
        f"Application '{client_id}'({name}) is not configured as a multi-tenant application. Usage of "
        "the /common endpoint is not supported for such applications created after '10/15/2018'. Use a "
        "tenant-specific endpoint or configure the application to be multi-tenant.", [50194], now=now,
    )


def invalid_secret(client_id: str, now: datetime) -> ApiError:
    return aad_error(
        401, "invalid_client",
        "Invalid client secret provided. Ensure the secret being sent in the request is the client "
        f"secret value, not the client secret ID, for a secret added to app '{client_id}'.", [7000215], now=now,
    )


def expired_secret(client_id: str, now: datetime) -> ApiError:
    return aad_error(
        401, "invalid_client",
        f"The provided client secret keys for app '{client_id}' are expired. Visit the Azure portal to "
        "create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate "
        "credentials for added security: https://aka.ms/certCreds.", [7000222], now=now,
    )


def credential_missing(now: datetime) -> ApiError:
    return aad_error(
        401, "invalid_client",
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        [7000218], now=now,
    )


def assertion_invalid(code: int, message: str, now: datetime) -> ApiError:
    return aad_error(401, "invalid_client", message, [code], now=now)


def scope_not_default(scope: str, now: datetime) -> ApiError:
    return aad_error(
        400, "invalid_scope",
        f"The provided value for scope {scope} is not valid. Client credential flows must have a scope "
        "value with /.default suffixed to the resource identifier (application ID URI).", [1002012], now=now,
    )


def invalid_scope(scope: str, now: datetime) -> ApiError:
    return aad_error(
        400, "invalid_scope",
        f"The provided value for the input parameter 'scope' isn't valid. The scope {scope} isn't valid.",
        [70011], now=now,
    )


def multiple_resources(scope: str, now: datetime) -> ApiError:
    return aad_error(
        400, "invalid_scope",
        "Provided value for the input parameter scope is not valid because it contains more than one "
        f"resource. Scope {scope} is not valid.", [28000], now=now,
    )


def resource_not_found(resource: str, tenant_name: str, now: datetime) -> ApiError:
    return aad_error(
        400, "invalid_resource",
        f"The resource principal named {resource} was not found in the tenant named {tenant_name}. This "
        "can happen if the application has not been installed by the administrator of the tenant or "
        "consented to by any user in the tenant. You might have sent your authentication request to the "
        "wrong tenant.", [500011], now=now,
    )


def consent_required(client_id: str, name: str, now: datetime) -> ApiError:
    err = aad_error(
        400, "invalid_grant",
        f"The user or administrator has not consented to use the application with ID '{client_id}' "
        f"named '{name}'. Send an interactive authorization request for this user and resource.",
        [65001], now=now,
    )
    err.body["suberror"] = "consent_required"
    return err


def bad_password(now: datetime) -> ApiError:
    return aad_error(400, "invalid_grant", "Error validating credentials due to invalid username or password.", [50126], now=now)


def user_not_found(tenant_name: str, now: datetime) -> ApiError:
    return aad_error(
        400, "invalid_grant",
        f"The user account {{EmailHidden}} does not exist in the {tenant_name} directory. To sign into this "
        "application, the account must be added to the directory.", [50034], now=now,
    )


def user_disabled(now: datetime) -> ApiError:
    return aad_error(400, "invalid_grant", "The user account is disabled.", [50057], now=now)


def user_other_tenant(upn: str, home_tenant: str, tenant_name: str, client_id: str, app_name: str, now: datetime) -> ApiError:
    return aad_error(
        400, "invalid_grant",
        f"User account '{upn}' from identity provider 'https://sts.windows.net/{home_tenant}/' does not "
        f"exist in tenant '{tenant_name}' and cannot access the application '{client_id}'({app_name}) in "
        "that tenant. The account needs to be added as an external user in the tenant first. Sign out "
        "and sign in again with a different Azure Active Directory user account.", [50020], now=now,
    )


def code_invalid(now: datetime) -> ApiError:
    return aad_error(400, "invalid_grant", "Invalid request. Request is malformed or invalid.", [9002313], now=now)


def code_expired(now: datetime) -> ApiError:
    return aad_error(
        400, "invalid_grant",
        "The provided authorization code or refresh token has expired due to inactivity. Send a new "
        "interactive authorization request for this user and resource.", [70008], now=now,
    )


def code_redeemed(now: datetime) -> ApiError:
    return aad_error(
        400, "invalid_grant",
        "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an "
        "existing refresh token.", [54005], now=now,
    )


def pkce_mismatch(now: datetime) -> ApiError:
    return aad_error(
        400, "invalid_grant",
        "The code_verifier does not match the code_challenge supplied in the authorization request.", [501481], now=now,
    )


def redirect_mismatch_grant(sent: str, original: str, now: datetime) -> ApiError:
    return aad_error(
        400, "invalid_grant",
        f"The reply address '{sent}' does not match the reply address '{original}' provided when "
        "requesting Authorization code.", [500112], now=now,
    )


def client_mismatch(now: datetime) -> ApiError:
    return aad_error(400, "invalid_grant", "The provided authorization code was issued to a different client.", [70000], now=now)


def refresh_expired(issued: datetime, now: datetime) -> ApiError:
    return aad_error(
        400, "invalid_grant",
        f"The refresh token has expired due to inactivity. The token was issued on "
        f"{issued.strftime('%Y-%m-%dT%H:%M:%S.0000000Z')} and was inactive for 90.00:00:00.", [700082], now=now,
    )


def redirect_uri_mismatch(uri: str, client_id: str, now: datetime) -> ApiError:
    return aad_error(
        400, "invalid_request",
        f"The redirect URI '{uri}' specified in the request does not match the redirect URIs configured "
        f"for the application '{client_id}'. Make sure the redirect URI sent in the request matches one "
        "added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError "
        "to learn more about how to fix this.", [50011], now=now,
    )


def user_declined(now: datetime) -> ApiError:
    return aad_error(400, "access_denied", "User declined to consent to access the app.", [65004], now=now)


def admin_required(now: datetime) -> ApiError:
    return aad_error(
        400, "access_denied",
        "Admin consent is required for the permissions requested by this application. An admin consent "
        "request may be sent to the admin.", [90094], now=now,
    )


def response_type_unsupported(value: str, now: datetime) -> ApiError:
    return aad_error(
        400, "unsupported_response_type",
        f"The provided value for the input parameter 'response_type' is not allowed for this request. "
        f"Expected value: 'code'. Actual value: '{value}'.", [9000411], now=now,
    )
