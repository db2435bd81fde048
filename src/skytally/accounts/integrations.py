"""Billing accounts as integrations of their own (DESIGN §1, the Vantage flow): an EA
enrollment or MCA billing account under a tenant, named by the user and assigned to
workspaces independently of the tenant's subscriptions. A workspace that has the billing
account sees its costs; a workspace that has only the tenant does not, and the reverse.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from skytally.accounts import guard, repo
from skytally.accounts.models import BillingAccount, CloudAccount
from skytally.accounts.schemas import BillingAccountOut, BillingAccountUpdate, WorkspaceRef
from skytally.errors import AlreadyConnected, InvalidInput, NotFound, PermissionDenied
from skytally.workspaces import service as workspaces
from skytally.workspaces.schemas import Actor


def label(row: BillingAccount) -> str:
    return row.name or row.display_name or row.billing_account_id


def to_out(session: Session, row: BillingAccount, tenant: CloudAccount | None = None) -> BillingAccountOut:
    out = BillingAccountOut.model_validate(row)
    out.name = label(row)
    tenant = tenant or session.get(CloudAccount, row.account_id)
    out.tenant_name = tenant.name if tenant is not None else ""
    out.workspaces = [WorkspaceRef(id=i, name=n) for i, n in
                      workspaces.workspace_names(session, set(repo.billing_workspace_ids(session, row.id))).items()]
    return out


def _may(session: Session, actor: Actor | None, row: BillingAccount, admin: bool) -> bool:
    """Its own workspaces or its tenant's: an admin of either manages it, a member of
    either sees it (its costs follow its own workspaces only: costs.explore)."""
    if actor is None or actor.is_admin:
        return True
    ws = set(repo.billing_workspace_ids(session, row.id)) | set(repo.workspace_ids_of(session, row.account_id))
    return any((actor.can_admin if admin else actor.can_view)(w) for w in ws)


def get(session: Session, actor: Actor | None, account_id: int, billing_row_id: int, *,
        manage: bool = False) -> BillingAccount:
    row = session.get(BillingAccount, billing_row_id)
    if row is None or row.account_id != account_id or not _may(session, actor, row, admin=False):
        raise NotFound(f"billing account {billing_row_id} does not exist in cloud account {account_id}, "
                       "or is not in your workspaces")
    if manage and not _may(session, actor, row, admin=True):
        raise PermissionDenied("only organisation admins and admins of its workspaces can change a billing account")
    return row


def find(session: Session, actor: Actor | None, key: str) -> BillingAccount:
    """A billing account by row id, billing account ID or name (for the CLI)."""
    text = key.strip()
    rows = [r for r in repo.billing_accounts_in(session, None) if _may(session, actor, r, admin=False)]
    found = [r for r in rows if text in (str(r.id), r.billing_account_id) or text.lower() == label(r).lower()]
    if len(found) != 1:
        raise NotFound(f"no single billing account matches {text!r}"
                       + (f" ({len(found)} do; use its ID)" if found else "; see `skytally accounts billing list`"))
    return found[0]


def listing(session: Session, actor: Actor | None) -> list[BillingAccountOut]:
    """The billing accounts the caller's workspaces have (the header's workspace narrows it),
    plus those of tenants the caller sees (shown under their tenant)."""
    ws = guard.visible_workspace_filter(actor)
    rows = {r.id: r for r in repo.billing_accounts_in(session, ws)}
    for account in repo.visible_accounts(session, ws):
        rows.update({r.id: r for r in repo.billing_accounts_of(session, account.id)})
    return [to_out(session, r) for r in sorted(rows.values(), key=lambda r: (r.account_id, r.id))]


def update(session: Session, actor: Actor | None, account_id: int, billing_row_id: int,
           data: BillingAccountUpdate) -> BillingAccountOut:
    row = get(session, actor, account_id, billing_row_id, manage=True)
    if data.name is not None:
        row.name = data.name.strip()
    if data.workspace_ids is not None:
        wanted = set(guard.check_assignable(session, actor, data.workspace_ids))
        if actor is not None and not actor.is_admin:
            # cannot take it away from a workspace you do not admin
            wanted |= {w for w in repo.billing_workspace_ids(session, row.id) if not actor.can_admin(w)}
        repo.set_billing_workspaces(session, row.id, wanted)
    session.flush()
    return to_out(session, row)


def name_and_assign(session: Session, row: BillingAccount, name: str, workspace_ids: Iterable[int] | None) -> None:
    """A billing account just connected: the name typed (else Azure's) and the workspaces
    ticked (else its tenant's, as before integrations had their own)."""
    if name.strip():
        row.name = name.strip()
    ids = list(workspace_ids or []) or repo.workspace_ids_of(session, row.account_id)
    repo.set_billing_workspaces(session, row.id, ids)


def refuse_if_connected(session: Session, billing_account_id: str) -> None:
    """Connecting a billing account skytally already has is never a silent merge."""
    for row in repo.billing_accounts_by_id(session, billing_account_id):
        tenant = session.get(CloudAccount, row.account_id)
        raise AlreadyConnected(
            f"billing account {billing_account_id} is already connected as “{label(row)}” under tenant "
            f"“{tenant.name if tenant else row.account_id}” (account {row.account_id}); nothing was changed. Open it "
            "to rename it, assign it to other workspaces, or replace its credential's secret.", row.account_id)


def workspace_ids_of_scope(session: Session, account_id: int, scope_id: str) -> list[int] | None:
    """The workspaces of the billing account `scope_id` of this tenant; None if it is not one
    (a pay-as-you-go subscription scope follows its tenant)."""
    row = repo.billing_account(session, account_id, scope_id)
    return None if row is None else repo.billing_workspace_ids(session, row.id)


def check_name(name: str) -> str:
    if len(name.strip()) > 200:
        raise InvalidInput("a billing account name has at most 200 characters", field="billing_name")
    return name.strip()
