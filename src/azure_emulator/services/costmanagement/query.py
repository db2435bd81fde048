"""Cost Management ``query`` over the world's charges: timeframes, granularity, aggregation,
grouping by dimension or tag, filters, and pages of rows (QueryDefinition / QueryResult,
Microsoft.CostManagement 2023-11-01+).

Figures are summed in integers (1e-8 of the currency) and formatted once, so a query's total
equals the charges' total exactly (up to float formatting of each cell).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from azure_emulator.core.errors import ApiError, arm_error
from azure_emulator.world.costs import formats
from azure_emulator.world.costs.generate import iter_charges, month_start, replicas_for
from azure_emulator.world.costs.model import MONEY, QTY, CostAccount, CostSettings, Unit

TIMEFRAMES = ("MonthToDate", "BillingMonthToDate", "TheLastMonth", "TheLastBillingMonth", "WeekToDate", "Custom")
GRANULARITIES = ("Daily", "Monthly", "None")
TYPES = {"actualcost": "ActualCost", "usage": "ActualCost", "amortizedcost": "AmortizedCost"}
MAX_GROUPINGS = 2
PAGE_ROWS = 5000
MAX_DAYS = 366  # one query covers at most a year

# Dimension name (case-insensitive) → how a charge unit answers it.
DIMENSIONS: dict[str, Callable[[Unit], str]] = {
    "ResourceGroup": lambda u: u.resource_group.lower(),
    "ResourceGroupName": lambda u: u.resource_group.lower(),
    "ResourceId": lambda u: u.resource_id.lower(),
    "ResourceLocation": lambda u: u.location.replace(" ", "").lower(),
    "ResourceType": lambda u: _resource_type(u.resource_id),
    "ServiceName": lambda u: u.meter.category,
    "MeterCategory": lambda u: u.meter.category,
    "MeterSubCategory": lambda u: u.meter.subcategory,
    "Meter": lambda u: u.meter.name,
    "MeterId": lambda u: u.meter.meter_id,
    "ServiceFamily": lambda u: u.meter.family,
    "ConsumedService": lambda u: u.consumed_service,
    "SubscriptionId": lambda u: u.subscription_id,
    "SubscriptionName": lambda u: u.subscription_name,
    "ChargeType": lambda u: formats.charge_type(u.kind),
    "PublisherType": lambda u: "Marketplace" if u.publisher[0] else "Azure",
    "InvoiceSectionId": lambda u: u.section.id,
    "InvoiceSectionName": lambda u: u.section.name,
    "DepartmentName": lambda u: u.section.name,
    "CostCenter": lambda u: u.cost_center,
    "ReservationId": lambda u: u.reservation.reservation_id if u.reservation else "",
    "PricingModel": lambda u: "Reservation" if u.reservation is not None else "OnDemand",
}
_BY_LOWER = {k.lower(): k for k in DIMENSIONS}
# Aggregated columns: name → (in billing currency?, what is summed)
AGGREGATES = {"cost": "bill", "pretaxcost": "bill", "costusd": "usd", "pretaxcostusd": "usd", "usagequantity": "qty"}


def _resource_type(resource_id: str) -> str:
    parts = resource_id.split("/")
    try:
        i = [p.lower() for p in parts].index("providers")
    except ValueError:
        return ""
    return f"{parts[i + 1]}/{parts[i + 2]}".lower() if len(parts) > i + 2 else ""


def bad(message: str) -> ApiError:
    return arm_error(400, "BadRequest", message)


def dimension(name: str) -> str:
    found = _BY_LOWER.get(name.lower())
    if found is None:
        raise bad(f"Invalid dimension '{name}'. Valid dimensions: {', '.join(sorted(DIMENSIONS))}.")
    return found


@dataclass(frozen=True)
class Grouping:
    kind: str  # "Dimension" | "TagKey"
    name: str

    @property
    def column(self) -> str:
        return self.name

    def value(self, unit: Unit) -> str:
        if self.kind == "TagKey":
            tags = unit.tags or {}
            return next((v for k, v in tags.items() if k.lower() == self.name.lower()), "")
        return DIMENSIONS[self.name](unit)


@dataclass(frozen=True)
class Query:
    metric: str  # ActualCost | AmortizedCost
    start: date
    end: date
    granularity: str  # Daily | Monthly | None
    aggregates: list[tuple[str, str]]  # (column name, bill | usd | qty)
    groupings: list[Grouping]
    keep: Callable[[Unit], bool]


def _period(body: dict[str, Any], now: datetime, settings: CostSettings) -> tuple[date, date]:
    timeframe = str(body.get("timeframe") or "")
    match = next((t for t in TIMEFRAMES if t.lower() == timeframe.lower()), None)
    if match is None:
        raise bad(f"Invalid timeframe '{timeframe}'. Valid values: {', '.join(TIMEFRAMES)}.")
    today = now.date()
    if match in ("MonthToDate", "BillingMonthToDate"):
        return month_start(today), today
    if match in ("TheLastMonth", "TheLastBillingMonth"):
        last = month_start(today) - timedelta(days=1)
        return month_start(last), last
    if match == "WeekToDate":
        return today - timedelta(days=today.weekday()), today
    period = body.get("timePeriod") or {}
    try:
        start = datetime.fromisoformat(str(period["from"]).replace("Z", "+00:00")).date()
        end = datetime.fromisoformat(str(period["to"]).replace("Z", "+00:00")).date()
    except (KeyError, ValueError):
        raise bad("timePeriod with 'from' and 'to' dates is required when timeframe is Custom.") from None
    if end < start:
        raise bad("The timePeriod 'to' date must not be before its 'from' date.")
    if (end - start).days >= MAX_DAYS:
        raise bad(f"The time period must not exceed {MAX_DAYS} days.")
    return start, end


def _condition(node: Any) -> Callable[[Unit], bool]:
    """A QueryFilter node: and / or / not, dimensions or tags comparisons (In, Equal, Contains)."""
    if not isinstance(node, dict):
        raise bad("Invalid filter: each filter expression must be an object.")
    for key in ("and", "or"):
        if key in node:
            parts = node[key]
            if not isinstance(parts, list) or len(parts) < 2:
                raise bad(f"Invalid filter: '{key}' needs at least two expressions.")
            preds = [_condition(p) for p in parts]
            combine = all if key == "and" else any
            return lambda u, preds=preds, combine=combine: combine(p(u) for p in preds)  # type: ignore[misc]
    if "not" in node:
        inner = _condition(node["not"])
        return lambda u: not inner(u)
    for key in ("dimensions", "tags", "dimension", "tag"):
        if key in node:
            comparison = node[key]
            name = str(comparison.get("name", ""))
            operator = str(comparison.get("operator", "In")).lower()
            values = [str(v).lower() for v in comparison.get("values") or []]
            if not values:
                raise bad(f"Invalid filter: '{name}' needs at least one value.")
            grouping = Grouping("TagKey", name) if key.startswith("tag") else Grouping("Dimension", dimension(name))
            if operator in ("in", "equal"):
                wanted = set(values)
                return lambda u: grouping.value(u).lower() in wanted
            if operator == "contains":
                return lambda u: any(v in grouping.value(u).lower() for v in values)
            raise bad(f"Invalid filter operator '{comparison.get('operator')}'. Valid: In, Equal, Contains.")
    raise bad("Invalid filter: expected one of and, or, not, dimensions, tags.")


def parse(body: dict[str, Any], now: datetime, settings: CostSettings) -> Query:
    metric = TYPES.get(str(body.get("type") or "").lower())
    if metric is None:
        raise bad(f"Invalid query type '{body.get('type')}'. Valid values: ActualCost, AmortizedCost, Usage.")
    start, end = _period(body, now, settings)
    dataset = body.get("dataset") or {}
    granularity = str(dataset.get("granularity") or "None")
    granularity = next((g for g in GRANULARITIES if g.lower() == granularity.lower()), "")
    if not granularity:
        raise bad(f"Invalid granularity '{dataset.get('granularity')}'. Valid values: Daily, Monthly, None.")
    aggregates: list[tuple[str, str]] = []
    for alias, agg in (dataset.get("aggregation") or {}).items():
        name = str((agg or {}).get("name", ""))
        if str((agg or {}).get("function", "Sum")).lower() != "sum":
            raise bad(f"Invalid aggregation function for '{alias}': only Sum is supported.")
        what = AGGREGATES.get(name.lower())
        if what is None:
            raise bad(f"Invalid aggregation column '{name}'. Valid values: Cost, PreTaxCost, CostUSD, PreTaxCostUSD, UsageQuantity.")
        aggregates.append((name, what))
    if not aggregates:
        aggregates = [("Cost", "bill")]
    groupings = []
    for g in dataset.get("grouping") or []:
        kind = str(g.get("type", "Dimension"))
        if kind.lower() == "tagkey":
            groupings.append(Grouping("TagKey", str(g.get("name", ""))))
        elif kind.lower() == "dimension":
            groupings.append(Grouping("Dimension", dimension(str(g.get("name", "")))))
        else:
            raise bad(f"Invalid grouping type '{kind}'. Valid values: Dimension, TagKey.")
    if len(groupings) > MAX_GROUPINGS:
        raise bad(f"At most {MAX_GROUPINGS} groupings are allowed.")
    flt = dataset.get("filter")
    keep = _condition(flt) if flt else (lambda u: True)
    return Query(metric, start, end, granularity, aggregates, groupings, keep)


def _date_key(granularity: str, day: date) -> Any:
    if granularity == "Daily":
        return int(day.strftime("%Y%m%d"))
    if granularity == "Monthly":
        return month_start(day).strftime("%Y-%m-%dT00:00:00")
    return None


def run(query: Query, account: CostAccount, units: list[Unit], now: datetime, settings: CostSettings,
        in_scope: Callable[[Unit], bool]) -> tuple[list[dict[str, str]], list[list[Any]]]:
    """(columns, all rows) for ``query`` over the charges of ``units`` that pass ``in_scope``."""
    wanted: dict[int, bool] = {}
    sums: dict[tuple[Any, ...], list[int]] = {}
    for unit, day, qty, usd, bill, _price, _rep in iter_charges(
            account, units, query.start, query.end, query.metric, now, settings, replicas_for(units, settings)):
        key_unit = id(unit)
        keep = wanted.get(key_unit)
        if keep is None:
            keep = in_scope(unit) and query.keep(unit)
            wanted[key_unit] = keep
        if not keep:
            continue
        key = (_date_key(query.granularity, day), *(g.value(unit) for g in query.groupings))
        acc = sums.get(key)
        if acc is None:
            acc = sums[key] = [0, 0, 0]
        acc[0] += bill
        acc[1] += usd
        acc[2] += qty
    columns = [{"name": name, "type": "Number"} for name, _ in query.aggregates]
    if query.granularity == "Daily":
        columns.append({"name": "UsageDate", "type": "Number"})
    elif query.granularity == "Monthly":
        columns.append({"name": "BillingMonth", "type": "Datetime"})
    columns += [{"name": g.column, "type": "String"} for g in query.groupings]
    columns.append({"name": "Currency", "type": "String"})
    index = {"bill": 0, "usd": 1, "qty": 2}
    currency = "USD" if all(what == "usd" for _, what in query.aggregates) else account.currency
    rows: list[list[Any]] = []
    for key in sorted(sums, key=lambda k: tuple("" if v is None else str(v) for v in k)):
        acc = sums[key]
        row: list[Any] = [acc[index[what]] / (QTY if what == "qty" else MONEY) for _, what in query.aggregates]
        if query.granularity != "None":
            row.append(key[0])
        row.extend(key[1:])
        row.append(currency)
        rows.append(row)
    return columns, rows
