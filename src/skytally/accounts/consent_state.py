"""Single-use `state` for the sign-in flows skytally starts.

A consent request lives ten minutes. Only the SHA-256 of `state` is stored; the MSAL
flow (PKCE code verifier, nonce) is sealed in the vault and deleted the moment the
callback arrives, whatever its outcome. A forged state matches nothing, a replayed
one finds its request already used, a late one finds it expired.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

from pydantic import SecretStr
from sqlalchemy.orm import Session

from skytally.accounts import repo
from skytally.accounts.context import AccountsEnv
from skytally.accounts.identity import aadsts_code
from skytally.accounts.models import CloudAccount, ConsentRequest
from skytally.accounts.schemas import ConsentOutcome, ConsentStart
from skytally.azure.messages import readable
from skytally.security import tokens
from skytally.store.base import utcnow
from skytally.workspaces.schemas import Actor

CONSENT_TTL = timedelta(minutes=10)
CALLBACK_PATH = "/accounts/consent/callback"
NOTHING_CHANGED = "Nothing was changed in Azure or in skytally."


def redirect_uri(env: AccountsEnv) -> str:
    return env.settings.base_url.rstrip("/") + CALLBACK_PATH


def new_state() -> str:
    return secrets.token_urlsafe(32)


def record(
    session: Session,
    env: AccountsEnv,
    actor: Actor | None,
    *,
    state: str,
    purpose: str,
    tenant_id: str,
    url: str,
    flow: dict[str, Any],
    account_id: int | None = None,
    params: dict[str, Any] | None = None,
) -> ConsentStart:
    now = utcnow()
    repo_secret_ids = repo.prune_consent_requests(session, now - timedelta(days=1))
    for secret_id in repo_secret_ids:
        _forget_secret(session, env, secret_id)
    sealed = env.vault.put(session, "consent-flow", SecretStr(json.dumps(flow)))
    row = ConsentRequest(
        state_hash=tokens.digest(state),
        purpose=purpose,
        tenant_id=tenant_id,
        account_id=account_id,
        params=params or {},
        flow_secret_id=sealed.id,
        created_by_user_id=actor.user_id if actor else None,
        created_at=now,
        expires_at=now + CONSENT_TTL,
    )
    session.add(row)
    session.flush()
    return ConsentStart(url=url, purpose=purpose, tenant_id=tenant_id, expires_at=row.expires_at)


def _forget_secret(session: Session, env: AccountsEnv, secret_id: int) -> None:
    try:
        env.vault.delete(session, secret_id)
    except Exception:  # already gone
        pass


def consume(
    session: Session, env: AccountsEnv, actor: Actor | None, query: dict[str, str]
) -> tuple[ConsentRequest, dict[str, Any]] | ConsentOutcome:
    """The request this callback answers (now used up) and its sealed flow, or a failure."""
    state = query.get("state", "")
    row = repo.consent_by_state_hash(session, tokens.digest(state)) if state else None
    if row is None:
        return fail(
            "This sign-in response does not match any sign-in skytally started: its state is "
            "missing or forged. " + NOTHING_CHANGED + " Start again from Cloud Tenant Setup."
        )
    if actor is not None and row.created_by_user_id not in (None, actor.user_id):
        return fail(
            "This sign-in was started by another skytally user, so it cannot be finished here. "
            + NOTHING_CHANGED
        )
    if actor is not None and row.created_by_user_id is None and not actor.is_admin:
        return fail("This sign-in was started from the command line; an organisation admin must finish it. " + NOTHING_CHANGED)
    if row.used_at is not None:
        return fail(
            "This sign-in response was already used (replayed): each sign-in link works once. "
            + NOTHING_CHANGED + " Start again if you need to."
        )
    now = utcnow()
    row.used_at = now
    flow: dict[str, Any] = {}
    if row.flow_secret_id is not None:
        flow = json.loads(env.vault.reveal(session, row.flow_secret_id).get_secret_value())
        secret_id, row.flow_secret_id = row.flow_secret_id, None
        session.flush()
        _forget_secret(session, env, secret_id)
    if row.expires_at < now:
        row.outcome = "expired"
        return fail(
            "This sign-in expired: it must be completed within 10 minutes of starting it. "
            + NOTHING_CHANGED + " Start again."
        )
    return row, flow


def fail(message: str, purpose: str = "") -> ConsentOutcome:
    return ConsentOutcome(ok=False, message=message, purpose=purpose)


def redirect_error(query: dict[str, str]) -> str | None:
    """A clear message for an error Microsoft sent back instead of a code, else None."""
    error = query.get("error")
    if not error:
        return None
    description = query.get("error_description", "")
    code = aadsts_code(description)
    if error == "access_denied" and (code == 65004 or query.get("error_subcode") == "cancel" or code is None):
        return "You cancelled at Microsoft's sign-in or declined the permissions (access_denied). " + NOTHING_CHANGED
    if error == "permission_denied":
        return "The administrator cancelled the admin consent (permission_denied). " + NOTHING_CHANGED
    if code == 90094 or code == 90008:
        return (
            "This needs an administrator: the signed-in account may not grant these permissions "
            f"(AADSTS{code}). Ask a Global Administrator of the tenant to sign in. " + NOTHING_CHANGED
        )
    if code == 50020:
        return (
            "The account you signed in with belongs to another tenant (AADSTS50020). Sign in with an "
            "account of the tenant you are connecting. " + NOTHING_CHANGED
        )
    if code == 65001:
        return "The permissions were not granted (AADSTS65001); accept them on Microsoft's consent screen. " + NOTHING_CHANGED
    first = readable(description) or "no details"
    return f"Microsoft sign-in returned an error: {error} — {first}. " + NOTHING_CHANGED


def token_error(result: dict[str, Any]) -> str:
    """A clear message for a failed authorization-code redemption."""
    description = str(result.get("error_description", ""))
    code = aadsts_code(description)
    if code == 54005:
        return "Microsoft says this sign-in code was already redeemed (AADSTS54005). " + NOTHING_CHANGED
    if code in (70008, 70000, 9002313):
        return f"Microsoft rejected the sign-in code as expired or invalid (AADSTS{code}); start again. " + NOTHING_CHANGED
    if code == 50020:
        return redirect_error({"error": "invalid_request", "error_description": description}) or ""
    if code in (7000215, 7000222, 700016):
        return (
            f"Microsoft refused skytally's own application credentials (AADSTS{code}); an administrator "
            "must check SKYTALLY_AZURE_APP__CLIENT_ID / __CLIENT_SECRET. " + NOTHING_CHANGED
        )
    first = readable(description) or str(result.get("error"))
    return f"Microsoft did not issue a token: {result.get('error')} — {first}. " + NOTHING_CHANGED


def consented_account(
    session: Session, row: ConsentRequest, kind: str, actor: Actor | None, account: CloudAccount | None
) -> CloudAccount:
    """The account a completed consent belongs to: `account`, or a new one named as the
    request asked; either way joined to the workspaces the request named."""
    if account is None:
        account = CloudAccount(
            kind=kind, name=str(row.params.get("name") or row.tenant_id),
            tenant_id=row.tenant_id, tenant_domain=str(row.params.get("domain") or ""),
            connection="consent", created_by=actor.email if actor else "cli",
        )
        session.add(account)
        session.flush()
    ws_ids = [int(w) for w in row.params.get("workspace_ids", [])]
    if ws_ids:
        repo.set_workspaces(session, account.id, set(ws_ids) | set(repo.workspace_ids_of(session, account.id)))
    return account
