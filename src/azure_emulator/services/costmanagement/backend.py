"""Cost state of a running emulator: settings, billing accounts as cost accounts, charge
units (cached per world revision), report operations, rate-limit windows.

Billing accounts, their profiles, invoice sections and departments are the world's
(``world.billing_accounts``); this module adds what cost data needs (control-API currency and
creation-time overrides, exchange rates, the subscriptions billed to each account).
"""

from __future__ import annotations

import collections
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from azure_emulator.core.runtime import Runtime
from azure_emulator.services.billing import backend as billing
from azure_emulator.world.billing import BillingAccount
from azure_emulator.world.costs.generate import build_units
from azure_emulator.world.costs.model import QTY, CostAccount, CostSettings, Section, Unit
from azure_emulator.world.model import World

DEFAULT_CREATED = datetime(2023, 1, 1, tzinfo=UTC)
# Billing currency → (exchange rate from USD, 1e-6) for MCA accounts billed in another currency.
RATES = {"USD": QTY, "EUR": 921_300, "GBP": 789_500, "CAD": 1_362_000, "JPY": 149_870_000}


@dataclass
class Operation:
    id: str
    scope: str  # without the leading slash, as Microsoft echoes it
    body: dict[str, Any]
    api_version: str
    principal_id: str
    created: datetime
    ready_at: datetime
    valid_till: datetime
    done: threading.Event = field(default_factory=threading.Event)
    status: str = "Running"
    manifest: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    rows: int = 0
    total: int = 0
    blob_names: list[str] = field(default_factory=list)
    directory: Path | None = None


@dataclass
class CostState:
    settings: CostSettings = field(default_factory=CostSettings)
    operations: dict[str, Operation] = field(default_factory=dict)
    units: dict[str, tuple[Any, list[Unit]]] = field(default_factory=dict)
    calls: dict[tuple[str, str], collections.deque[float]] = field(default_factory=dict)
    report_dir: Path | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)

    def directory(self, runtime: Runtime) -> Path:
        if self.report_dir is None:
            if runtime.state_dir is not None:
                self.report_dir = Path(runtime.state_dir) / "cost-reports"
                self.report_dir.mkdir(parents=True, exist_ok=True)
            else:
                self.report_dir = Path(tempfile.mkdtemp(prefix="azure-emulator-reports-"))
        return self.report_dir

    def forget(self, op: Operation) -> None:
        self.operations.pop(op.id, None)
        if op.directory is not None:
            shutil.rmtree(op.directory, ignore_errors=True)


def state(runtime: Runtime) -> CostState:
    found = runtime.services.get("costs")
    if not isinstance(found, CostState):
        found = CostState()
        runtime.services["costs"] = found
    return found


def _parse_time(value: str, fallback: datetime) -> datetime:
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return fallback
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def cost_account(world: World, account: BillingAccount, settings: CostSettings) -> CostAccount:
    """The world's billing account as cost generation sees it (control-API overrides applied)."""
    override = settings.accounts.get(account.name.lower(), {})
    currency = override.get("currency") or account.currency
    created = account.created or DEFAULT_CREATED
    created = _parse_time(override["created"], created) if "created" in override else created
    subs = sorted(s.subscription_id for t in world.tenants.values() for s in t.subscriptions.values()
                  if (s.billing_account_id or "").lower() == account.name.lower())
    sections = [Section(s.id, s.display_name) for s in account.sections()]
    if account.is_mca:
        profile = account.billing_profiles[0]
        return CostAccount(id=account.name, agreement="MCA", display_name=account.display_name, currency=currency,
                           created=created, profile_id=profile.id, profile_name=profile.display_name,
                           sections=sections, exchange_rate=RATES.get(currency, QTY), discount=100,
                           subscription_ids=subs)
    owner = account.enrollment_accounts[0] if account.enrollment_accounts else None
    return CostAccount(id=account.name, agreement="EA", display_name=account.display_name, currency=currency,
                       created=created, profile_id=account.name, profile_name=account.display_name,
                       sections=sections, exchange_rate=QTY, discount=90,
                       enrollment_account=(owner.account_name, owner.owner) if owner else ("", ""),
                       subscription_ids=subs)


def accounts(world: World, settings: CostSettings) -> list[CostAccount]:
    return [cost_account(world, a, settings) for a in billing.accounts(world)]


def find_account(world: World, settings: CostSettings, name: str) -> CostAccount | None:
    found = billing.find(world, name)
    return cost_account(world, found, settings) if found is not None else None


def account_of_subscription(world: World, settings: CostSettings, subscription_id: str) -> CostAccount | None:
    sub = world.subscription(subscription_id)
    if sub is None or not sub.billing_account_id:
        return None
    return find_account(world, settings, sub.billing_account_id)


def units(world: World, st: CostState, account: CostAccount) -> list[Unit]:
    """The account's charge units, rebuilt when the world's structure or the settings change."""
    key = (id(world), world.revision, account.profile_id, account.currency, tuple(account.subscription_ids))
    with st.lock:
        cached = st.units.get(account.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        built = build_units(world, account, st.settings)
        st.units[account.id] = (key, built)
        return built
