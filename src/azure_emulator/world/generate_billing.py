"""Billing accounts of a generated world (called by ``generate_world`` after ARM).

- The first owner tenant (Contoso) buys through an EA enrollment: a numeric billing
  account id (``fixtures["ea_enrollment_number"]``); its subscriptions point at it.
- The second owner tenant (Fabrikam) has an MCA billing account
  (``fixtures["mca_billing_account_id"]``, ``guid:guid_2019-05-31``).
- The customer-made service principal holds EnrollmentReader on the enrollment, so the
  "modern EA" path works; nobody outside Fabrikam holds a role on the MCA account, which
  lets tests see "role missing on the billing scope". Fabrikam's owner is its billing
  account owner.

Billing role assignments live in ``world.role_assignments`` at the billing scope, as the
Billing RP stores them; the account descriptions are in ``world.fixtures``.
"""

from __future__ import annotations

import random
import uuid

from azure_emulator.world import builtin_roles as roles
from azure_emulator.world.model import RoleAssignment, World


def billing_scope(billing_account_id: str) -> str:
    return f"/providers/Microsoft.Billing/billingAccounts/{billing_account_id}"


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
        for sub in mca_tenant.subscriptions.values():
            sub.billing_account_id = sub.billing_account_id or mca
        owner = world.owners[mca_tenant.tenant_id][0]
        _assign(world, rng, billing_scope(mca), roles.MCA_BILLING_ACCOUNT_OWNER, owner, "User", mca_tenant.tenant_id)
    world.touch()
