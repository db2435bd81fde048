"""Licence jobs.

- `licences.sync`: the daily dispatcher. For every Office 365 account (or one,
  `account_id`) it submits one `licences.import` run, unless one is already queued or
  running, and ends with the list.
- `licences.import`: one account: read its tenant through Graph and store it. Each Graph
  endpoint succeeds or fails on its own; a partial import is reported as such (which
  endpoint, Graph's words, the permission that was missing). Also run when an Office 365
  account is connected (the first import) and by "Sync now".
"""

from __future__ import annotations

from typing import Any

from huey import crontab

from skytally.accounts import service as accounts
from skytally.accounts.service import AccountsEnv
from skytally.errors import InvalidInput, UserError
from skytally.jobs import JobContext, PartialFailure, job
from skytally.jobs import service as jobs
from skytally.licences import importer
from skytally.licences.service import IMPORT, SYNC


@job(SYNC, title="Sync Microsoft 365 licences", schedule=crontab(minute="47", hour="5"),
     schedule_text="daily at 05:47 UTC (usage reports lag ~48 h)")
def sync_licences(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Submit one `licences.import` run per Office 365 account."""
    with ctx.db.session() as session:
        ids = [int(params["account_id"])] if params.get("account_id") else accounts.office365_account_ids(session)
    workspace_id, queued_by = ctx.origin()
    submitted: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for aid in ids:
        out, new = jobs.submit_unique(ctx.db, ctx.dispatcher, IMPORT, key={"account_id": aid}, target=f"account {aid}",
                                      workspace_id=workspace_id, queued_by=queued_by)
        (submitted if new else skipped).append({"account_id": aid, "run_id": out.id})
    ctx.progress(1, 1, f"{len(submitted)} import(s) submitted, {len(skipped)} already queued or running")
    return {"submitted": submitted, "skipped": skipped}


@job(IMPORT, title="Import one Office 365 account's licences")
def import_account(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    try:
        account_id = int(params["account_id"])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput("licences.import needs account_id") from None
    env = AccountsEnv(ctx.settings, ctx.vault)
    steps = ["skus", "users", "sign_in", "groups", "activity", "apps", "mailbox"]

    done: list[str] = []

    def progress(step: str) -> None:  # told each endpoint as it is read (they are read side by side)
        done.append(step)
        ctx.progress(len(done), len(steps), f"read {step}")

    out = importer.sync_account(ctx.db, env, account_id, progress)
    result = out.model_dump(mode="json")
    if out.status == "failed":
        raise UserError(out.message or "the import failed")
    if out.status == "partial":
        raise PartialFailure(result)
    return result
