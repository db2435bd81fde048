"""App-database records of the costs capability (the cost rows live in the Parquet store).

- `CostImport`: the state of one (cloud account, cost scope, billing period) import —
  last attempt, last success, rows and totals, "waiting for first billing data", errors.
  A cost scope is an EA enrollment or MCA billing account, or a pay-as-you-go
  subscription; its id is the billing account id the store partitions by.
- `CostDatasetWorkspace`: which workspaces may see a billing account id whose costs came
  from files (`skytally costs import FILE --workspace W --billing-account ID`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from skytally.store.base import Base, UTCDateTime, utcnow


class ImportStatus(StrEnum):
    RUNNING = "running"
    OK = "ok"
    WAITING = "waiting"  # Microsoft has no cost data yet (new account): a state, not an error
    FAILED = "failed"


class CostImport(Base):
    __tablename__ = "cost_imports"
    __table_args__ = (UniqueConstraint("account_id", "scope_id", "billing_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("cloud_accounts.id", ondelete="CASCADE"), index=True)
    # ea_token (legacy EA API) | billing_account (Cost Details API) | subscription (pay-as-you-go)
    source: Mapped[str] = mapped_column(String(32))
    scope_id: Mapped[str] = mapped_column(String(200), index=True)
    scope_name: Mapped[str] = mapped_column(String(200), default="")
    billing_period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    status: Mapped[str] = mapped_column(String(16), default=ImportStatus.RUNNING.value)
    message: Mapped[str] = mapped_column(Text, default="")
    rows: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str | None] = mapped_column(String(8), nullable=True)
    billed_cost: Mapped[str] = mapped_column(String(64), default="")  # exact decimal text
    effective_cost: Mapped[str] = mapped_column(String(64), default="")
    import_id: Mapped[str] = mapped_column(String(64), default="")
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CostDatasetWorkspace(Base):
    __tablename__ = "cost_dataset_workspaces"

    billing_account_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_by: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
