"""`skytally inventory …`: sync the live Azure resources, list them, see each
subscription's last sync. The CLI runs as the installation: it sees every account."""

from __future__ import annotations

import threading

import typer

from skytally.accounts import service as accounts
from skytally.cli.common import JSON_HELP, console, print_json, print_table, runtime, session, when
from skytally.cli.jobs import _watch as watch_run
from skytally.inventory import service
from skytally.inventory.jobs import SYNC
from skytally.jobs import service as jobs
from skytally.jobs.runner import run_job
from skytally.jobs.schemas import JobStatus

app = typer.Typer(help="Inventory: the live Azure resources of your tenants.", no_args_is_help=True)

ACCOUNT_HELP = "Cloud account (id, name or tenant id)."


def _account_id(ref: str | None) -> int | None:
    if not ref:
        return None
    with session() as s:
        return accounts.find_account(s, None, ref).id


class _InThread:
    """Runs the submitted job in a thread of this process (no worker needed)."""

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None

    def dispatch(self, run_id: int) -> None:
        self.thread = threading.Thread(target=run_job, args=(run_id, runtime().queue.env), daemon=True)
        self.thread.start()


@app.command("sync")
def sync(
    account: str | None = typer.Argument(None, help=ACCOUNT_HELP + " Default: every Azure account."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List every resource with Azure Resource Graph now and replace the stored inventory
    (a subscription that fails keeps its previous resources)."""
    rt = runtime()
    account_id = _account_id(account)
    dispatcher = _InThread()
    run = jobs.submit(rt.db, dispatcher, SYNC, target=account or "all accounts", queued_by="cli",
                      params={"account_id": account_id} if account_id else {})
    final = watch_run(run.id, quiet=json_out)
    if dispatcher.thread is not None:
        dispatcher.thread.join(timeout=5)
    if json_out:
        print_json(final)
    else:
        for acc in (final.result or {}).get("accounts", []):
            print_table(f"{acc['account_name']}: {acc['resources']:,} resources", ["Subscription", "Name", "Status", "Message"],
                        [[s["subscription_id"], s["name"], s["status"], s["message"]] for s in acc["subscriptions"]])
    if final.status in (JobStatus.FAILED, JobStatus.INTERRUPTED):
        raise typer.Exit(1)


@app.command("resources")
def resources(
    account: str | None = typer.Option(None, "--account", "-a", help=ACCOUNT_HELP),
    subscription: str | None = typer.Option(None, "--subscription", help="Only this subscription id."),
    limit: int = typer.Option(1000, "--limit", min=1, max=10_000),
    offset: int = typer.Option(0, "--offset", min=0),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """The live resources as the last sync listed them."""
    account_id = _account_id(account)
    with session() as s:
        rows = service.list_resources(s, None, account_id, subscription_id=subscription, limit=limit, offset=offset)
    if json_out:
        print_json(rows)
        return
    print_table("Resources", ["Name", "Type", "Resource group", "Location", "Subscription", "Last seen"],
                [[r.name, r.type, r.resource_group, r.location, r.subscription_id, when(r.last_seen)] for r in rows])
    if len(rows) == limit:
        console.print(f"[dim]first {limit} shown; use --offset {offset + limit} for more[/dim]")


@app.command("status")
def status(
    account: str | None = typer.Option(None, "--account", "-a", help=ACCOUNT_HELP),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Each subscription's last sync: status, resources, last success."""
    account_id = _account_id(account)
    with session() as s:
        rows = service.sync_states(s, None, account_id)
    if json_out:
        print_json(rows)
        return
    print_table("Inventory syncs", ["Account", "Subscription", "Status", "Resources", "Last success", "Message"],
                [[r.account_id, r.subscription_id, r.status, r.resources, when(r.last_success_at), r.message]
                 for r in rows])
