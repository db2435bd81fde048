"""Tables of the licences capability: per Office 365 account, the products bought (SKUs),
the users with their licences and activity, the licensed groups, what the last import
could and could not read, and the prices the customer entered."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from skytally.store.base import Base, UTCDateTime, utcnow


class LicenceSku(Base):
    __tablename__ = "licence_skus"
    __table_args__ = (UniqueConstraint("account_id", "sku_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("cloud_accounts.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[str] = mapped_column(String(36))
    part_number: Mapped[str] = mapped_column(String(120))
    applies_to: Mapped[str] = mapped_column(String(16), default="User")
    capability_status: Mapped[str] = mapped_column(String(32), default="Enabled")
    enabled: Mapped[int] = mapped_column(Integer, default=0)
    suspended: Mapped[int] = mapped_column(Integer, default=0)
    warning: Mapped[int] = mapped_column(Integer, default=0)
    locked_out: Mapped[int] = mapped_column(Integer, default=0)
    consumed: Mapped[int] = mapped_column(Integer, default=0)
    # [[servicePlanId, servicePlanName], ...] as the tenant's subscribedSkus lists them
    service_plans: Mapped[list[Any]] = mapped_column(JSON, default=list)


class LicenceUser(Base):
    __tablename__ = "licence_users"
    __table_args__ = (UniqueConstraint("account_id", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("cloud_accounts.id", ondelete="CASCADE"), index=True)
    object_id: Mapped[str] = mapped_column(String(36))
    upn: Mapped[str] = mapped_column(String(320), default="")
    display_name: Mapped[str] = mapped_column(String(256), default="")
    department: Mapped[str] = mapped_column(String(256), default="")
    job_title: Mapped[str] = mapped_column(String(256), default="")
    account_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    user_type: Mapped[str] = mapped_column(String(16), default="Member")
    usage_location: Mapped[str] = mapped_column(String(8), default="")
    created: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # [{"sku": id, "direct": bool, "groups": [group ids], "disabled": [plan ids], "error": str|None,
    #   "assigned": iso-date|None}] — one entry per SKU, from licenseAssignmentStates
    licences: Mapped[list[Any]] = mapped_column(JSON, default=list)
    last_sign_in: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Latest workload activity in the usage reports (Exchange, OneDrive, SharePoint, Teams, …, apps)
    last_activity: Mapped[date | None] = mapped_column(Date, nullable=True)
    mailbox_type: Mapped[str] = mapped_column(String(16), default="")  # "", User, Shared, Room, Equipment
    mailbox_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    has_archive: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


class LicenceGroup(Base):
    __tablename__ = "licence_groups"
    __table_args__ = (UniqueConstraint("account_id", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("cloud_accounts.id", ondelete="CASCADE"), index=True)
    object_id: Mapped[str] = mapped_column(String(36))
    display_name: Mapped[str] = mapped_column(String(256), default="")
    skus: Mapped[list[str]] = mapped_column(JSON, default=list)


class LicenceImport(Base):
    """The last import of an account: when, and what each Graph endpoint answered."""

    __tablename__ = "licence_imports"

    account_id: Mapped[int] = mapped_column(ForeignKey("cloud_accounts.id", ondelete="CASCADE"), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="running")  # ok | partial | failed | running
    # endpoint → {"ok": bool, "rows": int, "message": str}
    endpoints: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sign_in: Mapped[str] = mapped_column(String(16), default="unknown")  # available | no_permission | no_premium | failed
    names_concealed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    report_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # product name (as the reports write it, upper case) → {"30": active users, "90": …, "all": rows}
    report_products: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")


class LicencePrice(Base):
    """What the customer pays for one SKU of one tenant, as they entered it (no list prices)."""

    __tablename__ = "licence_prices"
    __table_args__ = (UniqueConstraint("account_id", "sku_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("cloud_accounts.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[str] = mapped_column(String(36))
    amount: Mapped[Any] = mapped_column(Numeric(14, 4))
    currency: Mapped[str] = mapped_column(String(3))
    term: Mapped[str] = mapped_column(String(8))  # monthly | annual (the amount is per user per month / per year)
    entered_by: Mapped[str] = mapped_column(String(320), default="")
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LicenceReportCache(Base):
    """The report last built for an account with the default figures (compressed JSON), and
    what it was built from: the import job builds it, so a page view in any process after an
    import reads it instead of analysing every user again (2+ s at 50,000 users)."""

    __tablename__ = "licence_report_cache"

    account_id: Mapped[int] = mapped_column(ForeignKey("cloud_accounts.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64))  # sha-256 of what the report depends on
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    body: Mapped[bytes] = mapped_column(LargeBinary)

