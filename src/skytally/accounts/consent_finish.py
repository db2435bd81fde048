"""Finishing a consent: Microsoft's redirect back, handed to the function that finishes
the purpose the consent was started for.

`FINISHERS` maps each purpose (`consent.begin_azure`, `office365.start`) to its finisher.
Azure purposes first exchange the code for a delegated ARM token, which lives only in
memory during the callback and is forgotten after.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from azure.core.exceptions import HttpResponseError
from sqlalchemy.orm import Session

from skytally.accounts import access, consent, office365
from skytally.accounts import consent_state as cs
from skytally.accounts.context import AccountsEnv
from skytally.accounts.identity import skytally_app
from skytally.accounts.models import ConsentRequest
from skytally.accounts.schemas import ConsentOutcome
from skytally.azure.rest import StaticTokenCredential
from skytally.workspaces.schemas import Actor

# (session, env, actor, consent row, MSAL flow, redirect query) -> outcome
Finisher = Callable[[Session, AccountsEnv, "Actor | None", ConsentRequest, dict[str, Any], dict[str, str]],
                    ConsentOutcome]
# (session, env, actor, consent row, delegated ARM credential, id-token claims) -> outcome
AzureFinisher = Callable[[Session, AccountsEnv, "Actor | None", ConsentRequest, StaticTokenCredential,
                          dict[str, Any]], ConsentOutcome]


def complete(session: Session, env: AccountsEnv, actor: Actor | None, query: dict[str, str]) -> ConsentOutcome:
    """Handle Microsoft's redirect back. Never raises for what the user or Microsoft did:
    the outcome says what happened (the caller commits, so a used state stays used)."""
    consumed = cs.consume(session, env, actor, query)
    if isinstance(consumed, ConsentOutcome):
        return consumed
    row, flow = consumed
    problem = cs.redirect_error(query)
    if problem is not None:
        outcome = cs.fail(problem, row.purpose)
    else:
        outcome = FINISHERS.get(row.purpose, FINISHERS["add_azure"])(session, env, actor, row, flow, query)
    row.outcome = outcome.message[:2000]
    outcome.purpose = row.purpose
    return outcome


def _with_delegated_token(finish: AzureFinisher) -> Finisher:
    def finisher(session: Session, env: AccountsEnv, actor: Actor | None, row: ConsentRequest,
                 flow: dict[str, Any], query: dict[str, str]) -> ConsentOutcome:
        client_id, secret = skytally_app(env.settings)
        app = env.connector.msal_app(row.tenant_id, client_id, secret)
        try:
            result = app.acquire_token_by_auth_code_flow(flow, dict(query), scopes=[consent.arm_user_scope(env)])
        except ValueError as exc:  # MSAL's own state/nonce checks
            return cs.fail(f"The sign-in response did not match its request ({exc}). " + cs.NOTHING_CHANGED)
        if "error" in result or "access_token" not in result:
            return cs.fail(cs.token_error(result))
        claims: dict[str, Any] = dict(result.get("id_token_claims") or {})
        credential = StaticTokenCredential(
            str(result["access_token"]), int(time.time()) + int(result.get("expires_in", 3599))
        )
        result.clear()
        del app
        try:
            return finish(session, env, actor, row, credential, claims)
        except HttpResponseError as exc:
            message = getattr(exc.error, "message", None) or exc.message
            return cs.fail(f"Azure Resource Manager refused a request: {message}. " + cs.NOTHING_CHANGED)
        finally:
            credential.forget()

    return finisher


def _office365(session: Session, env: AccountsEnv, actor: Actor | None, row: ConsentRequest,
               flow: dict[str, Any], query: dict[str, str]) -> ConsentOutcome:
    return office365.finish(session, env, actor, row, query)  # admin consent: no delegated token


FINISHERS: dict[str, Finisher] = {
    "add_azure": _with_delegated_token(consent.finish_azure),
    "add_subscriptions": _with_delegated_token(consent.finish_azure),
    "access": _with_delegated_token(access.finish),
    "office365": _office365,
}
