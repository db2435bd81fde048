"""Cost import jobs.

- `costs.import`: every cost scope (EA enrollment, MCA billing account, pay-as-you-go
  subscription) of every Azure tenant — or of one (`account_id`) — for the previous and
  the current billing period (late restatements), or the given `periods`. Daily; also the
  "Import costs now" of the Costs page, API and CLI. Per-period failures are collected
  (partial result); when every period failed the run fails with their reasons.
- `costs.import_period`: one scope (`account_id`, `scope_id`) and one `period`.
"""

from __future__ import annotations

from typing import Any

from huey import crontab

from skytally.costs import ingest
from skytally.costs.models import ImportStatus
from skytally.errors import InvalidInput, UserError
from skytally.jobs.registry import job
from skytally.jobs.runner import JobContext, PartialFailure

IMPORT = "costs.import"
IMPORT_PERIOD = "costs.import_period"


def _env(ctx: JobContext) -> ingest.IngestEnv:
    return ingest.IngestEnv(ctx.settings, ctx.db, ctx.vault)


def _periods(params: dict[str, Any]) -> list[str]:
    given = params.get("periods") or ([params["period"]] if params.get("period") else [])
    return [ingest.parse_period(str(p)) for p in given] or ingest.recent_periods()


@job(IMPORT, title="Import costs", schedule=crontab(minute="17", hour="3"),
     schedule_text="daily at 03:17 UTC (previous and current billing period)")
def import_costs(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Import the billing periods of every cost scope of the tenant(s); collect failures."""
    env = _env(ctx)
    periods = _periods(params)
    with ctx.db.session() as session:
        stale = ingest.mark_stale_imports(session)
    with ctx.db.session() as session:
        ids = [int(params["account_id"])] if params.get("account_id") else ingest.azure_account_ids(session)
        work = [(src, period) for account_id in ids for src in ingest.sources(session, account_id)
                for period in periods]
    outcomes: list[ingest.Outcome] = []
    for n, (src, period) in enumerate(work):
        def report(done: float, total: float, msg: str, n: int = n, src: ingest.Source = src,
                   period: str = period) -> None:
            fraction = n + (done / total if total else 0)
            ctx.progress(fraction, len(work), f"{src.name} {period}: {msg}")

        report(0, 1, "starting")
        outcomes.append(ingest.import_period(env, src, period, report))
    ctx.progress(len(work), len(work), f"{len(work)} period(s) processed")
    failures = [o.to_dict() for o in outcomes if o.failed]
    result = {
        "periods": periods,
        "imported": [o.to_dict() for o in outcomes if o.status is ImportStatus.OK],
        "waiting": [o.to_dict() for o in outcomes if o.status is ImportStatus.WAITING],
        "failures": failures,
        "rows": sum(o.rows for o in outcomes),
        "stale_imports_failed": stale,
    }
    if failures and len(failures) == len(outcomes):
        raise UserError("; ".join(f"{f['scope_id']} {f['period']}: {f['message']}" for f in failures))
    if failures:
        raise PartialFailure(result)
    return result


@job(IMPORT_PERIOD, title="Import one billing period of costs")
def import_one_period(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Import one period of one cost scope; fails with the reason when it cannot."""
    try:
        account_id, scope_id = int(params["account_id"]), str(params["scope_id"])
    except (KeyError, ValueError):
        raise InvalidInput("costs.import_period needs account_id and scope_id") from None
    period = _periods(params)[-1]
    with ctx.db.session() as session:
        src = next((s for s in ingest.sources(session, account_id) if s.scope_id == scope_id), None)
    if src is None:
        raise InvalidInput(f"cloud account {account_id} has no cost scope {scope_id}")
    outcome = ingest.import_period(_env(ctx), src, period, lambda d, t, m: ctx.progress(d, t, m))
    if outcome.failed:
        raise UserError(outcome.message)
    return outcome.to_dict()
