"""`skytally costs …`: import cost files, query, export (`sync`, from the billing APIs: costs_sync.py).

The CLI runs as the installation: it sees every billing account in the store.
"""

from __future__ import annotations

import calendar
import csv
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from skytally.cli.common import JSON_HELP, console, err_console, print_table, runtime, session
from skytally.costs import explore
from skytally.costs.csv_cells import csv_safe
from skytally.costs.schemas import CostQuery, QueryResult, money
from skytally.costs.service import CostStore
from skytally.costs.views import dumps
from skytally.errors import InvalidInput

app = typer.Typer(help="Costs: import files or from the billing APIs, query, export.", no_args_is_help=True)

FROM_HELP = "First day (YYYY-MM-DD, or YYYY-MM for the month's first day)."
TO_HELP = "Last day included (YYYY-MM-DD, or YYYY-MM for the month's last day)."


def _store() -> CostStore:
    return CostStore(runtime().settings.cost_store_dir)


def _day(value: str | None, *, last: bool = False) -> date | None:
    if not value:
        return None
    try:
        if len(value) == 7:
            y, m = int(value[:4]), int(value[5:])
            return date(y, m, calendar.monthrange(y, m)[1] if last else 1)
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date; use YYYY-MM-DD or YYYY-MM") from None


def _range(start: str | None, end: str | None) -> tuple[date | None, date | None]:
    last = _day(end, last=True)
    return _day(start), (last + timedelta(days=1) if last else None)


def _out(value: Any) -> None:
    sys.stdout.write(dumps(value, indent=2) + "\n")


@app.command("import")
def import_(
    files: list[Path] = typer.Argument(..., help="Cost files: CSV, .csv.gz or Parquet (EA, MCA, FOCUS)."),
    billing_account: str | None = typer.Option(None, "--billing-account", help="Store under this billing account id (required for files without one)."),
    currency: str | None = typer.Option(None, "--currency", help="Billing currency, for files that carry none."),
    dataset: str | None = typer.Option(None, "--dataset", help="actual or amortized, when the file name does not say."),
    quarantine: bool = typer.Option(False, "--quarantine", help="Import the good rows and set malformed ones aside (default: reject the file)."),
    workspace: str | None = typer.Option(None, "--workspace", "-w", help="Workspace (name or id) whose members may see these costs."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Import cost files you already have; each billing period they hold is replaced atomically."""
    if dataset not in (None, "actual", "amortized"):
        raise InvalidInput(f"--dataset {dataset}: use actual or amortized")
    store = _store()
    total = sum(f.stat().st_size for f in files if f.exists())
    try:
        with Progress(TextColumn("[bold]importing[/bold]"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                      TimeElapsedColumn(), console=err_console, transient=True,
                      disable=not err_console.is_terminal) as bar:
            task = bar.add_task("import", total=total or None)
            result = store.import_files(
                files, billing_account_id=billing_account, currency=currency, dataset=dataset,  # type: ignore[arg-type]
                on_bad_rows="quarantine" if quarantine else "reject",
                progress=lambda done, size: bar.update(task, completed=done, total=size))
    finally:
        store.close()
    assigned = []
    if workspace:
        with session() as s:
            for ba in sorted({p.billing_account for p in result.periods}):
                explore.assign_dataset(s, ba, workspace)
                assigned.append(ba)
    if json_out:
        _out({**result.model_dump(), "workspace": workspace, "billing_accounts": assigned})
        return
    data = result.model_dump()
    # amounts rounded to the cent here; --json gives them exactly
    console.print(f"Imported [bold]{data['rows']:,}[/bold] rows: BilledCost {_money(data['BilledCost'])} "
                  f"EffectiveCost {_money(data['EffectiveCost'])} {data['currency'] or ''}")
    print_table("Periods", ["Billing account", "Period", "Currency", "Rows", "BilledCost", "EffectiveCost"],
                [[p["billing_account"], p["billing_period"], p["currency"], f"{p['rows']:,}",
                  _money(p["BilledCost"]), _money(p["EffectiveCost"])] for p in data["periods"]])
    if data["rejected_rows"]:
        console.print(f"[yellow]{data['rejected_rows']:,} malformed rows set aside (BilledCost "
                      f"{_money(data['rejected_BilledCost'])}) in {data['quarantine']}[/yellow]")
    if assigned:
        console.print(f"Visible to workspace {workspace}: {', '.join(assigned)}")


@app.command("query")
def query(
    start: str | None = typer.Option(None, "--from", help=FROM_HELP),
    end: str | None = typer.Option(None, "--to", help=TO_HELP),
    group_by: str | None = typer.Option(None, "--group-by", help="DIM[,DIM…]: FOCUS columns (ServiceName, SubAccountName, …) or tag:<key>."),
    filters: list[str] = typer.Option([], "--filter", help="DIM=VALUE (repeatable; same DIM = any of the values)."),
    granularity: str | None = typer.Option(None, "--granularity", help="daily or monthly: a series per group."),
    top: int | None = typer.Option(None, "--top", min=1, help="Keep the top N groups, fold the rest into Other."),
    currency: str | None = typer.Option(None, "--currency", help="Billing currency (needed when several)."),
    billing_accounts: list[str] = typer.Option([], "--billing-account", help="Only these billing accounts."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
    csv_out: bool = typer.Option(False, "--csv", help="Print CSV."),
) -> None:
    """Total costs, grouped and filtered, BilledCost and EffectiveCost."""
    store = _store()
    try:
        lo, hi = _range(start, end)
        with session() as s:
            q = explore.query_for(s, store, None, billing_accounts=billing_accounts, start=lo, end=hi,
                                  group_by=(group_by or "").split(","), granularity=granularity, filters=filters,
                                  currency=currency, top=top)
        result = store.query(q)
    finally:
        store.close()
    _print_result(result, q, json_out=json_out, csv_out=csv_out)


def _print_result(result: QueryResult, q: CostQuery, *, json_out: bool, csv_out: bool) -> None:
    data = result.model_dump()
    columns = [*q.group_by, *(["date"] if q.granularity else []), "BilledCost", "EffectiveCost"]
    if json_out:
        _out(data)
    elif csv_out:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([csv_safe(c) for c in columns])
        for row in result.rows:
            writer.writerow([_cell(csv_safe(row.get(c))) for c in columns])
    else:
        print_table(f"Costs ({data['currency'] or 'no data'})", columns,
                    [[_shown(c, r.get(c)) for c in columns] for r in data["rows"]])
        console.print(f"Total: BilledCost {_money(data['total']['BilledCost'])}  "
                      f"EffectiveCost {_money(data['total']['EffectiveCost'])}")


MONEY_COLUMNS = frozenset({"BilledCost", "EffectiveCost"})


def _money(value: Any) -> str:
    """Amounts for people: two decimals and thousands separators (JSON/CSV stay exact)."""
    if isinstance(value, str):  # as stored in a period's manifest
        try:
            value = Decimal(value)
        except ArithmeticError:
            return value
    return f"{value:,.2f}" if isinstance(value, int | float | Decimal) else _cell(value)


def _shown(column: str, value: Any) -> str:
    if column in MONEY_COLUMNS:
        return _money(value)
    if value is None or value == "":
        return "(no value)" if column.startswith("tag:") else "(none)"
    return _cell(value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(money(value), "f")
    return str(value)


@app.command("export")
def export(
    fmt: str = typer.Option("focus-parquet", "--format", help="focus-parquet or focus-csv."),
    out: Path = typer.Option(..., "--out", help="File to write."),
    start: str | None = typer.Option(None, "--from", help=FROM_HELP),
    end: str | None = typer.Option(None, "--to", help=TO_HELP),
    currency: str | None = typer.Option(None, "--currency"),
    billing_accounts: list[str] = typer.Option([], "--billing-account", help="Only these billing accounts."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Write the cost rows as FOCUS 1.2 (Parquet or CSV)."""
    formats = {"focus-parquet": "parquet", "focus-csv": "csv"}
    if fmt not in formats:
        raise InvalidInput(f"--format {fmt}: use focus-parquet or focus-csv")
    store = _store()
    try:
        with session() as s:
            scope = explore.allowed(s, store, None, billing_accounts)
        lo, hi = _range(start, end)
        info = store.export(out, billing_accounts=scope, start=lo, end=hi, format=formats[fmt],  # type: ignore[arg-type]
                            currency=currency)
    finally:
        store.close()
    if json_out:
        _out(info)
    else:
        console.print(f"Wrote {info.get('rows')} rows to {out}")


def source_label(source: dict[str, Any]) -> str:
    """'EA enrollment (service principal) · Contoso EA', not '… (service principal) (Contoso EA)'."""
    return " · ".join(part for part in (source.get("kind_label"), source.get("name")) if part)


@app.command("periods")
def periods(json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Stored billing periods per billing account: their last import, the source they came
    from, and per subscription whether its costs count or another source covers them."""
    store = _store()
    try:
        with session() as s:
            scope = explore.allowed(s, store, None)
            data = explore.periods(s, store, None, scope) if scope else []
    finally:
        store.close()
    if json_out:
        _out(data)
        return
    counted = {"all": "counted", "part": "counted in part", "none": "not counted (covered)"}
    print_table("Stored periods", ["Billing account", "Period", "Source", "Counted", "Imported", "Totals"],
                [[p["billing_account"], p["billing_period"],
                  source_label(p["source"]),
                  counted[p["used"]], str(p["imported_at"])[:16].replace("T", " "),
                  "; ".join(f"{t.get('currency')}: {_money(t.get('BilledCost'))}" for t in p["totals"])]
                 for p in data])
    rows = []
    for p in data:
        for sub in p["subscriptions"]:
            totals = "; ".join(f"{t.get('currency')}: {_money(t.get('BilledCost'))}" for t in sub["totals"])
            who = sub["subscription"] or sub["coverage_key"].replace("billing:", "billing-level charges of ")
            if sub["name"]:
                who += f" ({sub['name']})"
            status = "counted" if sub["counted"] else (
                f"skipped: covered by {sub['covered_by']['kind_label']} {sub['covered_by']['billing_account']}")
            rows.append([p["billing_period"], who, p["billing_account"], status, totals])
    if rows:
        rows.sort(key=lambda r: (r[0], r[1], not r[3].startswith("counted")))
        print_table("Source per subscription", ["Period", "Subscription", "Stored under", "Status", "Billed"], rows)


@app.command("untagged")
def untagged(
    tag: str | None = typer.Option(None, "--tag", help="Tag key (default: rows without any tag)."),
    start: str | None = typer.Option(None, "--from", help=FROM_HELP),
    end: str | None = typer.Option(None, "--to", help=TO_HELP),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Untagged share of cost and why (untaggable type, purchase, marketplace, key missing…)."""
    store = _store()
    try:
        lo, hi = _range(start, end)
        with session() as s:
            scope = explore.allowed(s, store, None)
            results = explore.untagged(s, store, None, explore.build_query(scope, start=lo, end=hi), tag)
    finally:
        store.close()
    data = [r.model_dump() for r in results]
    if json_out:
        _out(data)
        return
    for r in data:
        console.print(f"[bold]{r['currency']}[/bold]: {r['share']:.1%} untagged "
                      f"(EffectiveCost {_money(r['untagged']['EffectiveCost'])} of "
                      f"{_money(r['total']['EffectiveCost'])})")
        print_table("Why untagged", ["Reason", "Rows", "BilledCost", "EffectiveCost"],
                    [[x["reason"], f"{x['rows']:,}", _money(x["BilledCost"]), _money(x["EffectiveCost"])]
                     for x in r["reasons"]])
