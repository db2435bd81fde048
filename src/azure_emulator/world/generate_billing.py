"""Billing accounts of a generated world (called by ``generate_world`` after ARM).

- The first owner tenant (Contoso) buys through an EA enrollment: a numeric billing
  account id (``fixtures["ea_enrollment_number"]``); its subscriptions point at it.
- The second owner tenant (Fabrikam) has an MCA billing account
  (``fixtures["mca_billing_account_id"]``, ``guid:guid_2019-05-31``).
- The customer-made service principal holds EnrollmentReader on the enrollment, so the
  "modern EA" path works; nobody outside Fabrikam holds a role on the MCA account, which
  lets tests see "role missing on the billing scope". Fabrikam's owner is its billing
  account owner.

Accounts, the MCA billing profile and its invoice sections (Engineering, Marketing), the EA
departments (IT, Finance) and enrollment account are typed objects in
``world.billing_accounts``; ``world.fixtures`` only names them for tests. Billing role
assignments live in ``world.role_assignments`` at the billing scope, as the Billing RP
stores them.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

from azure_emulator.world import builtin_roles as roles
from azure_emulator.world.billing import (
    BillingAccount,
    BillingProfile,
    EnrollmentAccount,
    InvoiceSection,
    billing_scope,
)
from azure_emulator.world.costs.catalog import hash_unit
from azure_emulator.world.model import RoleAssignment, Tenant, World

__all__ = ["billing_scope", "generate_billing"]

# When generated billing accounts were created (cost data starts here).
ACCOUNTS_CREATED = datetime(2023, 1, 1, tzinfo=UTC)


def mca_id(*parts: str) -> str:
    """An MCA-style id (billing profiles, invoice sections): ``XXXX-XXXX-XXX-XXX``."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    n = hash_unit(*parts) * 2654435761 + hash_unit(*reversed(parts))
    chars = []
    for _ in range(14):
        n, r = divmod(n, len(alphabet))
        chars.append(alphabet[r])
    s = "".join(chars)
    return f"{s[:4]}-{s[4:8]}-{s[8:11]}-{s[11:14]}"


def ea_account(name: str, tenant: Tenant) -> BillingAccount:
    departments = [InvoiceSection(str(100000 + hash_unit(name, d) % 900000), d) for d in ("IT", "Finance")]
    enrollment_account = EnrollmentAccount(str(200000 + hash_unit(name, "account") % 800000), "Cloud Platform Team",
                                           f"cloudteam@{tenant.default_domain}", departments[0].id)
    return BillingAccount(name, "EnterpriseAgreement", f"{tenant.display_name} Enterprise Agreement", tenant.tenant_id,
                          currency="USD", created=ACCOUNTS_CREATED, departments=departments,
                          enrollment_accounts=[enrollment_account])


def mca_account(name: str, tenant: Tenant) -> BillingAccount:
    display = f"{tenant.display_name} Microsoft Customer Agreement"
    sections = [InvoiceSection(mca_id(name, s), s) for s in ("Engineering", "Marketing")]
    profile = BillingProfile(mca_id(name, "profile"), f"{display} Billing Profile", "EUR", sections)
    return BillingAccount(name, "MicrosoftCustomerAgreement", display, tenant.tenant_id, currency="EUR",
                          created=ACCOUNTS_CREATED, billing_profiles=[profile])


def _assign(world: World, rng: random.Random, scope: str, role_id: str, principal: str, kind: str, tenant: str) -> None:
    name = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    world.role_assignments[name] = RoleAssignment(
        name=name, scope=scope, role_definition_id=role_id, principal_id=principal,
        principal_type=kind,  # type: ignore[arg-type]
        tenant_id=tenant, created=world.clock.now().replace(hour=0, minute=0, second=0, microsecond=0),
    )


def generate_billing(world: World, seed: int) -> None:
    rng = random.Random(f"billing:{seed}")
    fx = world.fixtures
    owner_tenants = [t for t in world.tenants.values() if world.owners.get(t.tenant_id)]
    if not owner_tenants:
        return
    roles.install_builtin_roles(world)
    ea_tenant = owner_tenants[0]
    enrollment = str(rng.randint(6_000_000, 8_999_999))
    fx["ea_enrollment_number"] = enrollment
    fx["ea_billing_tenant_id"] = ea_tenant.tenant_id
    world.billing_accounts[enrollment.lower()] = ea_account(enrollment, ea_tenant)
    for sub in ea_tenant.subscriptions.values():
        sub.billing_account_id = sub.billing_account_id or enrollment
    customer_sp = fx.get("customer_sp_object_id")
    if customer_sp:
        _assign(world, rng, billing_scope(enrollment), roles.EA_ENROLLMENT_READER, customer_sp,
                "ServicePrincipal", ea_tenant.tenant_id)
    if len(owner_tenants) > 1:
        mca_tenant = owner_tenants[1]
        mca = f"{uuid.UUID(int=rng.getrandbits(128), version=4)}:{uuid.UUID(int=rng.getrandbits(128), version=4)}_2019-05-31"
        fx["mca_billing_account_id"] = mca
        fx["mca_billing_tenant_id"] = mca_tenant.tenant_id
        account = mca_account(mca, mca_tenant)
        world.billing_accounts[mca.lower()] = account
        fx["mca_billing_profile_id"] = account.billing_profiles[0].id
        fx["mca_invoice_section_id"] = account.billing_profiles[0].invoice_sections[0].id
        for sub in mca_tenant.subscriptions.values():
            sub.billing_account_id = sub.billing_account_id or mca
        owner = world.owners[mca_tenant.tenant_id][0]
        _assign(world, rng, billing_scope(mca), roles.MCA_BILLING_ACCOUNT_OWNER, owner, "User", mca_tenant.tenant_id)
    world.touch()
