"""Microsoft.Consumption state and rules: what a usage details ``$filter`` admits. Budgets
live in the world (``World.budgets``) and their rules in Cost Management's
``budget_rules`` (alerts read them too); the charges come from Cost Management's backend."""

from __future__ import annotations

import re
from datetime import date, timedelta

from azure_emulator.core.errors import arm_error

_COND = re.compile(r"^\s*properties/(usageStart|usageEnd|chargeType)\s+(ge|gt|le|lt|eq)\s+'([^']*)'\s*$", re.I)


def parse_filter(text: str) -> tuple[date | None, date | None, str | None]:
    """The first and last day a ``$filter`` admits, and its charge type.

    A usage detail is one day's charge, so its usageStart and its usageEnd are that day:
    every date condition, on either property and with any operator, bounds the same day.
    """
    start: date | None = None
    end: date | None = None
    charge = None
    for cond in re.split(r"\s+and\s+", text.strip(), flags=re.I) if text.strip() else []:
        m = _COND.match(cond)
        if m is None:
            raise arm_error(400, "BadRequest", f"Invalid $filter '{text}'. Supported: properties/usageStart and "
                            "properties/usageEnd with ge, gt, le, lt or eq, properties/chargeType eq, combined with 'and'.")
        field, op, value = m.group(1).lower(), m.group(2).lower(), m.group(3)
        if field == "chargetype":
            if op != "eq":
                raise arm_error(400, "BadRequest", f"Invalid $filter '{text}': properties/chargeType supports only eq.")
            charge = value
            continue
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            raise arm_error(400, "BadRequest", f"Invalid date '{value}' in $filter.") from None
        low = {"ge": day, "gt": day + timedelta(days=1), "eq": day}.get(op)
        high = {"le": day, "lt": day - timedelta(days=1), "eq": day}.get(op)
        if low is not None:
            start = low if start is None else max(start, low)
        if high is not None:
            end = high if end is None else min(end, high)
    return start, end, charge
