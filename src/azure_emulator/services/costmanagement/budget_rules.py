"""Budgets as Cost Management evaluates them: validation of a Microsoft.Consumption budget
body, its current period, its spend (from the charges) and the alerts its notifications raise.

The routes are in ``services/consumption/budgets.py`` (Microsoft.Consumption/budgets) and
``services/costmanagement/exports.py`` (Microsoft.CostManagement/alerts).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from starlette.requests import Request

from azure_emulator.core.context import now
from azure_emulator.core.errors import arm_error
from azure_emulator.services.costmanagement import backend, query
from azure_emulator.services.costmanagement.scopes import CostScope, covers
from azure_emulator.world.billing import Budget
from azure_emulator.world.model import World

TIME_GRAINS = ("Monthly", "Quarterly", "Annually", "BillingMonth", "BillingQuarter", "BillingAnnual")
OPERATORS = ("EqualTo", "GreaterThan", "GreaterThanOrEqualTo")
MAX_NOTIFICATIONS = 5


def _bad(message: str) -> Exception:
    return arm_error(400, "BadRequest", message)


def _day(value: Any, what: str) -> date:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError:
        raise _bad(f"Invalid {what} '{value}': expected an ISO 8601 date.") from None


def from_body(scope_path: str, name: str, body: dict[str, Any], existing: Budget | None) -> Budget:
    props = body.get("properties")
    if not isinstance(props, dict):
        raise _bad("The budget must have 'properties'.")
    if existing is not None and body.get("eTag") not in (None, existing.etag):
        raise arm_error(412, "PreconditionFailed", "The eTag in the request does not match the budget's current eTag.")
    category = str(props.get("category", "Cost"))
    if category != "Cost":
        raise _bad(f"Invalid category '{category}'. Valid values: Cost.")
    try:
        amount = float(props["amount"])
    except (KeyError, TypeError, ValueError):
        raise _bad("The budget amount is required and must be a number.") from None
    if amount <= 0:
        raise _bad("The budget amount must be greater than zero.")
    grain = next((g for g in TIME_GRAINS if g.lower() == str(props.get("timeGrain", "")).lower()), None)
    if grain is None:
        raise _bad(f"Invalid timeGrain '{props.get('timeGrain')}'. Valid values: {', '.join(TIME_GRAINS)}.")
    period = props.get("timePeriod") or {}
    if "startDate" not in period:
        raise _bad("timePeriod.startDate is required.")
    start = _day(period["startDate"], "startDate")
    if start.day != 1:
        raise _bad("The start date must be the first day of a month.")
    end = _day(period["endDate"], "endDate") if period.get("endDate") else None
    if end is not None and end <= start:
        raise _bad("The end date must be after the start date.")
    notifications = props.get("notifications") or {}
    if not isinstance(notifications, dict) or len(notifications) > MAX_NOTIFICATIONS:
        raise _bad(f"A budget has at most {MAX_NOTIFICATIONS} notifications.")
    for key, n in notifications.items():
        if not isinstance(n, dict) or str(n.get("operator")) not in OPERATORS:
            raise _bad(f"Notification '{key}': operator must be one of {', '.join(OPERATORS)}.")
        try:
            threshold = float(n["threshold"])
        except (KeyError, TypeError, ValueError):
            raise _bad(f"Notification '{key}': threshold is required.") from None
        if not 0 < threshold <= 1000:
            raise _bad(f"Notification '{key}': threshold must be between 0 and 1000.")
        if not (n.get("contactEmails") or n.get("contactGroups") or n.get("contactRoles")):
            raise _bad(f"Notification '{key}': contactEmails, contactGroups or contactRoles is required.")
    flt = props.get("filter")
    etag = hashlib.sha1(f"{scope_path}|{name}|{uuid.uuid4()}".encode()).hexdigest()[:16]
    return Budget(scope=scope_path, name=name, amount=amount, time_grain=grain, start_date=start.isoformat(),
                  end_date=end.isoformat() if end else None, category=category,
                  notifications={str(k): dict(v) for k, v in notifications.items()},
                  filter=dict(flt) if isinstance(flt, dict) else None, etag=f'"{etag}"')


def current_period(budget: Budget, today: date) -> tuple[date, date]:
    """The budget's time-grain period containing ``today`` (first day, last day)."""
    months = {"monthly": 1, "billingmonth": 1, "quarterly": 3, "billingquarter": 3}.get(budget.time_grain.lower(), 12)
    if months == 12:
        first = date(today.year, 1, 1)
    else:
        first = date(today.year, (today.month - 1) // months * months + 1, 1)
    month = first.month - 1 + months
    last = date(first.year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return first, last


def current_spend(world: World, st: backend.CostState, scope: CostScope, budget: Budget, request: Request) -> float:
    today = world.clock.now().date()
    first, last = current_period(budget, today)
    if date.fromisoformat(budget.start_date) > today:
        return 0.0
    return spend(world, st, scope, first, min(last, today), request, budget.filter)


def budget_json(budget: Budget, spent: float, currency: str) -> dict[str, Any]:
    period: dict[str, Any] = {"startDate": f"{budget.start_date}T00:00:00Z"}
    if budget.end_date:
        period["endDate"] = f"{budget.end_date}T00:00:00Z"
    props: dict[str, Any] = {
        "category": budget.category,
        "amount": budget.amount,
        "timeGrain": budget.time_grain,
        "timePeriod": period,
        "currentSpend": {"amount": round(spent, 2), "unit": currency},
        "notifications": budget.notifications,
    }
    if budget.filter is not None:
        props["filter"] = budget.filter
    return {"id": budget.id, "name": budget.name, "type": "Microsoft.Consumption/budgets", "eTag": budget.etag,
            "properties": props}


def triggered(budget: Budget, spent: float) -> list[tuple[str, dict[str, object]]]:
    """The enabled Actual notifications whose threshold (percent of the amount) the spend crossed."""
    percent = spent / budget.amount * 100 if budget.amount else 0.0
    out = []
    for key, n in budget.notifications.items():
        if not n.get("enabled", True) or str(n.get("thresholdType", "Actual")) != "Actual":
            continue
        threshold = float(str(n["threshold"]))
        op = str(n["operator"])
        hit = percent > threshold if op == "GreaterThan" else percent >= threshold if op == "GreaterThanOrEqualTo" else abs(percent - threshold) < 1e-9
        if hit:
            out.append((key, n))
    return out


def alert_json(scope_path: str, budget: Budget, key: str, notification: dict[str, object], spent: float,
               currency: str, today: date) -> dict[str, Any]:
    first, _ = current_period(budget, today)
    name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{budget.id}|{key}|{first}"))
    stamp = f"{first.isoformat()}T00:00:00Z"
    return {
        "id": f"{scope_path}/providers/Microsoft.CostManagement/alerts/{name}",
        "name": name,
        "type": "Microsoft.CostManagement/alerts",
        "properties": {
            "definition": {"type": "Budget", "category": "Cost", "criteria": "CostThresholdExceeded"},
            "description": "",
            "source": "Preset",
            "details": {
                "timeGrainType": budget.time_grain,
                "periodStartDate": stamp,
                "triggeredBy": f"{budget.name}_{key}",
                "amount": budget.amount,
                "unit": currency,
                "currentSpend": round(spent, 2),
                "contactEmails": list(notification.get("contactEmails") or []),  # type: ignore[call-overload]
                "contactGroups": list(notification.get("contactGroups") or []),  # type: ignore[call-overload]
                "contactRoles": list(notification.get("contactRoles") or []),  # type: ignore[call-overload]
                "threshold": float(str(notification["threshold"])) / 100,
                "operator": notification["operator"],
            },
            "costEntityId": budget.name,
            "status": "Active",
            "creationTime": stamp,
            "closeTime": None,
            "modificationTime": stamp,
            "statusModificationUserName": None,
            "statusModificationTime": None,
        },
    }


def spend(world: World, st: backend.CostState, scope: CostScope, start: date, end: date, request: Request,
          flt: dict[str, Any] | None = None) -> float:
    """The actual cost in billing currency of ``scope`` from ``start`` to ``end`` (inclusive)."""
    body: dict[str, Any] = {"type": "ActualCost", "timeframe": "Custom",
                            "timePeriod": {"from": start.isoformat(), "to": end.isoformat()},
                            "dataset": {"granularity": "None", "aggregation": {"total": {"name": "Cost", "function": "Sum"}}}}
    if flt:
        body["dataset"]["filter"] = flt
    q = query.parse(body, now(request), st.settings)
    _, rows = query.run(q, scope.account, backend.units(world, st, scope.account), now(request), st.settings, covers(scope))
    return float(rows[0][0]) if rows else 0.0
