"""Import costs from Microsoft's billing APIs into the cost store, one (cost scope,
billing period) at a time.

Cost scopes of a connected Azure tenant (`sources`):
- an EA enrollment reached with a legacy EA API key: the v3 usage details CSV download of
  the billing period (the file names neither enrollment nor currency: the period's
  balance summary gives the currency);
- an EA enrollment or MCA billing account reached by a service principal: Cost Details
  API reports, actual *and* amortized, downloaded and imported together so BilledCost and
  EffectiveCost are both exact;
- pay-as-you-go: a tenant without billing accounts imports each active subscription
  (Cost Details at subscription scope), stored under the subscription id.

Each run records its outcome in `cost_imports`: rows and totals, "waiting for first
billing data" (Microsoft has none yet: a state, not an error), or the precise reason it
failed. The store replaces a period atomically, so a failed run leaves the previous data
whole and a re-run never double-counts.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated

from azure.core.credentials import TokenCredential
from pydantic import BaseModel, Field, PlainSerializer, SecretStr
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from skytally.accounts import service as accounts
from skytally.accounts.schemas import AccountKind
from skytally.accounts.service import AccountsEnv, CloudAccount
from skytally.config import Settings
from skytally.costs import fetch
from skytally.costs.fetch import Source, SourceFailed
from skytally.costs.models import CostImport, ImportStatus
from skytally.costs.schemas import money
from skytally.costs.service import CostStore
from skytally.errors import UserError
from skytally.jobs import scratch_dir
from skytally.security.vault import Vault
from skytally.store.base import utcnow
from skytally.store.db import Database

log = logging.getLogger(__name__)
STALE = timedelta(minutes=30)  # a "running" import older than this lost its worker
INTERRUPTED = "the import stopped before it finished (worker interrupted); import again"

LOCK_POLL_SECONDS = 1.0
Progress = Callable[[float, float, str], None]
WAITING_TEXT = "waiting for first billing data"


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(money(value), "f")


class Outcome(BaseModel):
    """What one import run did; `model_dump(mode="json")` is the job run's result (amounts
    as exact decimal strings, the files left out)."""

    account_id: int
    scope_id: str
    period: str
    status: ImportStatus
    message: str = ""
    rows: int = 0
    currency: str | None = None
    BilledCost: Annotated[Decimal | None, PlainSerializer(_text)] = None
    EffectiveCost: Annotated[Decimal | None, PlainSerializer(_text)] = None
    import_id: str = ""
    files: list[str] = Field(default_factory=list, exclude=True)

    @property
    def failed(self) -> bool:
        return self.status is ImportStatus.FAILED


@dataclass
class IngestEnv:
    settings: Settings
    db: Database
    vault: Vault

    @property
    def accounts(self) -> AccountsEnv:
        return AccountsEnv(self.settings, self.vault)


# --- what to import ------------------------------------------------------------------
def sources(session: Session, account_id: int) -> list[Source]:
    account = session.get(CloudAccount, account_id)
    if account is None or account.kind != AccountKind.AZURE.value:
        return []
    out: list[Source] = []
    for ba in accounts.billing_accounts_of(session, account_id):
        kind = "ea_token" if ba.via == "ea_token" else "billing_account"
        out.append(Source(account_id, kind, ba.billing_account_id, accounts.billing_label(ba),
                          ba.agreement_type, ba.credential_id))
    if not out:  # pay-as-you-go: no billing account, import each readable subscription
        for sub in account.subscriptions:
            if sub.role_status == "active":
                out.append(Source(account_id, "subscription", sub.subscription_id,
                                  sub.display_name or sub.subscription_id, "PayAsYouGo"))
    return out


def recent_periods(today: date | None = None) -> list[str]:
    """The previous and the current billing period (late restatements land in the previous)."""
    today = today or utcnow().date()
    first = today.replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    return [previous.strftime("%Y-%m"), first.strftime("%Y-%m")]


def parse_period(value: str) -> str:
    text = value.strip().replace("/", "-")
    if len(text) == 6 and text.isdigit():
        text = f"{text[:4]}-{text[4:]}"
    try:
        year, month = (int(p) for p in text.split("-"))
        date(year, month, 1)
    except ValueError:
        raise UserError(f"{value!r} is not a billing period; use YYYY-MM, e.g. 2024-05") from None
    return f"{year:04d}-{month:02d}"


# --- one period ------------------------------------------------------------------------
def import_period(env: IngestEnv, source: Source, period: str, progress: Progress | None = None) -> Outcome:
    """Fetch and import one period of one scope; records and returns the outcome (never
    raises for a failure it can explain)."""
    report = progress or (lambda done, total, msg: None)
    with _one_at_a_time(env, source, period, report):
        _mark_running(env.db, source, period)
        # owned by this process: removed by the next worker to start if it dies (jobs/workers.py)
        work = scratch_dir(env.settings.data_dir, "cost-import")
        try:
            outcome = _fetch_and_import(env, source, period, work, report)
        except SourceFailed as exc:
            outcome = Outcome(account_id=source.account_id, scope_id=source.scope_id, period=period,
                              status=ImportStatus.FAILED, message=exc.message)
        except UserError as exc:
            outcome = Outcome(account_id=source.account_id, scope_id=source.scope_id, period=period,
                              status=ImportStatus.FAILED, message=exc.message)
        except Exception as exc:  # an outage or a bug: keep the type, log the trace
            log.exception("cost import of %s %s failed", source.scope_id, period)
            outcome = Outcome(account_id=source.account_id, scope_id=source.scope_id, period=period,
                              status=ImportStatus.FAILED, message=f"{type(exc).__name__}: {exc}")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        _record(env.db, source, outcome)
    return outcome


@contextlib.contextmanager
def _one_at_a_time(env: IngestEnv, source: Source, period: str, report: Progress) -> Iterator[None]:
    """One import of a (scope, period) at a time among the processes sharing the cost store
    (a flock next to it): a second one waits, saying so, then imports afresh. Its store swap
    and its `cost_imports` row are thus never interleaved with another's. Different periods,
    even of one billing account, import side by side. The lock files stay (one per scope and
    period): removing them would race with the next import opening them."""
    locks = env.settings.cost_store_dir / ".import-locks"
    locks.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(f"{source.scope_id}\n{period}".encode()).hexdigest()[:32]
    with open(locks / f"{name}.lock", "a+") as f:
        waited = 0
        while True:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if waited % 30 == 0:  # also the job's heartbeat while it waits
                    report(0, 3, f"waiting for another run importing {source.name} {period} to finish")
                time.sleep(LOCK_POLL_SECONDS)
                waited += 1
        if waited:
            report(0, 3, f"importing {source.name} {period}")
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _fetch_and_import(env: IngestEnv, source: Source, period: str, work: Path, report: Progress) -> Outcome:
    if source.kind == "ea_token":
        ref = _ea_token(env, source)
        report(0, 3, f"downloading EA usage details {period}")
        try:
            files, currency = fetch.legacy_ea(env.accounts.connector, ref.secret, source.scope_id, period, work)
        except fetch.TokenRefused as exc:
            mark_token_revoked(env.db, ref.token_id, exc.message)
            raise SourceFailed(exc.message) from None
        dataset: str | None = "actual"
    else:
        credential = _credential(env, source)
        files, currency = fetch.cost_details(env.accounts.connector, credential, source, period, work, report)
        dataset = None
    if not files:
        return _no_data(env, source, period)
    report(2, 3, f"importing {len(files)} file(s)")
    store = CostStore(env.settings.cost_store_dir)
    try:
        result = store.import_files(files, billing_account_id=source.scope_id, currency=currency,
                                    dataset=dataset,  # type: ignore[arg-type]
                                    source_kind=source.store_kind, source_name=source.name,
                                    progress=lambda done, size: report(2 + (done / size if size else 0), 3,
                                                                       f"importing {len(files)} file(s)"))
    finally:
        store.close()
    mine = [p for p in result.periods if p.billing_period == period] or result.periods
    outcome = Outcome(account_id=source.account_id, scope_id=source.scope_id, period=period,
                      status=ImportStatus.OK, import_id=result.import_id,
                      rows=sum(p.rows for p in mine), currency=mine[0].currency if mine else currency,
                      BilledCost=sum((p.BilledCost for p in mine), Decimal(0)),
                      EffectiveCost=sum((p.EffectiveCost for p in mine), Decimal(0)),
                      files=[f.path for f in result.files])
    others = sorted({p.billing_period for p in result.periods} - {period})
    outcome.message = f"{outcome.rows} rows" + (f"; the files also held periods {', '.join(others)}" if others else "")
    if outcome.rows == 0:
        return _no_data(env, source, period)
    report(3, 3, f"imported {outcome.rows} rows")
    return outcome


def _no_data(env: IngestEnv, source: Source, period: str) -> Outcome:
    # rows an earlier import of this source stored for the period are not current any more
    store = CostStore(env.settings.cost_store_dir)
    try:
        dropped = store.drop_period(source.scope_id, period, source_kind=source.store_kind)
    finally:
        store.close()
    if dropped:
        log.info("cost import of %s %s: no data any more; the stored period was removed", source.scope_id, period)
    with env.db.session() as session:
        had_data = session.scalar(select(CostImport.id).where(
            CostImport.account_id == source.account_id, CostImport.scope_id == source.scope_id,
            CostImport.last_success_at.is_not(None), CostImport.rows > 0))
    if had_data:
        return Outcome(account_id=source.account_id, scope_id=source.scope_id, period=period,
                       status=ImportStatus.OK, message=f"Microsoft has no cost data for {source.name} in {period}")
    return Outcome(account_id=source.account_id, scope_id=source.scope_id, period=period,
                   status=ImportStatus.WAITING, message=f"{WAITING_TEXT}: Microsoft has no cost data for {source.name} yet "
                   "(a new billing account gets its first data within about 24 hours); skytally retries daily")


@dataclass
class _TokenRef:
    token_id: int
    secret: SecretStr


def _ea_token(env: IngestEnv, source: Source) -> _TokenRef:
    with env.db.session() as session:
        token = accounts.newest_valid_ea_token(session, source.account_id, source.scope_id)
        if token is None:
            raise SourceFailed(_no_token_reason(session, source))
        return _TokenRef(token.id, env.vault.reveal(session, token.secret_id))


def _no_token_reason(session: Session, source: Source) -> str:
    rows = [r for r in accounts.ea_tokens_of(session, source.account_id)
            if r.enrollment_number == source.scope_id]
    fix = "generate a new key in the EA portal and add it (Cloud Tenant Setup → EA access tokens)"
    if not rows:
        return f"no EA access token for enrollment {source.scope_id}: {fix}"
    newest = rows[0]
    now = utcnow()
    if newest.expires_at is not None and newest.expires_at <= now:
        return f"expired: the EA access token for enrollment {source.scope_id} expired on {newest.expires_at:%Y-%m-%d}; {fix}"
    if newest.status == "revoked":
        if newest.reason.startswith("revoked:"):  # the EA API's refusal, as recorded when it happened
            return newest.reason
        return f"revoked: the EA access token for enrollment {source.scope_id} was revoked ({newest.reason}); {fix}"
    return f"no valid EA access token for enrollment {source.scope_id} ({newest.status}: {newest.reason}); {fix}"


def mark_token_revoked(db: Database, token_id: int, reason: str) -> None:
    with db.session() as session:
        accounts.mark_ea_token_revoked(session, token_id, reason)


def _credential(env: IngestEnv, source: Source) -> TokenCredential:
    aenv = env.accounts
    with env.db.session() as session:
        account = session.get(CloudAccount, source.account_id)
        if account is None:
            raise SourceFailed(f"cloud account {source.account_id} no longer exists")
        # accounts' one rule: the identity that reads the subscription; for a billing scope,
        # the credential that found it, else the tenant's identity
        if source.kind == "subscription":
            credential = accounts.reader_credential(session, aenv, account, source.scope_id)
            if credential is not None:
                return credential
            raise SourceFailed(f"{source.name}: no identity in this tenant can read the subscription; "
                               "add a service principal or consent as an owner in Cloud Tenant Setup")
        credential = accounts.tenant_credential(session, aenv, account, source.credential_id)
        if credential is not None:
            return credential
    raise SourceFailed(f"{source.name}: the tenant has no service principal credential to read costs with; "
                       "add one in Cloud Tenant Setup")


# --- bookkeeping -------------------------------------------------------------------------
def _row(session: Session, source: Source, period: str) -> CostImport:
    """The period's row, created if missing (INSERT … ON CONFLICT DO NOTHING: two imports
    creating it at once do not clash on the unique key)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(CostImport).values(
        account_id=source.account_id, scope_id=source.scope_id, billing_period=period,
        source=source.kind, scope_name=source.name, status=ImportStatus.RUNNING.value, message="",
        rows=0, billed_cost="", effective_cost="", import_id="", created_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=["account_id", "scope_id", "billing_period"]))
    row = session.scalar(select(CostImport).where(
        CostImport.account_id == source.account_id, CostImport.scope_id == source.scope_id,
        CostImport.billing_period == period))
    assert row is not None
    return row


def mark_stale_imports(session: Session) -> int:
    """Imports left `running` by a worker that died become `failed`, saying so (the
    stored period is whole: a period is only swapped in once complete)."""
    cutoff = utcnow() - STALE
    rows = session.scalars(select(CostImport).where(
        CostImport.status == ImportStatus.RUNNING.value, CostImport.last_attempt_at < cutoff)).all()
    for row in rows:
        row.status, row.message = ImportStatus.FAILED.value, INTERRUPTED
    return len(rows)


def mark_interrupted(session: Session, account_id: int, scope_id: str, period: str, cause: str) -> None:
    """The import of a run found dead (jobs/recovery.py) ends `failed`, saying why."""
    row = session.scalar(select(CostImport).where(
        CostImport.account_id == account_id, CostImport.scope_id == scope_id,
        CostImport.billing_period == period, CostImport.status == ImportStatus.RUNNING.value))
    if row is not None:
        row.status = ImportStatus.FAILED.value
        row.message = f"the import stopped before it finished ({cause}); the stored period is whole"[:2000]


def _mark_running(db: Database, source: Source, period: str) -> None:
    with db.session() as session:
        row = _row(session, source, period)
        row.source, row.scope_name = source.kind, source.name
        row.status, row.last_attempt_at = ImportStatus.RUNNING.value, utcnow()
        row.message = "importing…"


def _record(db: Database, source: Source, outcome: Outcome) -> None:
    with db.session() as session:
        row = _row(session, source, outcome.period)
        row.status, row.message = outcome.status.value, outcome.message[:2000]
        if outcome.status in (ImportStatus.OK, ImportStatus.WAITING):  # waiting: nothing stored
            row.rows, row.currency, row.import_id = outcome.rows, outcome.currency, outcome.import_id
            row.billed_cost = _text(outcome.BilledCost) or ""
            row.effective_cost = _text(outcome.EffectiveCost) or ""
            if outcome.status is ImportStatus.OK:
                row.last_success_at = utcnow()
