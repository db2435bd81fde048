"""Cost import jobs.

- `costs.import`: the dispatcher. For every cost scope (EA enrollment via a legacy API
  key or a service principal, MCA billing account, pay-as-you-go subscription) of every
  Azure tenant — or of one (`account_id`) — and for the previous and the current billing
  period (late restatements), or the given `periods`, it submits one `costs.import_period`
  run (dispatch.py), skipping those already queued or running, and ends at once with the
  list. Daily; also "Import now" on the Costs page and `POST /api/v1/costs/imports`.
- `costs.import_period`: one scope (`account_id`, `scope_id`) and one `period`: its own
  run, progress and outcome (failed with the reason, or succeeded: imported, or "waiting
  for first billing data", which is a state, not a failure).
"""

from __future__ import annotations

import time
from typing import Any

from huey import crontab

from skytally.costs import dispatch, ingest
from skytally.costs.dispatch import IMPORT, IMPORT_PERIOD
from skytally.errors import InvalidInput, UserError
from skytally.jobs import JobContext, JobRun, PartialFailure, job

__all__ = ["IMPORT", "IMPORT_PERIOD"]


@job(IMPORT, title="Import costs", schedule=crontab(minute="17", hour="3"),
     schedule_text="daily at 03:17 UTC (previous and current billing period)")
def import_costs(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Submit one import run per (cost scope, billing period); returns what it submitted."""
    account_id = int(params["account_id"]) if params.get("account_id") else None
    given = params.get("periods") or ([params["period"]] if params.get("period") else [])
    workspace_id, queued_by = ctx.origin()  # the children are shown where their dispatcher is
    done = dispatch.submit_imports(ctx.db, ctx.dispatcher, account_id=account_id, periods=given,
                                   queued_by=queued_by, workspace_id=workspace_id, progress=ctx.progress)
    result = done.model_dump()
    if done.failures and not (done.submitted or done.skipped):
        raise UserError("; ".join(f"{f['scope_id']} {f['period']}: {f['message']}" for f in done.failures))
    if done.failures:
        raise PartialFailure(result)
    return result


def _interrupted(session: Any, run: JobRun, cause: str) -> None:
    params = run.params or {}
    try:
        account_id, scope_id = int(params["account_id"]), str(params["scope_id"])
        period = ingest.parse_period(str(params["period"]))
    except (KeyError, ValueError, UserError):
        return
    ingest.mark_interrupted(session, account_id, scope_id, period, cause)


@job(IMPORT_PERIOD, title="Import one billing period of costs", on_interrupted=_interrupted)
def import_one_period(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Import one period of one cost scope; fails with the reason when it cannot."""
    try:
        account_id, scope_id = int(params["account_id"]), str(params["scope_id"])
    except (KeyError, ValueError):
        raise InvalidInput("costs.import_period needs account_id and scope_id") from None
    given = params.get("period") or (params.get("periods") or [None])[-1]
    period = ingest.parse_period(str(given)) if given else ingest.recent_periods()[-1]
    with ctx.db.session() as session:
        src = next((s for s in ingest.sources(session, account_id) if s.scope_id == scope_id), None)
    if src is None:
        raise InvalidInput(f"cloud account {account_id} has no cost scope {scope_id} (any more): "
                           "see its billing accounts and EA access tokens in Cloud Tenant Setup")
    env = ingest.IngestEnv(ctx.settings, ctx.db, ctx.vault)
    outcome = ingest.import_period(env, src, period, _throttled(ctx))
    if outcome.failed:
        raise UserError(outcome.message)
    return outcome.model_dump(mode="json")


def _throttled(ctx: JobContext, every: float = 1.0) -> ingest.Progress:
    """Progress for the run's record, written at most once a second (the import reports
    per batch) and whenever the step's message changes."""
    last: dict[str, Any] = {"at": 0.0, "message": None}

    def report(done: float, total: float, message: str) -> None:
        now = time.monotonic()
        if message != last["message"] or now - last["at"] >= every:
            last.update(at=now, message=message)
            ctx.progress(done, total, message)

    return report
