"""Billing in the world: accounts, billing profiles, invoice sections, EA departments and
enrollment accounts as typed objects (``World.billing_accounts``).

Every service reads these: Microsoft.Billing answers them, Cost Management and Consumption
resolve their scopes against them, the cost generator assigns each subscription's charges to
one of their sections. Worlds on disk carry them (``billing_accounts`` in the file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

AgreementType = Literal["EnterpriseAgreement", "MicrosoftCustomerAgreement"]


@dataclass(slots=True)
class InvoiceSection:
    """An MCA invoice section, or an EA department: the grouping a subscription's charges fall in."""

    id: str
    display_name: str


@dataclass(slots=True)
class BillingProfile:
    """An MCA billing profile: one invoice, its currency, its invoice sections."""

    id: str  # "XXXX-XXXX-XXX-XXX"
    display_name: str
    currency: str
    invoice_sections: list[InvoiceSection] = field(default_factory=list)


@dataclass(slots=True)
class EnrollmentAccount:
    """An EA enrollment account (an account owner, under a department)."""

    id: str
    account_name: str
    owner: str  # the account owner's e-mail
    department_id: str | None = None


@dataclass(slots=True)
class BillingAccount:
    """An EA enrollment (``name`` is the enrollment number) or an MCA billing account
    (``name`` is ``guid:guid_YYYY-MM-DD``)."""

    name: str
    agreement_type: AgreementType
    display_name: str
    tenant_id: str  # the billing tenant
    currency: str = "USD"
    created: datetime | None = None
    billing_profiles: list[BillingProfile] = field(default_factory=list)  # MCA
    departments: list[InvoiceSection] = field(default_factory=list)  # EA
    enrollment_accounts: list[EnrollmentAccount] = field(default_factory=list)  # EA

    @property
    def id(self) -> str:
        return billing_scope(self.name)

    @property
    def is_mca(self) -> bool:
        return self.agreement_type == "MicrosoftCustomerAgreement"

    def profile(self, profile_id: str) -> BillingProfile | None:
        return next((p for p in self.billing_profiles if p.id.lower() == profile_id.lower()), None)

    def sections(self) -> list[InvoiceSection]:
        """Where charges are grouped: every invoice section (MCA) or department (EA)."""
        if self.is_mca:
            return [s for p in self.billing_profiles for s in p.invoice_sections]
        return list(self.departments)


def billing_scope(billing_account_id: str) -> str:
    return f"/providers/Microsoft.Billing/billingAccounts/{billing_account_id}"


@dataclass(slots=True)
class Budget:
    """A Microsoft.Consumption budget on a cost scope (subscription, resource group, billing
    account / profile / section, department). Spend is computed from the charges."""

    scope: str  # "/subscriptions/…", as given
    name: str
    amount: float
    time_grain: str = "Monthly"  # Monthly | Quarterly | Annually (BillingMonth… variants)
    start_date: str = ""  # ISO 8601
    end_date: str | None = None
    category: str = "Cost"
    notifications: dict[str, dict[str, object]] = field(default_factory=dict)
    filter: dict[str, object] | None = None
    etag: str = ""

    @property
    def id(self) -> str:
        return f"{self.scope}/providers/Microsoft.Consumption/budgets/{self.name}"


@dataclass(slots=True)
class ExportRun:
    """One execution of a cost export (run now or scheduled)."""

    id: str
    execution_type: str  # OnDemand | Scheduled
    status: str  # Queued | InProgress | Completed | Failed
    submitted: datetime
    processing_start: datetime | None = None
    processing_end: datetime | None = None
    start_date: datetime | None = None  # the dates the run exported
    end_date: datetime | None = None
    file_name: str = ""  # the data blob, relative to the destination container
    manifest_file: str = ""
    error: dict[str, str] | None = None


@dataclass(slots=True)
class CostExport:
    """A Microsoft.CostManagement export definition on a cost scope and its run history."""

    scope: str
    name: str
    definition: dict[str, object]  # type, timeframe, timePeriod, dataSet
    delivery: dict[str, object]  # deliveryInfo.destination
    schedule: dict[str, object] | None = None
    format: str = "Csv"
    etag: str = ""
    runs: list[ExportRun] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.scope}/providers/Microsoft.CostManagement/exports/{self.name}"
