"""`skytally accounts …` (with `accounts billing …`) and `skytally tokens …`

Commands that need a consent print the URL to open in a browser (signed in to skytally as
an organisation admin); the running web server finishes the flow.

Each command imports the accounts services when it runs: they load the ORM and the models,
which `skytally accounts --help` does not need (tests/cli/test_cli_startup.py).
`skytally subscriptions …` is in cli/subscriptions.py.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from skytally.cli.common import (
    JSON_HELP,
    console,
    err_console,
    print_json,
    print_table,
    runtime,
    session,
    when,
)

if TYPE_CHECKING:
    from skytally.accounts.context import AccountsEnv
    from skytally.accounts.schemas import (
        AccountOut,
        BillingAccountOut,
        BillingAccountUpdate,
        ConsentStart,
        SubscriptionOut,
    )

app = typer.Typer(help="Cloud accounts: Azure and Office 365 tenants.", no_args_is_help=True)
tokens_app = typer.Typer(help="EA access tokens (legacy EA reporting API keys).", no_args_is_help=True)
billing_app = typer.Typer(help="Billing accounts (EA enrollments, MCA billing accounts): integrations of their own, "
                               "named and assigned to workspaces independently of their tenant.", no_args_is_help=True)
app.add_typer(billing_app, name="billing")


def accounts_env() -> AccountsEnv:
    from skytally.accounts.context import AccountsEnv

    rt = runtime()
    return AccountsEnv(rt.settings, rt.vault)


def _workspace_ids(names: list[str]) -> list[int]:
    from skytally.workspaces import service as workspaces

    with session() as s:
        return [workspaces.find_workspace(s, None, n).id for n in names]


def print_consent(start: ConsentStart, json_out: bool) -> None:
    if json_out:
        print_json(start)
        return
    console.print("Open this URL in a browser where you are signed in to skytally, and sign in at Microsoft:")
    console.print(start.url, soft_wrap=True, highlight=False)
    console.print(f"[dim]It works once and expires at {when(start.expires_at)} UTC.[/dim]")


def find_account_id(key: str) -> int:
    from skytally.accounts import service

    with session() as s:
        return service.find_account(s, None, key).id


@app.command("add")
def add(
    tenant: str = typer.Argument(..., help="Tenant ID or a domain of the tenant (contoso.com)."),
    name: str = typer.Option("", "--name", help="Display name."),
    office365: bool = typer.Option(False, "--office365", help="Office 365 admin consent instead of Azure."),
    workspace: list[str] = typer.Option([], "--workspace", "-w", help="Workspace name or ID (repeatable)."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Add Cloud Account by consent: prints the sign-in URL to open."""
    from skytally.accounts import service
    from skytally.accounts.schemas import AccountCreate, AccountKind

    kind = AccountKind.OFFICE365 if office365 else AccountKind.AZURE
    data = AccountCreate(kind=kind, name=name, tenant=tenant, workspace_ids=_workspace_ids(workspace))
    with session() as s:
        start = service.start_add_account(s, accounts_env(), None, data)
    print_consent(start, json_out)


@app.command("connect-sp")
def connect_sp(
    tenant: str = typer.Argument(..., help="Tenant ID or domain."),
    client_id: str = typer.Option(..., "--client-id", help="Application (client) ID."),
    secret: str = typer.Option("", "--secret", envvar="SKYTALLY_SP_SECRET", help="Client secret (or env SKYTALLY_SP_SECRET)."),
    certificate: Path | None = typer.Option(None, "--certificate", exists=True, dir_okay=False, help="PEM with key and certificate."),
    billing_account: str = typer.Option("", "--billing-account", help="EA enrollment number or MCA billing account ID."),
    expires: str = typer.Option("", "--expires", help="Secret expiry (YYYY-MM-DD) if Entra ID may not tell."),
    name: str = typer.Option("", "--name", help="Display name."),
    workspace: list[str] = typer.Option([], "--workspace", "-w", help=(
        "Workspace name or ID (repeatable): the new tenant's, and the billing account's (default: its tenant's).")),
    into: str = typer.Option("", "--into", help="Add to this connected tenant (account ID, tenant ID or name)."),
    billing_name: str = typer.Option("", "--billing-name", help="Name of the billing account (default: Azure's)."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Connect an Azure tenant with your own service principal (validated at once).

    With --billing-account, its EA enrollment or MCA billing account too, as an integration of
    its own; with --into, the principal (and billing account) join a tenant already connected."""
    from pydantic import TypeAdapter

    from skytally.accounts import service
    from skytally.accounts import service_principals as sp
    from skytally.accounts.credentials import CredentialIn
    from skytally.errors import InvalidInput

    payload: dict[str, object] = {"tenant_id": tenant, "client_id": client_id, "billing_account_id": billing_account or None}
    if certificate is not None:
        payload.update(kind="certificate", certificate_pem=certificate.read_text())
    elif secret:
        payload.update(kind="client_secret", client_secret=secret,
                       secret_expires_at=datetime.fromisoformat(expires) if expires else None)
    else:
        raise InvalidInput("give --secret (or SKYTALLY_SP_SECRET) or --certificate")
    data = TypeAdapter(CredentialIn).validate_python(payload)
    ws_ids = _workspace_ids(workspace)
    with session() as s:
        into_id = service.find_account(s, None, into).id if into else None
        account, _cred, probe = sp.connect(s, accounts_env(), None, name, data, ws_ids, into_account_id=into_id,
                                           billing_name=billing_name)
        out = service.to_out(s, account)
    _queue_first_imports(out.id)
    if json_out:
        print_json({"account": out, "probe": probe})
        return
    console.print(f"Connected [bold]{escape(out.name)}[/bold] (account {out.id}): {len(probe.subscriptions)} subscription(s)"
                  + (f", billing account {probe.billing.billing_account_id} ({probe.billing.agreement_type})" if probe.billing else ""))


@app.command("list")
def list_(json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """List cloud accounts with their health and warnings."""
    from skytally.accounts import service

    with session() as s:
        accounts = service.list_accounts(s, None)
    if json_out:
        print_json(accounts)
        return
    print_table(
        "Cloud accounts", ["ID", "Kind", "Name", "Tenant", "Connection", "Subs", "Workspaces", "Warnings"],
        [[a.id, a.kind.value, a.name, a.tenant_id, a.connection.replace("_", " "), len(a.subscriptions),
          ", ".join(w.name for w in a.workspaces) or "—", "; ".join(a.warnings) or "—"] for a in accounts],
    )


def _show(account: AccountOut) -> None:
    console.print(f"[bold]{escape(account.name)}[/bold] ({account.kind.value}, account {account.id}) tenant {account.tenant_id}")
    console.print("  connection: " + (f"consent by {account.consented_by or '—'} at {when(account.consented_at)}"
                                      if account.connection == "consent" else "your own service principal"))
    console.print(f"  workspaces: {escape(', '.join(w.name for w in account.workspaces)) or '—'}")
    if account.granted_permissions:
        console.print(f"  granted: {', '.join(account.granted_permissions)}")
    for w in account.warnings:
        console.print(f"  [yellow]warning:[/yellow] {escape(w)}")
    subs_table(account.subscriptions)
    print_table("Credentials", ["ID", "Client ID", "Secret", "Expires", "Status", "Last success"],
                [[c.id, c.client_id, c.secret_hint, when(c.expires_at), c.status, when(c.last_success_at)] for c in account.credentials])
    print_table("EA access tokens", ["ID", "Enrollment", "Token", "Expires", "Status", "In use"],
                [[t.id, t.enrollment_number, t.hint, when(t.expires_at), t.status, "yes" if t.in_use else ""] for t in account.ea_tokens])
    _billing_table(account.billing_accounts)


def _billing_table(rows: list[BillingAccountOut]) -> None:
    print_table("Billing accounts", ["ID", "Name", "Billing account ID", "Agreement", "Tenant", "Role", "Workspaces"],
                [[b.id, b.name, b.billing_account_id, b.agreement_type or "—", b.tenant_name,
                  f"{b.role} ({b.role_status})", ", ".join(w.name for w in b.workspaces) or "—"] for b in rows])


# --- billing accounts -------------------------------------------------------------------
@billing_app.command("list")
def billing_list(json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """List billing accounts with their tenant and the workspaces that see their costs."""
    from skytally.accounts import service

    with session() as s:
        rows = service.list_billing_accounts(s, None)
    print_json(rows) if json_out else _billing_table(rows)


@billing_app.command("show")
def billing_show(billing: str = typer.Argument(..., help="ID, billing account ID or name."),
                 json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Show one billing account."""
    from skytally.accounts import service

    with session() as s:
        out = service.billing_account_out(s, service.find_billing_account(s, None, billing))
    print_json(out) if json_out else _billing_table([out])


def _update_billing(billing: str, data: BillingAccountUpdate, json_out: bool) -> None:
    from skytally.accounts import service

    with session() as s:
        row = service.find_billing_account(s, None, billing)
        out = service.update_billing_account(s, None, row.account_id, row.id, data)
    if json_out:
        print_json(out)
        return
    console.print(f"Billing account {out.billing_account_id} is “{escape(out.name)}”, its costs seen in: "
                  f"{escape(', '.join(w.name for w in out.workspaces)) or 'no workspace (organisation admins only)'}.")


@billing_app.command("rename")
def billing_rename(billing: str = typer.Argument(..., help="ID, billing account ID or name."),
                   name: str = typer.Argument(..., help="The new name."),
                   json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Rename a billing account."""
    from skytally.accounts.schemas import BillingAccountUpdate

    _update_billing(billing, BillingAccountUpdate(name=name), json_out)


@billing_app.command("assign")
def billing_assign(billing: str = typer.Argument(..., help="ID, billing account ID or name."),
                   workspace: list[str] = typer.Option(..., "--workspace", "-w", help="Workspace name or ID (repeatable)."),
                   json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Set the workspaces that see a billing account's costs (its tenant's stay as they are)."""
    from skytally.accounts.schemas import BillingAccountUpdate

    _update_billing(billing, BillingAccountUpdate(workspace_ids=_workspace_ids(workspace)), json_out)


def subs_table(subs: list[SubscriptionOut]) -> None:
    print_table("Subscriptions", ["Subscription", "ID", "State", "Access level", "Role", "Last sync"],
                [[x.display_name, x.subscription_id, x.state, x.access_level.value, x.role_label, when(x.last_sync_at)] for x in subs])


@app.command("show")
def show(account: str = typer.Argument(..., help="Account ID, tenant ID or name."),
         json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Show one account: subscriptions, credentials, tokens, billing accounts."""
    from skytally.accounts import service

    with session() as s:
        out = service.find_account(s, None, account)
    print_json(out) if json_out else _show(out)


@app.command("remove")
def remove(account: str = typer.Argument(..., help="Account ID, tenant ID or name."),
           yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation.")) -> None:
    """Remove an account and its stored secrets from skytally."""
    from skytally.accounts import service

    account_id = find_account_id(account)
    if not yes:
        typer.confirm(f"Remove cloud account {account_id}?", abort=True)
    with session() as s:
        console.print(service.remove_account(s, accounts_env(), None, account_id))


@app.command("assign")
def assign(account: str = typer.Argument(..., help="Account ID, tenant ID or name."),
           workspace: list[str] = typer.Option(..., "--workspace", "-w", help="Workspace name or ID (repeatable)."),
           json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Set the workspaces an account belongs to."""
    from skytally.accounts import service

    account_id, ws_ids = find_account_id(account), _workspace_ids(workspace)
    with session() as s:
        out = service.assign_workspaces(s, None, account_id, ws_ids)
    print_json(out) if json_out else console.print(escape(f"{out.name}: {', '.join(w.name for w in out.workspaces)}"))


@app.command("add-subscriptions")
def add_subscriptions(account: str = typer.Argument(..., help="Account ID, tenant ID or name."),
                      json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Add Existing Subscriptions: prints the consent URL for another owner."""
    from skytally.accounts import service

    account_id = find_account_id(account)
    with session() as s:
        start = service.start_add_subscriptions(s, accounts_env(), None, account_id)
    print_consent(start, json_out)


# --- tokens ---------------------------------------------------------------------------
@tokens_app.command("add")
def tokens_add(account: str = typer.Argument(..., help="Account ID, tenant ID or name."),
               token: str = typer.Option("", "--token", envvar="SKYTALLY_EA_TOKEN", help="The key (or env SKYTALLY_EA_TOKEN)."),
               file: Path | None = typer.Option(None, "--file", exists=True, dir_okay=False, help="Read the key from a file."),
               json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Add an EA access token (rejected with the reason: incomplete, expired, revoked)."""
    from skytally.accounts import ea_tokens
    from skytally.errors import InvalidInput

    value = file.read_text() if file is not None else token
    if not value.strip():
        raise InvalidInput("give --token, --file or SKYTALLY_EA_TOKEN")
    account_id = find_account_id(account)
    with session() as s:
        out = ea_tokens.add(s, accounts_env(), None, account_id, value)
    _queue_first_imports(account_id)
    print_json(out) if json_out else console.print(f"Added token {out.id} for enrollment {out.enrollment_number}, expires {when(out.expires_at)}")


def _queue_first_imports(account_id: int) -> None:
    """The new connection's first inventory sync and cost imports, for the workers
    (`skytally worker`; `skytally costs sync` imports in the foreground)."""
    from skytally.costs import autostart  # heavy (pyarrow, polars): imported only when connecting

    rt = runtime()
    queued = autostart.on_connected(rt.db, rt.queue, account_id, "cli")
    if queued["costs_run"] or queued["inventory_run"]:
        err_console.print("[dim]Queued its first inventory sync"
                          + (" and cost imports" if queued["costs_run"] else "")
                          + " for the workers (`skytally jobs list`).[/dim]")


@tokens_app.command("list")
def tokens_list(account: str = typer.Argument(..., help="Account ID, tenant ID or name."),
                json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """List EA access tokens (masked)."""
    from skytally.accounts import ea_tokens

    account_id = find_account_id(account)
    with session() as s:
        rows = ea_tokens.listing(s, None, account_id)
    if json_out:
        print_json(rows)
        return
    print_table("EA access tokens", ["ID", "Enrollment", "Token", "Expires", "Status", "Reason", "In use"],
                [[t.id, t.enrollment_number, t.hint, when(t.expires_at), t.status, t.reason, "yes" if t.in_use else ""] for t in rows])


@tokens_app.command("delete")
def tokens_delete(account: str = typer.Argument(..., help="Account ID, tenant ID or name."),
                  token_id: int = typer.Argument(..., help="Token ID (see `tokens list`).")) -> None:
    """Delete an EA access token."""
    from skytally.accounts import ea_tokens

    account_id = find_account_id(account)
    with session() as s:
        ea_tokens.delete(s, accounts_env(), None, account_id, token_id)
    console.print(f"Deleted token {token_id}")
