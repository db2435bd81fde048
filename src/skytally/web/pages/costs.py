"""Costs: explore the caller's costs (stacked chart, table, untagged share and why), download
them, and see or start the imports of each billing account. Workspace scoped through
`skytally.costs.explore`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response, StreamingResponse

from skytally.costs import explore
from skytally.costs.csv_cells import csv_safe
from skytally.costs.dimensions import dimension_label, groupable_dimensions
from skytally.costs.schemas import CostQuery, money
from skytally.costs.service import CostStore, open_store
from skytally.costs.views import jsonable
from skytally.errors import InvalidInput, UserError
from skytally.web.deps import get_runtime
from skytally.web.templating import PageDep, templates

router = APIRouter(include_in_schema=False)

COMMON_DIMENSIONS = [(d, dimension_label(d)) for d in (
    "ServiceName", "ServiceCategory", "SubAccountName", "x_ResourceGroupName", "RegionName", "ResourceType",
    "ChargeCategory", "PricingCategory", "PublisherName", "BillingAccountName", "x_InvoiceSectionName",
    "ResourceName")]
SERIES_TOP = 8
TABLE_TOP = 25


def _money(value: Any) -> str:
    if value is None:
        return "—"
    return f"{Decimal(str(value)):,.2f}"


templates.env.filters["money"] = _money


def _store(request: Request) -> Iterator[CostStore]:
    yield open_store(get_runtime(request).settings.cost_store_dir)  # shared: not closed per request


Store = Annotated[CostStore, Depends(_store)]


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _default_range(store: CostStore, scope: list[str]) -> tuple[date, date]:
    periods = sorted({p["billing_period"] for p in store.periods(scope)}) if scope else []
    today = date.today()
    if periods and len(periods[-1]) == 7:
        y, m = int(periods[-1][:4]), int(periods[-1][5:])
        last = (date(y + m // 12, m % 12 + 1, 1) - timedelta(days=1))
        end = min(last, today) if date(y, m, 1) <= today else last
    else:
        end = today
    first = end.replace(day=1)
    start = (first - timedelta(days=1)).replace(day=1)
    return start, end


def _default_currency(store: CostStore, scope: list[str], found: list[str]) -> str:
    """Among several currencies, the one whose costs were imported first (then by name):
    a currency appearing later does not change what the page shows by default."""
    first: dict[str, str] = {}
    for period in store.periods(scope):
        for t in period["totals"]:
            cur = t.get("currency")
            if cur in found:
                first[cur] = min(first.get(cur, "~"), str(period.get("imported_at") or "~"))
    return min(found, key=lambda c: (first.get(c, "~"), c))


class Params:
    """The page's query string, normalised."""

    def __init__(self, start: date, end: date, group: str, metric: str, granularity: str, currency: str,
                 filters: list[str], billing_account: str, tag: str) -> None:
        self.start, self.end, self.group, self.metric = start, end, group, metric
        self.granularity, self.currency, self.filters = granularity, currency, filters
        self.billing_account, self.tag = billing_account, tag

    def query(self, **change: Any) -> str:
        values: dict[str, Any] = {"from": self.start.isoformat(), "to": self.end.isoformat(), "group": self.group,
                                  "metric": self.metric, "granularity": self.granularity,
                                  "currency": self.currency, "billing_account": self.billing_account,
                                  "tag": self.tag, "filter": self.filters}
        values.update(change)
        return urlencode({k: v for k, v in values.items() if v not in ("", None, [])}, doseq=True)


def _params(store: CostStore, scope: list[str], start: str, end: str, group: str, metric: str,
            granularity: str, currency: str, filters: list[str], billing_account: str, tag: str) -> Params:
    d_start, d_end = _default_range(store, scope)
    lo, hi = _date(start) or d_start, _date(end) or d_end
    if hi < lo:
        raise InvalidInput(f"the end date {hi} is before the start date {lo}")
    gran = granularity if granularity in ("day", "month") else ("day" if (hi - lo).days <= 92 else "month")
    return Params(lo, hi, group or "ServiceName", "billed" if metric == "billed" else "effective", gran,
                  currency, [f for f in filters if "=" in f], billing_account, tag)


def _query(scope: list[str], p: Params, **kw: Any) -> CostQuery:
    return explore.build_query(scope, start=p.start, end=p.end + timedelta(days=1), filters=p.filters,
                               currency=p.currency or None, **kw)


def _chart(store: CostStore, scope: list[str], p: Params, metric: str) -> dict[str, Any]:
    result = store.query(_query(scope, p, group_by=[p.group], granularity=p.granularity, top=SERIES_TOP,
                                order_by=metric))
    labels = sorted({str(r["date"]) for r in result.rows})
    series: dict[str, dict[str, float]] = {}
    for r in result.rows:
        name = "(none)" if r.get(p.group) is None else str(r[p.group])
        series.setdefault(name, {})[str(r["date"])] = float(r[metric])
    order = sorted(series, key=lambda k: (k == "Other", -sum(series[k].values())))
    return {"labels": labels, "currency": result.currency, "metric": metric,
            "datasets": [{"label": k, "data": [round(series[k].get(d, 0.0), 2) for d in labels]} for k in order]}


def _table(store: CostStore, scope: list[str], p: Params, metric: str) -> dict[str, Any]:
    result = store.query(_query(scope, p, group_by=[p.group], top=TABLE_TOP, order_by=metric))
    total = result.total.get(metric) or Decimal(0)
    rows = [{"group": r.get(p.group), "BilledCost": r["BilledCost"], "EffectiveCost": r["EffectiveCost"],
             "share": float(r[metric] / total) if total else 0.0} for r in result.rows]
    return {"rows": rows, "total": result.total, "currency": result.currency}


@router.get("/costs")
def costs_page(
    page: PageDep, store: Store,
    start: Annotated[str, Query(alias="from")] = "", end: Annotated[str, Query(alias="to")] = "",
    group: str = "", metric: str = "", granularity: str = "", currency: str = "",
    filters: Annotated[list[str], Query(alias="filter")] = [],  # noqa: B006
    billing_account: str = "", tag: str = "", filter_dim: str = "", filter_value: str = "",
) -> Response:
    if filter_dim and filter_value.strip():
        filters = [*filters, f"{filter_dim}={filter_value.strip()}"]
    scopes = explore.scopes(page.session, store, page.actor)
    scope = explore.allowed(page.session, store, page.actor, [billing_account] if billing_account else None)
    p = _params(store, scope, start, end, group, metric, granularity, currency, filters, billing_account, tag)
    metric_col = "BilledCost" if p.metric == "billed" else "EffectiveCost"
    base = _query(scope, p)
    found = explore.currencies(store, CostQuery(billing_accounts=scope, start=base.start, end=base.end)) if scope else []
    currency_note = ""
    if not p.currency and len(found) > 1:
        # the currency imported first stays the default when another one appears; the page says so
        p.currency = _default_currency(store, scope, found)
        currency_note = (f"Your costs are in {len(found)} currencies ({', '.join(found)}); amounts in different "
                         f"currencies are never added. Showing {p.currency}: choose another under Currency.")
    imports = explore.import_status(page.session, page.actor)
    context: dict[str, Any] = {"p": p, "scopes": scopes, "currencies": found, "metric_col": metric_col,
                               "common": COMMON_DIMENSIONS, "currency_note": currency_note,
                               "dimensions": [d for d in groupable_dimensions()
                                              if d["name"] not in {c for c, _ in COMMON_DIMENSIONS}],
                               "group_label": dimension_label(p.group),
                               "imports": imports, "editable": explore.importable(page.session, page.actor, [i.account_id for i in imports]),
                               "chart": None, "table": None,
                               "untagged": None, "tag_keys": [], "sources": []}
    if scope:
        try:
            context["tag_keys"] = explore.tag_keys(store, base)
            context["chart"] = jsonable(_chart(store, scope, p, metric_col))
            context["table"] = _table(store, scope, p, metric_col)
            tag_key = p.tag or (p.group[4:] if p.group.lower().startswith("tag:") else "")
            un = explore.untagged(page.session, store, page.actor, _query(scope, p), tag_key or None)
            context["untagged"] = un[0] if un else None
            lo, hi = p.start.strftime("%Y-%m"), p.end.strftime("%Y-%m")
            context["sources"] = [c for c in explore.sources(page.session, store, page.actor, scope) if lo <= c["billing_period"] <= hi
                                  or len(c["billing_period"]) != 7]
        except UserError as exc:
            context["error"] = exc.message
    return page.render("costs/explorer.html", **context)


@router.get("/costs/download.csv")
def download_csv(
    page: PageDep, store: Store,
    start: Annotated[str, Query(alias="from")] = "", end: Annotated[str, Query(alias="to")] = "",
    group: str = "", metric: str = "", granularity: str = "", currency: str = "",
    filters: Annotated[list[str], Query(alias="filter")] = [],  # noqa: B006
    billing_account: str = "",
) -> Response:
    """The explorer's table as CSV: one row per group (and day or month)."""
    scope = explore.allowed(page.session, store, page.actor, [billing_account] if billing_account else None)
    p = _params(store, scope, start, end, group, metric, granularity, currency, filters, billing_account, "")
    q = explore.query_for(page.session, store, page.actor, billing_accounts=scope, start=p.start,
                          end=p.end + timedelta(days=1), group_by=[p.group], granularity=p.granularity,
                          filters=p.filters, currency=p.currency or None)
    result = store.query(q) if scope else None
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([csv_safe(p.group), "date", "BilledCost", "EffectiveCost", "BillingCurrency"])
    for r in result.rows if result else []:
        writer.writerow([csv_safe(r.get(p.group) or ""), r.get("date"), format(money(r["BilledCost"]), "f"),
                         format(money(r["EffectiveCost"]), "f"), result.currency if result else ""])
    name = f"costs-{p.group.replace(':', '-')}-{p.start}-{p.end}.csv"
    return StreamingResponse(iter([buf.getvalue()]), media_type="text/csv",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/costs/import")
def import_now(page: PageDep, account_id: Annotated[int, Form()], back: Annotated[str, Form()] = "") -> Response:
    runtime = page.runtime
    run = explore.trigger_import(page.session, runtime.db, runtime.queue, page.actor, account_id)
    target = "/costs" + (f"?{back}" if back and not back.startswith(("/", "http")) else "")
    return page.redirect(target, f"Cost import queued (job #{run.id}); the table below updates when it finishes.")
