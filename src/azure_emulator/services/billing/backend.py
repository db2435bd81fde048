"""Billing accounts of the world (``world.billing_accounts``) and billing RBAC: a caller reads
an account, or a profile / section / department / enrollment account under it, only through a
billing role assignment on its scope or above. Shapes are in ``responses.py``."""

from __future__ import annotations

from azure_emulator.core.errors import ApiError, arm_error
from azure_emulator.services.authorization import rbac
from azure_emulator.services.authorization.rbac import Caller
from azure_emulator.world.billing import BillingAccount
from azure_emulator.world.model import World

READ_ACTION = "Microsoft.Billing/billingAccounts/read"


def accounts(world: World) -> list[BillingAccount]:
    return list(world.billing_accounts.values())


def find(world: World, name: str) -> BillingAccount | None:
    return world.billing_account(name)


def not_found(name: str) -> ApiError:
    return arm_error(404, "BillingAccountNotFound", f"Billing account '{name}' was not found.")


def can_read(world: World, caller: Caller, account: BillingAccount) -> bool:
    return rbac.is_authorized(world, caller, READ_ACTION, account.id)


def require_read(world: World, caller: Caller, account: BillingAccount) -> None:
    if not can_read(world, caller, account):
        raise rbac.authorization_failed(caller, READ_ACTION, account.id)


def require_read_at(world: World, caller: Caller, scope: str, action: str) -> None:
    """403 unless a billing role at or above ``scope`` allows ``action``."""
    if not rbac.is_authorized(world, caller, action, scope):
        raise rbac.authorization_failed(caller, action, scope)


def child_not_found(kind: str, name: str) -> ApiError:
    code = kind.replace(" ", "") + "NotFound"
    return arm_error(404, code, f"{kind[0].upper()}{kind[1:]} '{name}' was not found.")
