"""Inventory jobs.

- `tags.push`: write one account's pending tag changes to Azure (`push`); resumable.
- `inventory.sync`: list the resources of every Azure tenant — or of one (`account_id`) —
  with Resource Graph and replace the stored inventory. Daily; idempotent (a second run
  stores the same set). Per-subscription failures are collected (partial result, the
  failing subscription keeps its previous resources); when nothing could be synced the
  run fails with the reasons.
"""

from __future__ import annotations

from typing import Any

from huey import crontab

from skytally.accounts import service as accounts_service
from skytally.accounts.service import AccountsEnv
from skytally.errors import InvalidInput, UserError
from skytally.inventory import push, service
from skytally.inventory.schemas import SubscriptionOutcome
from skytally.jobs import JobContext, PartialFailure, job

SYNC = service.SYNC
PUSH = push.PUSH


@job(SYNC, title="Sync resource inventory", schedule=crontab(minute="23", hour="2"),
     schedule_text="daily at 02:23 UTC")
def sync_inventory(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Sync every Azure account's resources (or one account's); collect failures."""
    env = AccountsEnv(ctx.settings, ctx.vault)
    try:
        account_id = int(params["account_id"]) if params.get("account_id") else None
    except (TypeError, ValueError):
        raise InvalidInput(f"inventory.sync: account_id must be a number, not {params.get('account_id')!r}") from None
    with ctx.db.session() as session:
        ids = [account_id] if account_id is not None else accounts_service.azure_account_ids(session)
    accounts: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    attempted = 0
    for n, aid in enumerate(ids):
        def report(done: float, total: float, msg: str, n: int = n) -> None:
            ctx.progress(n + (done / total if total else 0), len(ids), msg)

        try:
            result = service.sync_account(ctx.db, env, aid, report)
        except UserError as exc:
            if account_id is not None:
                raise
            failures.append({"account_id": aid, **SubscriptionOutcome("", "", "failed", exc.message).to_dict()})
            attempted += 1
            continue
        accounts.append(result.to_dict())
        failures += [{"account_id": aid, **f.to_dict()} for f in result.failures]
        attempted += sum(1 for s in result.subscriptions if s.status != "skipped")
    out = {"accounts": accounts, "resources": sum(a["resources"] for a in accounts), "failures": failures}
    if failures and len(failures) == attempted:
        ctx.progress(len(ids), len(ids), f"nothing synced: {len(failures)} subscription(s) or account(s) failed")
        raise UserError("; ".join(f"{f['subscription_id'] or 'account ' + str(f['account_id'])}: {f['message']}"
                                  for f in failures))
    synced = len(accounts) - sum(1 for a in accounts if a.get("failures") and not a.get("resources"))
    ctx.progress(len(ids), len(ids), f"{synced} account(s) synced" + (f", {len(failures)} failure(s)" if failures else ""))
    if failures:
        raise PartialFailure(out)
    return out


@job(PUSH, title="Push tag changes to Azure", scope="workspace")
def push_tags(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Write one account's pending tag changes to its tags-writeback subscriptions.
    Partial when a change failed or a subscription's access was lost."""
    env = AccountsEnv(ctx.settings, ctx.vault)
    try:
        account_id = int(params["account_id"])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput("tags.push needs the account_id to push") from None
    pushed_by = ctx.origin()[1]
    result = push.push_account(ctx.db, env, account_id, subscription_id=params.get("subscription_id"),
                               pushed_by=pushed_by, run_id=ctx.run_id, progress=ctx.progress)
    stopped = [f"{sid}: {r['stopped']}" for sid, r in result["subscriptions"].items() if r["stopped"]]
    if result["failed"] or stopped:
        raise PartialFailure({**result, "stopped": stopped})
    return result
