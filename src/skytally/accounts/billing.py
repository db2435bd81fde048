"""Billing accounts: an EA enrollment (numeric id) or an MCA billing account, read with
the credential that will import its costs. The agreement type comes from the billing
account itself; the role is checked by reading it (`hasReadAccess`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from skytally.accounts import repo
from skytally.accounts.models import BillingAccount
from skytally.accounts.schemas import BillingInfo
from skytally.azure.errors import AzureHttpError, AzureUnreachable
from skytally.store.base import utcnow

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from skytally.azure.clients import AzureConnector

BILLING_API = "2024-04-01"
EA = "EnterpriseAgreement"
MCA = "MicrosoftCustomerAgreement"
ROLE_FOR = {EA: "EnrollmentReader", MCA: "Billing Account Reader"}


class BillingProblem(Exception):
    def __init__(self, problem: str, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


def clean_id(value: str) -> str:
    return value.strip().strip("/").rsplit("/", 1)[-1]


def expected_role(billing_account_id: str) -> str:
    """EA enrollments have numeric ids; MCA ids look like `guid:guid_2019-05-31`."""
    return ROLE_FOR[EA] if billing_account_id.isdigit() else ROLE_FOR[MCA]


def check(connector: AzureConnector, credential: TokenCredential, billing_account_id: str) -> BillingInfo:
    """Read the billing account; BillingProblem with the exact cause when that fails."""
    ba = clean_id(billing_account_id)
    role = expected_role(ba)
    try:
        doc = connector.arm_rest(credential).get(f"/providers/Microsoft.Billing/billingAccounts/{ba}", BILLING_API)
    except AzureHttpError as exc:
        if exc.status in (401, 403):
            raise BillingProblem(
                "billing_role_missing",
                f"the service principal has no role on billing account {ba}: assign it {role} "
                f"({'EA enrollment' if role == ROLE_FOR[EA] else 'MCA billing account'}) and try again",
            ) from None
        if exc.status == 404:
            raise BillingProblem("billing_account_not_found", f"billing account {ba} does not exist; check its ID") from None
        raise BillingProblem("billing_error", f"reading billing account {ba} failed: {exc.message}") from None
    except AzureUnreachable as exc:
        raise BillingProblem("unreachable", str(exc)) from None
    props = doc.get("properties", {}) if isinstance(doc, dict) else {}
    agreement = str(props.get("agreementType", ""))
    role = ROLE_FOR.get(agreement, role)
    if props.get("hasReadAccess") is False:
        raise BillingProblem(
            "billing_role_missing",
            f"the service principal can see billing account {ba} but not read its charges: assign it {role}",
        )
    return BillingInfo(
        billing_account_id=ba, display_name=str(props.get("displayName") or ba), agreement_type=agreement,
        role=role, role_ok=True,
    )


def record(
    session: Session, account_id: int, info: BillingInfo, *, via: str, credential_id: int | None = None
) -> BillingAccount:
    row = repo.billing_account(session, account_id, info.billing_account_id)
    if row is None:
        row = BillingAccount(account_id=account_id, billing_account_id=info.billing_account_id)
        session.add(row)
        session.flush()
        # An integration of its own: it starts in its tenant's workspaces (the flows that
        # connect it may name it and choose others: integrations.name_and_assign).
        repo.set_billing_workspaces(session, row.id, repo.workspace_ids_of(session, account_id))
    row.display_name = info.display_name or row.display_name
    row.agreement_type = info.agreement_type or row.agreement_type
    row.role = info.role
    row.role_status = "ok" if info.role_ok else "missing"
    row.via = via
    row.credential_id = credential_id if credential_id is not None else row.credential_id
    row.checked_at = utcnow()
    session.flush()
    return row
