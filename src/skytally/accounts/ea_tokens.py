"""Legacy EA reporting API keys: JWTs valid about six months, one enrollment each.

A key is refused with the precise reason: *incomplete* (not a well-formed JWT — often
a truncated paste, or a signature of the wrong length), *expired* (its `exp` is past),
*revoked* (the EA API says so with a 401), *invalid* (the EA API does not recognise it: an
altered or forged key). The same key is never stored twice.
Keys are sealed in the vault; lists show a masked hint. The newest valid key is used.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr
from sqlalchemy.orm import Session

from skytally.accounts import billing, guard, repo
from skytally.accounts.context import AccountsEnv
from skytally.accounts.models import AccountKind, EaToken
from skytally.accounts.schemas import BillingInfo, EaTokenOut, expiry_warning
from skytally.azure.errors import AzureHttpError, AzureUnreachable
from skytally.errors import Conflict, InvalidInput, NotFound, UserError
from skytally.security.secretbox import mask
from skytally.store.base import utcnow
from skytally.workspaces.schemas import Actor


@dataclass(frozen=True)
class ParsedKey:
    enrollment_number: str
    issued_at: datetime | None
    expires_at: datetime | None


def _b64json(segment: str, what: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"incomplete: the token's {what} is not base64url-encoded JSON; paste the whole key again") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"incomplete: the token's {what} is not a JSON object")
    return data


RSA_SIGNATURE_BYTES = (256, 384, 512)  # RSA keys of 2048, 3072, 4096 bits


def _signature_bytes(segment: str) -> int:
    try:
        return len(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError):
        return -1


def refusal(message: str, enrollment: str) -> str:
    """The reason the EA API gave with a 401, in skytally's words: revoked, expired, or
    invalid (a key it does not recognise: altered, or cut short)."""
    low = message.lower()
    fix = "generate a new key in the EA portal"
    said = f"(401 Unauthorized: {message[:160]})"
    if "revoked" in low:
        return f"revoked: the EA API refuses the access token for enrollment {enrollment}: it was revoked {said}; {fix}"
    if "expired" in low:
        return f"expired: the EA API refuses the access token for enrollment {enrollment}: it expired {said}; {fix}"
    if "enrollment" in low:
        return f"invalid: the EA API refuses the access token for enrollment {enrollment} {said}"
    return (f"invalid: the EA API does not recognise the access token for enrollment {enrollment} {said}: "
            f"it was altered or cut short; paste the whole key again, or {fix}")


def parse(token: str) -> ParsedKey:
    """Check the shape and dates of a key, without calling anything."""
    text = "".join(token.split())
    if text.lower().startswith("bearer"):
        text = text[6:]
    parts = text.split(".")
    if len(parts) != 3 or not all(parts):
        raise InvalidInput(
            f"incomplete: an EA API key is a JWT of three dot-separated parts, this has {len([p for p in parts if p])}; "
            "copy the whole key from the EA portal (Reports → Download Usage → API Access Key)"
        )
    header = _b64json(parts[0], "header")
    payload = _b64json(parts[1], "payload")
    if "alg" not in header:
        raise InvalidInput("incomplete: the token's header names no signing algorithm; it is not an EA API key")
    signature = _signature_bytes(parts[2])
    if str(header.get("alg", "")).upper().startswith(("RS", "PS")) and signature not in RSA_SIGNATURE_BYTES:
        raise InvalidInput(
            f"incomplete: the key's signature is {signature} bytes long, an {header['alg']} signature is "
            f"{' or '.join(str(n) for n in RSA_SIGNATURE_BYTES)}: the key was cut short when copied; "
            "paste the whole key again")
    enrollment = str(payload.get("EnrollmentNumber") or payload.get("enrollmentNumber") or "").strip()
    if not enrollment:
        raise InvalidInput("incomplete: the token names no EnrollmentNumber; it is not an EA API key")

    def when(key: str) -> datetime | None:
        value = payload.get(key)
        return datetime.fromtimestamp(float(value), UTC) if isinstance(value, int | float) else None

    parsed = ParsedKey(enrollment, when("iat") or when("nbf"), when("exp"))
    if parsed.expires_at is not None and parsed.expires_at <= utcnow():
        raise InvalidInput(
            f"expired: this key for enrollment {enrollment} expired on {parsed.expires_at:%Y-%m-%d %H:%M} UTC; "
            "generate a new one in the EA portal"
        )
    return parsed


def verify(env: AccountsEnv, token: SecretStr, enrollment: str) -> None:
    """Ask the EA API whether it accepts the key (401: revoked or otherwise invalid)."""
    try:
        env.connector.ea_reporting(token).get(f"/v3/enrollments/{enrollment}/billingPeriods")
    except AzureHttpError as exc:
        if exc.status == 401:
            raise InvalidInput(refusal(exc.message, enrollment)) from None
        if exc.status in (400, 403, 404):
            raise InvalidInput(f"the EA API refuses enrollment {enrollment} with this key: {exc.message[:200]}") from None
        raise UserError(f"the EA API failed ({exc.status}): {exc.message[:200]}; try again later") from None
    except AzureUnreachable as exc:
        raise UserError(f"the EA API could not be reached: {exc}") from None


def add(session: Session, env: AccountsEnv, actor: Actor | None, account_id: int, token: str) -> EaTokenOut:
    account = guard.managed_account(session, actor, account_id)
    if account.kind != AccountKind.AZURE.value:
        raise InvalidInput("EA access tokens belong to Azure tenants")
    parsed = parse(token)
    clean = SecretStr("".join(token.split()).removeprefix("bearer").removeprefix("Bearer"))
    for other in repo.ea_tokens_of(session, account.id):
        if other.enrollment_number == parsed.enrollment_number and \
                env.vault.reveal(session, other.secret_id).get_secret_value() == clean.get_secret_value():
            raise Conflict(f"this key is already stored for enrollment {parsed.enrollment_number} "
                           f"(token #{other.id}, {other.hint}, added {other.added_at:%Y-%m-%d}); nothing was added")
    verify(env, clean, parsed.enrollment_number)
    secret = env.vault.put(session, "ea-token", clean)
    now = utcnow()
    row = EaToken(
        account_id=account.id, enrollment_number=parsed.enrollment_number, secret_id=secret.id,
        hint=mask(clean.get_secret_value(), keep=6), issued_at=parsed.issued_at, expires_at=parsed.expires_at,
        status="valid", reason="accepted by the EA API", added_by=actor.email if actor else "cli",
        added_at=now, last_checked_at=now, last_success_at=now,
    )
    session.add(row)
    billing.record(
        session, account.id,
        BillingInfo(billing_account_id=parsed.enrollment_number, display_name=f"EA enrollment {parsed.enrollment_number}",
                    agreement_type=billing.EA, role="EA API key", role_ok=True),
        via="ea_token",
    )
    session.flush()
    return _out(row, session)


def _out(row: EaToken, session: Session) -> EaTokenOut:
    current = newest_valid(session, row.account_id)
    return to_out(row, in_use=current is not None and current.id == row.id)


def to_out(row: EaToken, *, in_use: bool) -> EaTokenOut:
    warning = expiry_warning("EA access token", row.expires_at, utcnow()) if row.status == "valid" else None
    return EaTokenOut(
        id=row.id, account_id=row.account_id, enrollment_number=row.enrollment_number, hint=row.hint,
        issued_at=row.issued_at, expires_at=row.expires_at, status=row.status, reason=row.reason,
        added_by=row.added_by, added_at=row.added_at, last_checked_at=row.last_checked_at,
        last_success_at=row.last_success_at, in_use=in_use, warning=warning,
    )


def newest_valid(session: Session, account_id: int, enrollment: str | None = None) -> EaToken | None:
    """The key to use: valid, not expired, the most recently added."""
    now = utcnow()
    for row in repo.ea_tokens_of(session, account_id):  # newest first
        if row.status != "valid" or (row.expires_at is not None and row.expires_at <= now):
            continue
        if enrollment is None or row.enrollment_number == enrollment:
            return row
    return None


def listing(session: Session, actor: Actor | None, account_id: int, _account_checked: bool = False) -> list[EaTokenOut]:
    if not _account_checked:
        guard.visible_account(session, actor, account_id)
    rows = repo.ea_tokens_of(session, account_id)
    in_use = {t.id for t in (newest_valid(session, account_id, e) for e in {r.enrollment_number for r in rows}) if t}
    return [to_out(r, in_use=r.id in in_use) for r in rows]


def delete(session: Session, env: AccountsEnv, actor: Actor | None, account_id: int, token_id: int) -> None:
    guard.managed_account(session, actor, account_id)
    row = session.get(EaToken, token_id)
    if row is None or row.account_id != account_id:
        raise NotFound(f"EA access token {token_id} does not exist in this account")
    secret_id = row.secret_id
    session.delete(row)
    session.flush()
    env.vault.delete(session, secret_id)


def recheck(session: Session, env: AccountsEnv, row: EaToken) -> None:
    """Health check of a stored key: mark it expired or revoked with the reason."""
    now = utcnow()
    row.last_checked_at = now
    if row.expires_at is not None and row.expires_at <= now:
        row.status, row.reason = "expired", f"expired on {row.expires_at:%Y-%m-%d}"
        return
    try:
        verify(env, env.vault.reveal(session, row.secret_id), row.enrollment_number)
    except InvalidInput as exc:
        row.status = "revoked" if exc.message.startswith("revoked") else "invalid"
        row.reason = exc.message
        return
    except UserError as exc:  # outage: keep the status, note the reason
        row.reason = exc.message
        return
    row.status, row.reason, row.last_success_at = "valid", "accepted by the EA API", now
