"""`skytally subscriptions …`: Azure subscriptions and their access levels.

The access level is a parameter type of `subscriptions access`, so this group imports the
accounts models when it loads (only when `skytally subscriptions …` runs).
"""

from __future__ import annotations

import typer

from skytally.accounts.schemas import AccessLevel
from skytally.cli.accounts import accounts_env, find_account_id, print_consent, subs_table
from skytally.cli.common import JSON_HELP, console, print_json, session

app = typer.Typer(help="Azure subscriptions and their access levels.", no_args_is_help=True)


@app.command("list")
def subs_list(account: str = typer.Option("", "--account", help="Only this account."),
              json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """List subscriptions with access level and role status."""
    from skytally.accounts import service

    account_id = find_account_id(account) if account else None
    with session() as s:
        subs = service.list_subscriptions(s, None, account_id)
    print_json(subs) if json_out else subs_table(subs)


@app.command("access")
def subs_access(subscription: str = typer.Argument(..., help="Subscription ID."),
                level: AccessLevel = typer.Argument(..., help="resources | tags | tags-writeback"),
                json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Change a subscription's access level (prints a consent URL when the role changes)."""
    from skytally.accounts import service
    from skytally.accounts.schemas import ConsentStart

    with session() as s:
        sub = service.find_subscription(s, None, subscription)
        result = service.change_access(s, accounts_env(), None, sub.account_id, sub.subscription_id, level)
    if isinstance(result, ConsentStart):
        print_consent(result, json_out)
    elif json_out:
        print_json(result)
    else:
        console.print(f"{result.display_name}: access level {result.access_level.value}")
