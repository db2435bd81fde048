"""`skytally licences …`: import an Office 365 tenant's licences, list products and users,
see waste by rule (with the users behind it) and the full report. The CLI runs as the
installation: it sees every account."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer
from pydantic import TypeAdapter
from rich.markup import escape

from skytally.accounts import office365
from skytally.accounts.context import AccountsEnv
from skytally.accounts.credentials import CredentialIn
from skytally.cli.common import JSON_HELP, console, print_json, print_table, runtime, session, when
from skytally.licences import importer, service
from skytally.licences.schemas import PriceIn

app = typer.Typer(help="Microsoft 365 licences: products, users, waste, costs.", no_args_is_help=True)

ACCOUNT = typer.Argument(None, help="Office 365 account (id, name or tenant id); default: the only one.")
INACTIVE = typer.Option(90, "--inactive-days", min=1, max=365, help="Days without activity that count as inactive.")


def _account_id(ref: str | None) -> int:
    with session() as s:
        return service.find_account(s, None, ref).id


@app.command("sync")
def sync(account: str | None = ACCOUNT, json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Read the tenant through Microsoft Graph now (products, users, sign-ins, groups, usage reports)."""
    rt = runtime()
    aid = _account_id(account)
    env = AccountsEnv(rt.settings, rt.vault)
    out = importer.sync_account(rt.db, env, aid, lambda step: None if json_out else console.print(f"read {step}"))
    if json_out:
        print_json(out)
    else:
        print_table(f"Import {out.status}", ["endpoint", "ok", "rows", "message"],
                    [[k, "yes" if v["ok"] else "NO", v["rows"], v["message"]] for k, v in out.endpoints.items()])
        if out.message:
            console.print(out.message)
    if out.status == "failed":
        raise typer.Exit(1)


@app.command("skus")
def skus(account: str | None = ACCOUNT, json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
         inactive_days: int = INACTIVE) -> None:
    """Products bought: purchased, assigned, active in 30/90 days, price."""
    with session() as s:
        rep = service.report(s, None, _account_id(account), inactive_days=inactive_days)
    if json_out:
        print_json(rep.skus)
        return
    print_table(f"{rep.account_name}: products", ["product", "sku id", "purchased", "assigned", "active 30 d", "active 90 d", "basis",
                                                  "price / month"],
                [[k.name, k.sku_id, k.purchased, k.assigned, "?" if k.active_30 is None else k.active_30,
                  "?" if k.active_90 is None else k.active_90, k.activity_basis,
                  f"{k.price.monthly:.2f} {k.price.currency}" if k.price else "not entered"] for k in rep.skus])


@app.command("users")
def users(account: str | None = ACCOUNT, json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
          all_users: bool = typer.Option(False, "--all", help="Also users without licences.")) -> None:
    """Users with their licences and last activity."""
    with session() as s:
        rows = service.users(s, None, _account_id(account), licensed_only=not all_users)
    if json_out:
        print_json(rows)
        return
    print_table("Users", ["user", "department", "enabled", "licences", "last sign-in", "last activity", "mailbox"],
                [[u.upn, u.department, "yes" if u.account_enabled else "no", len(u.skus), when(u.last_sign_in),
                  u.last_activity or "", u.mailbox_type] for u in rows])


@app.command("waste")
def waste(account: str | None = ACCOUNT, json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
          rule: str | None = typer.Option(None, "--rule", help="Only this rule (disabled, inactive, unassigned, duplicate, "
                                                               "overlap, mailbox)."),
          csv_out: Path | None = typer.Option(None, "--csv", help="Write the users behind the rules to this CSV file."),
          inactive_days: int = INACTIVE) -> None:
    """Waste by rule, each explained, with the monthly estimate from your prices."""
    with session() as s:
        rep = service.report(s, None, _account_id(account), inactive_days=inactive_days)
    text = service.findings_csv(rep, rule)
    if csv_out is not None:
        csv_out.write_text(text)
    rules = [r for r in rep.rules if rule is None or r.id == rule]
    if json_out:
        print_json({"rules": rules, "findings": [f for f in rep.findings if rule is None or f.rule == rule],
                    "monthly_waste": rep.monthly_waste, "knowledge": rep.knowledge})
        return
    print_table("Waste", ["rule", "status", "findings", "units", "monthly", "explanation"],
                [[r.title, r.status if r.status == "evaluated" else f"unknown: {r.unknown_reason}", r.findings, r.units,
                  ", ".join(f"{v:.2f} {c}" for c, v in r.monthly_waste.items()) or "-", r.explanation] for r in rules])
    for note in rep.knowledge:
        console.print(f"- {note}")


@app.command("report")
def report(account: str | None = ACCOUNT, json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
           inactive_days: int = INACTIVE,
           active_days: int = typer.Option(60, "--active-days", min=1, max=365, help="A further activity window.")) -> None:
    """Everything: utilisation, waste, costs by department/group/SKU, and what cannot be known."""
    with session() as s:
        rep = service.report(s, None, _account_id(account), inactive_days=inactive_days, active_days=active_days)
    if json_out:
        print_json(rep)
        return
    console.print(f"[bold]{escape(rep.account_name)}[/bold] — monthly waste: "
                  + (", ".join(f"{v:.2f} {c}" for c, v in rep.monthly_waste.items()) or "no prices entered"))
    for note in rep.knowledge:
        console.print(f"- {note}")
    print_table("Cost by department (per month)", ["department", "licences", "monthly"],
                [[c.key, c.licences, f"{c.monthly:.2f} {c.currency}"] for c in rep.cost_by_department])
    console.print(f"Names: {rep.catalogue}")


@app.command("price")
def price(sku_id: str = typer.Argument(..., help="The SKU id (see `licences skus`)."),
          amount: Decimal = typer.Argument(..., help="What you pay per user for the term."),
          currency: str = typer.Option(..., "--currency", help="ISO code, e.g. EUR."),
          term: str = typer.Option("monthly", "--term", help="monthly or annual."),
          account: str | None = typer.Option(None, "--account", help="Office 365 account.")) -> None:
    """Enter what you pay for a SKU (skytally ships no list prices)."""
    data = PriceIn.model_validate({"sku_id": sku_id, "amount": amount, "currency": currency, "term": term})
    with session() as s:
        out = service.set_price(s, None, _account_id(account), data)
    console.print(f"{out.sku_id}: {out.amount} {out.currency} {out.term} = {out.monthly:.4f} {out.currency} per user per month")


@app.command("connect-sp")
def connect_sp(tenant: str = typer.Argument(..., help="Tenant ID or domain."),
               client_id: str = typer.Option(..., "--client-id"), secret: str = typer.Option(..., "--secret", prompt=True,
                                                                                        hide_input=True),
               name: str = typer.Option("", "--name"), workspace: list[int] = typer.Option([], "--workspace-id")) -> None:
    """Connect an Office 365 tenant with your own app registration (no multi-tenant consent);
    it must hold the Graph application permissions User.Read.All, Group.Read.All,
    LicenseAssignment.Read.All and Reports.Read.All (AuditLog.Read.All adds sign-in activity)."""
    rt = runtime()
    data = TypeAdapter(CredentialIn).validate_python({"kind": "client_secret", "tenant_id": tenant, "client_id": client_id,
                                                      "client_secret": secret})
    with session() as s:
        account = office365.connect_service_principal(s, AccountsEnv(rt.settings, rt.vault), None, name, data, workspace)
        aid, label = account.id, account.name
    console.print(f"Connected Office 365 tenant {label} (account {aid}); run `skytally licences sync {aid}`.")
