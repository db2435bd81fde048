"""Office 365: admin consent for Microsoft Graph application permissions, or the
customer's own service principal holding them.

The consent asks for exactly the permissions the licence import uses (PERMISSIONS; the
v2.0 admin consent grants only the ones named). On the way back skytally asks for an
app-only Graph token and records the permissions it actually carries (the `roles`
claim), so the page shows what was granted, not what was hoped for.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from skytally.accounts import consent_state as cs
from skytally.accounts import guard, repo, tenants
from skytally.accounts import service_principals as sp
from skytally.accounts.context import AccountsEnv
from skytally.accounts.credentials import CredentialIn
from skytally.accounts.identity import skytally_app, skytally_credential, try_app_token
from skytally.accounts.models import AccountKind, CloudAccount, ConsentRequest
from skytally.accounts.schemas import AccountCreate, ConsentOutcome, ConsentStart
from skytally.errors import Conflict, InvalidInput
from skytally.store.base import utcnow
from skytally.workspaces.schemas import Actor

# Microsoft Graph application permissions the licence import uses, and what for.
PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("User.Read.All", "users, their departments, account state and licences (direct or through groups)"),
    ("Group.Read.All", "names of the groups that assign licences"),
    ("LicenseAssignment.Read.All", "products bought and their units (subscribedSkus)"),
    ("Reports.Read.All", "Microsoft 365 usage reports: workload activity and mailboxes"),
    ("AuditLog.Read.All", "each user's last sign-in (Graph shows it only in tenants with Entra ID P1/P2)"),
)
REQUIRED_PERMISSIONS = tuple(p for p, _ in PERMISSIONS if p != "AuditLog.Read.All")
OPTIONAL_PERMISSIONS = ("AuditLog.Read.All",)  # without it: no sign-in activity, said on the Licences page


def start_add(session: Session, env: AccountsEnv, actor: Actor | None, data: AccountCreate) -> ConsentStart:
    if data.kind is not AccountKind.OFFICE365:
        raise InvalidInput("use the Azure flow for Azure tenants")
    workspace_ids = guard.check_assignable(session, actor, data.workspace_ids)
    tenant = tenants.resolve(env.connector, data.tenant)
    existing = repo.account_by_tenant(session, AccountKind.OFFICE365.value, tenant.tenant_id)
    if existing is not None and not guard.can_manage(session, actor, existing):
        raise Conflict(f"Office 365 tenant {tenant.tenant_id} is already connected in skytally")
    return start(
        session, env, actor, tenant=tenant.tenant_id, name=data.name or tenant.domain or tenant.tenant_id,
        domain=tenant.domain, account_id=existing.id if existing else None, workspace_ids=workspace_ids,
    )


def start(
    session: Session, env: AccountsEnv, actor: Actor | None, *, tenant: str, name: str, domain: str = "",
    account_id: int | None = None, workspace_ids: list[int] | None = None,
) -> ConsentStart:
    client_id, _ = skytally_app(env.settings)
    state = cs.new_state()
    url = env.connector.admin_consent_url(tenant, client_id, cs.redirect_uri(env), state,
                                          graph_permissions=[p for p, _ in PERMISSIONS])
    return cs.record(
        session, env, actor, state=state, purpose="office365", tenant_id=tenant, url=url,
        flow={"state": state}, account_id=account_id,
        params={"name": name, "domain": domain, "workspace_ids": workspace_ids or []},
    )


def finish(
    session: Session, env: AccountsEnv, actor: Actor | None, row: ConsentRequest, query: dict[str, str]
) -> ConsentOutcome:
    if query.get("admin_consent", "").lower() != "true":
        return cs.fail("Microsoft did not confirm the admin consent. " + cs.NOTHING_CHANGED)
    granted_tenant = query.get("tenant", "").lower()
    if granted_tenant and granted_tenant != row.tenant_id:
        return cs.fail(
            f"The administrator consented in another tenant ({granted_tenant}) than the one being "
            f"connected ({row.tenant_id}); sign in with an administrator of {row.tenant_id}."
        )
    client_id, _ = skytally_app(env.settings)
    credential = skytally_credential(env.connector, env.settings, row.tenant_id)
    claims, problem = try_app_token(
        credential, env.settings.endpoints.graph_scope(), tenant_id=row.tenant_id, client_id=client_id, own_app=True
    )
    if problem is not None or claims is None:
        return cs.fail(
            f"skytally cannot use Microsoft Graph in tenant {row.tenant_id} after the consent: "
            f"{problem.message if problem else 'no token'}. " + cs.NOTHING_CHANGED
        )
    granted = sorted(str(r) for r in claims.get("roles", []))
    missing = [p for p in REQUIRED_PERMISSIONS if p not in granted]
    account = session.get(CloudAccount, row.account_id) if row.account_id else None
    if account is None:
        account = repo.account_by_tenant(session, AccountKind.OFFICE365.value, row.tenant_id)
    account = cs.consented_account(session, row, AccountKind.OFFICE365.value, actor, account)
    account.granted_permissions = granted
    # Admin consent does not say who the administrator was; record who ran it in skytally.
    account.consented_by = f"tenant administrator (via {actor.email})" if actor else "tenant administrator"
    account.consented_at = utcnow()
    session.flush()
    message = f"Connected Office 365 tenant {account.name}: granted {', '.join(granted) or 'nothing'}."
    if missing:
        message += f" Still missing: {', '.join(missing)} — consent again after adding them to the app."
    return ConsentOutcome(ok=True, message=message, account_id=account.id, granted_permissions=granted)


def missing_permissions(account: CloudAccount) -> list[str]:
    if account.kind != AccountKind.OFFICE365.value:
        return []
    have = set(account.granted_permissions or [])
    return [p for p in REQUIRED_PERMISSIONS if p not in have]


def check_graph_roles(roles: list[str]) -> None:
    """Refuse a service principal that lacks a required Graph permission, naming it."""
    missing = [p for p in REQUIRED_PERMISSIONS if p not in roles]
    if missing:
        raise InvalidInput(
            f"the application lacks the Microsoft Graph application permission(s) {', '.join(missing)} "
            f"(it holds: {', '.join(sorted(roles)) or 'none'}); add them under API permissions, grant admin consent, "
            "and connect again"
        )


def connect_service_principal(
    session: Session, env: AccountsEnv, actor: Actor | None, name: str, data: CredentialIn,
    workspace_ids: list[int] | None = None,
) -> CloudAccount:
    """Connect an Office 365 tenant with the customer's own app registration, validated at
    once: the tenant, the app, the secret (Entra ID's own reasons) and every Graph
    permission the import needs (the missing one named)."""
    ws_ids = guard.check_assignable(session, actor, workspace_ids or [])
    tenant = tenants.resolve(env.connector, data.tenant_id)
    credential = data.build(env.connector, tenant.tenant_id)
    claims, problem = try_app_token(credential, env.settings.endpoints.graph_scope(), tenant_id=tenant.tenant_id,
                                    client_id=data.client_id, own_app=False)
    if problem is not None or claims is None:
        raise InvalidInput(problem.message if problem else "no token")
    roles = sorted(str(r) for r in claims.get("roles", []))
    check_graph_roles(roles)
    account = repo.account_by_tenant(session, AccountKind.OFFICE365.value, tenant.tenant_id)
    if account is not None:
        raise Conflict(f"Office 365 tenant {tenant.tenant_id} is already connected in skytally as {account.name}")
    account = CloudAccount(kind=AccountKind.OFFICE365.value, name=name.strip() or tenant.domain or tenant.tenant_id,
                           tenant_id=tenant.tenant_id, tenant_domain=tenant.domain or "", connection="service_principal",
                           granted_permissions=roles, consented_by=f"service principal {data.client_id}",
                           consented_at=utcnow(), created_by=actor.email if actor else "cli")
    session.add(account)
    session.flush()
    if ws_ids:
        repo.set_workspaces(session, account.id, ws_ids)
    sp.store_credential(session, env, actor, account, data)
    return account
