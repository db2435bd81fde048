"""Service-principal credentials, as a Pydantic discriminated union on `kind`.

Each kind builds its azure-identity credential and has a `probe()` that tests the
connection step by step, so a failure names its exact cause: tenant not found, app not
in tenant, wrong secret, expired secret, bad certificate, role missing on the billing
scope, role missing on any subscription. The secret's expiry is read from Microsoft
Graph when the app may read its own registration, else taken from the user.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from sqlalchemy.orm import Session

from skytally.accounts import billing, tenants
from skytally.accounts.context import AccountsEnv
from skytally.accounts.identity import describe_auth_failure, try_app_token
from skytally.accounts.models import AccountCredential, CloudAccount
from skytally.accounts.roles import PROOF_ACTION, allows, permissions_at
from skytally.accounts.schemas import ProbeResult, ProbeSubscription
from skytally.accounts.tenants import state_text
from skytally.azure.errors import AzureHttpError, AzureUnreachable
from skytally.errors import UserError
from skytally.security.secretbox import mask

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from skytally.azure.clients import AzureConnector


class _CredentialBase(BaseModel):
    tenant_id: str = Field(description="Tenant ID (GUID) or a domain of the tenant")
    client_id: str = Field(description="Application (client) ID")
    billing_account_id: str | None = Field(default=None, description="EA enrollment number or MCA billing account ID")

    @field_validator("client_id")
    @classmethod
    def _guid(cls, value: str) -> str:
        try:
            return tenants.parse_guid(value, "application (client) ID")
        except UserError as exc:
            raise ValueError(exc.message) from None

    @field_validator("billing_account_id")
    @classmethod
    def _billing(cls, value: str | None) -> str | None:
        return billing.clean_id(value) if value and value.strip() else None

    def secret(self) -> SecretStr:
        raise NotImplementedError

    def build(self, connector: AzureConnector, tenant_id: str) -> TokenCredential:
        raise NotImplementedError

    def declared_expiry(self) -> datetime | None:
        return None

    def probe(self, connector: AzureConnector) -> ProbeResult:
        return probe(self, connector)


class ClientSecretCredentialIn(_CredentialBase):
    kind: Literal["client_secret"] = "client_secret"
    client_secret: SecretStr
    secret_expires_at: datetime | None = Field(
        default=None, description="When the secret expires, if Graph may not tell (the app lacks Application.Read.All)"
    )

    @field_validator("secret_expires_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    def secret(self) -> SecretStr:
        return self.client_secret

    def build(self, connector: AzureConnector, tenant_id: str) -> TokenCredential:
        return connector.client_secret_credential(tenant_id, self.client_id, self.client_secret)

    def declared_expiry(self) -> datetime | None:
        return self.secret_expires_at


class CertificateCredentialIn(_CredentialBase):
    kind: Literal["certificate"] = "certificate"
    certificate_pem: SecretStr = Field(description="PEM with the private key and the certificate")

    @field_validator("certificate_pem")
    @classmethod
    def _pem(cls, value: SecretStr) -> SecretStr:
        text = value.get_secret_value()
        if "PRIVATE KEY-----" not in text or "BEGIN CERTIFICATE-----" not in text:
            raise ValueError("must be a PEM file holding both the private key and the certificate")
        return value

    def secret(self) -> SecretStr:
        return self.certificate_pem

    def build(self, connector: AzureConnector, tenant_id: str) -> TokenCredential:
        return connector.certificate_credential(tenant_id, self.client_id, self.certificate_pem)

    def declared_expiry(self) -> datetime | None:
        from cryptography import x509  # only for certificates: ~0.1 s to import

        try:
            cert = x509.load_pem_x509_certificate(self.certificate_pem.get_secret_value().encode())
        except ValueError:
            return None
        return cert.not_valid_after_utc


CredentialIn = Annotated[ClientSecretCredentialIn | CertificateCredentialIn, Field(discriminator="kind")]


def hint_of(data: _CredentialBase) -> str:
    if isinstance(data, CertificateCredentialIn):
        expiry = data.declared_expiry()
        return f"certificate{' until ' + expiry.strftime('%Y-%m-%d') if expiry else ''}"[:32]
    return mask(data.secret().get_secret_value())


def probe(data: _CredentialBase, connector: AzureConnector) -> ProbeResult:
    """Test the credential end to end; the first failing step is the answer."""
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

    try:
        tenant_id = tenants.resolve(connector, data.tenant_id).tenant_id
    except UserError as exc:
        return ProbeResult(ok=False, problem="tenant_not_found", message=exc.message)
    try:
        credential = data.build(connector, tenant_id)
    except ValueError as exc:
        return ProbeResult(ok=False, problem="bad_certificate", message=f"the certificate could not be used: {exc}", tenant_id=tenant_id)
    claims, problem = try_app_token(credential, connector.endpoints.arm_scope(), tenant_id=tenant_id, client_id=data.client_id)
    if problem is not None or claims is None:
        assert problem is not None
        return ProbeResult(ok=False, problem=problem.problem, message=problem.message, tenant_id=tenant_id)
    result = ProbeResult(ok=True, tenant_id=tenant_id, object_id=str(claims.get("oid") or "") or None)
    try:
        result.subscriptions = [
            ProbeSubscription(subscription_id=s.subscription_id, display_name=s.display_name or s.subscription_id,
                              state=state_text(s.state))
            for s in connector.subscriptions(credential).subscriptions.list()
        ]
    except (HttpResponseError, ClientAuthenticationError) as exc:
        return _fail(result, "error", f"listing subscriptions failed: {getattr(exc, 'message', exc)}")
    if data.billing_account_id:
        try:
            result.billing = billing.check(connector, credential, data.billing_account_id)
        except billing.BillingProblem as exc:
            return _fail(result, exc.problem, exc.message)
    elif not result.subscriptions:
        return _fail(
            result, "subscription_role_missing",
            f"application {data.client_id} signs in, but has no role on any subscription of the tenant: "
            "assign it Reader on the subscriptions to import (or give a billing account ID for costs only)",
        )
    result.secret_expires_at, result.expiry_source = _expiry(connector, credential, data)
    return result


def _fail(result: ProbeResult, problem: str, message: str) -> ProbeResult:
    result.ok, result.problem, result.message = False, problem, message
    return result


def _expiry(connector: AzureConnector, credential: TokenCredential, data: _CredentialBase) -> tuple[datetime | None, str]:
    """The secret's end date from the app registration in Graph, else what the user gave."""
    from azure.core.exceptions import ClientAuthenticationError

    declared = data.declared_expiry()
    if isinstance(data, CertificateCredentialIn):
        return declared, "certificate" if declared else "unknown"
    try:
        doc = connector.graph(credential).get(
            "/applications", **{"$filter": f"appId eq '{data.client_id}'", "$select": "appId,passwordCredentials"}
        )
    except (AzureHttpError, AzureUnreachable, ClientAuthenticationError):
        return declared, "user" if declared else "unknown"
    apps = doc.get("value", []) if isinstance(doc, dict) else []
    secret = data.secret().get_secret_value()
    ends: list[datetime] = []
    for app in apps:
        for cred in app.get("passwordCredentials") or []:
            hint = str(cred.get("hint") or "")
            if hint and secret.startswith(hint) and cred.get("endDateTime"):
                ends.append(_parse_time(str(cred["endDateTime"])))
    if not ends:
        return declared, "user" if declared else "unknown"
    future = [e for e in ends if e > datetime.now(UTC)]
    return (min(future) if future else max(ends)), "graph"


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def subscription_role(connector: AzureConnector, credential: TokenCredential, subscription_id: str) -> str:
    """Which of skytally's roles the credential effectively holds on a subscription."""
    perms = permissions_at(connector, credential, subscription_id)
    if allows(perms, PROOF_ACTION["Tag Contributor"]):
        return "Tag Contributor"
    return "Reader" if allows(perms, PROOF_ACTION["Reader"]) else ""


def describe(problem_text: str, tenant_id: str, client_id: str) -> str:
    return describe_auth_failure(problem_text, tenant_id=tenant_id, client_id=client_id).message


def as_dict(data: _CredentialBase) -> dict[str, Any]:
    return data.model_dump(exclude={"client_secret", "certificate_pem"})


def stored_model(session: Session, env: AccountsEnv, account: CloudAccount, row: AccountCredential,
                 secret: SecretStr | None = None) -> CredentialIn:
    value = secret or env.vault.reveal(session, row.secret_id)
    common = {"tenant_id": account.tenant_id, "client_id": row.client_id, "billing_account_id": row.billing_account_id}
    if row.kind == "certificate":
        return CertificateCredentialIn(certificate_pem=value, **common)
    expiry = row.expires_at if row.expiry_source == "user" else None
    return ClientSecretCredentialIn(client_secret=value, secret_expires_at=expiry, **common)
