"""Background work of Cloud Tenant Setup: retry role activation, check credential health."""

from __future__ import annotations

from typing import Any

from huey import crontab
from sqlalchemy.orm import Session

from skytally.accounts import ea_tokens, repo
from skytally.accounts import service_principals as sp
from skytally.accounts.context import AccountsEnv
from skytally.accounts.service import activate_pending
from skytally.jobs import JobContext, PartialFailure, job

ACTIVATE = "accounts.activate_subscriptions"
HEALTH = "accounts.credential_health"


def _any_activating(session: Session) -> bool:
    return bool(repo.subscriptions_activating(session))


@job(ACTIVATE, title="Activate subscriptions (role propagation)", schedule=crontab(minute="*"),
     schedule_text="every minute while a subscription is activating", due=_any_activating)
def activate_subscriptions(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Check subscriptions still "activating…" until skytally's role has propagated."""
    env = AccountsEnv(ctx.settings, ctx.vault)
    account_id = params.get("account_id")
    with ctx.db.session() as session:
        result = activate_pending(session, env, int(account_id) if account_id else None)
    ctx.progress(1, 1, f"{result['activated']} of {result['checked']} activated")
    return result


@job(HEALTH, title="Check credential health", schedule=crontab(minute="41", hour="4"),
     schedule_text="daily at 04:41 UTC")
def credential_health(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Probe every service-principal credential and EA token; record status and expiry."""
    env = AccountsEnv(ctx.settings, ctx.vault)
    with ctx.db.session() as session:
        cred_ids = [c.id for c in repo.all_credentials(session)]
        token_ids = [t.id for t in repo.all_ea_tokens(session)]
    total = len(cred_ids) + len(token_ids)
    failures: list[dict[str, Any]] = []
    done = 0
    for cred_id in cred_ids:
        with ctx.db.session() as session:
            row = session.get(sp.AccountCredential, cred_id)
            if row is not None:
                probe = sp.check(session, env, row)
                if not probe.ok:
                    failures.append({"credential": cred_id, "problem": probe.problem, "message": probe.message})
        done += 1
        ctx.progress(done, total, f"credential {cred_id}")
    for token_id in token_ids:
        with ctx.db.session() as session:
            token = session.get(ea_tokens.EaToken, token_id)
            if token is not None:
                ea_tokens.recheck(session, env, token)
                if token.status != "valid":
                    failures.append({"ea_token": token_id, "status": token.status, "reason": token.reason})
        done += 1
        ctx.progress(done, total, f"EA token {token_id}")
    result = {"credentials": len(cred_ids), "ea_tokens": len(token_ids), "failing": failures}
    if failures:
        raise PartialFailure(result)
    return result
