"""Which identity reads a subscription — the one rule every capability uses.

A tenant can hold several identities: skytally's multi-tenant app (after an owner's
consent, skytally assigned its role to skytally's service principal) and the customer's
own service principals (credentials). Each subscription is read by exactly one of them:

1. the identity recorded on the subscription (`read_by`): "skytally_app" when an owner
   consented for it, "service_principal" (with the credential) when a customer's principal
   listed it. A later consent for a subscription moves it to skytally's app: the owner just
   granted skytally's own identity a role there, for that purpose;
2. a row from before that record (`read_by` empty): skytally's app if an owner consented
   for it (`consented_by`), else the tenant's first credential.
3. a recorded credential that was deleted: the tenant's first other credential, else
   skytally's app if the tenant was consented, else nothing (the subscription says so).

Inventory, tags, costs (subscription scopes) and licences call `reader_credential` /
`readers_of` (re-exported by `accounts.service`); none chooses a credential itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from skytally.accounts import repo
from skytally.accounts.context import AccountsEnv
from skytally.accounts.credentials import stored_model
from skytally.accounts.identity import skytally_credential
from skytally.accounts.models import AccountCredential, CloudAccount, CloudSubscription

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

SKYTALLY_APP = "skytally_app"
SERVICE_PRINCIPAL = "service_principal"


@dataclass(frozen=True)
class Reader:
    """An identity, without its secret: skytally's app, or credential `credential_id`."""

    kind: str  # SKYTALLY_APP | SERVICE_PRINCIPAL | "" (none)
    credential_id: int | None = None
    client_id: str = ""

    @property
    def label(self) -> str:
        if self.kind == SKYTALLY_APP:
            return "skytally's app (consent)"
        if self.kind == SERVICE_PRINCIPAL:
            return f"your service principal {self.client_id}"
        return "no identity: connect a service principal or consent as an owner"


NO_READER = Reader("")


@dataclass
class ReaderGroup:
    """Subscriptions one identity reads, with that identity's credential (None: none)."""

    reader: Reader
    credential: TokenCredential | None
    subscriptions: list[CloudSubscription] = field(default_factory=list)


def subscription_reader(session: Session, account: CloudAccount, sub: CloudSubscription,
                        credentials: list[AccountCredential] | None = None) -> Reader:
    """The identity that reads `sub` (the rule above); no secret is touched."""
    creds = credentials if credentials is not None else repo.credentials_of(session, account.id)
    by_id = {c.id: c for c in creds}
    consented = account.connection == "consent" or account.consented_at is not None
    if sub.read_by == SKYTALLY_APP:
        return Reader(SKYTALLY_APP)
    if sub.read_by == SERVICE_PRINCIPAL and sub.read_by_credential_id in by_id:
        cred = by_id[sub.read_by_credential_id]
        return Reader(SERVICE_PRINCIPAL, cred.id, cred.client_id)
    if not sub.read_by and (sub.consented_by or (account.connection == "consent" and not creds)):
        return Reader(SKYTALLY_APP)
    if creds:
        return Reader(SERVICE_PRINCIPAL, creds[0].id, creds[0].client_id)
    return Reader(SKYTALLY_APP) if consented else NO_READER


def build_credential(session: Session, env: AccountsEnv, account: CloudAccount, reader: Reader) -> TokenCredential | None:
    if reader.kind == SKYTALLY_APP:
        return skytally_credential(env.connector, env.settings, account.tenant_id)
    if reader.kind == SERVICE_PRINCIPAL and reader.credential_id is not None:
        row = session.get(AccountCredential, reader.credential_id)
        if row is not None:
            return stored_model(session, env, account, row).build(env.connector, account.tenant_id)
    return None


def tenant_credential(session: Session, env: AccountsEnv, account: CloudAccount,
                      credential_id: int | None = None) -> TokenCredential | None:
    """The identity for a call about the tenant rather than one subscription (billing
    scopes, Graph, tag write-back planning): the credential recorded with the scope
    (`credential_id`, e.g. the principal that found a billing account) while it exists;
    else skytally's app for a tenant connected by consent; else the tenant's first service
    principal; None when the tenant has neither."""
    creds = repo.credentials_of(session, account.id)
    recorded = next((c for c in creds if c.id == credential_id), None) if credential_id is not None else None
    if recorded is not None:
        return build_credential(session, env, account, Reader(SERVICE_PRINCIPAL, recorded.id, recorded.client_id))
    if account.connection == "consent":
        return build_credential(session, env, account, Reader(SKYTALLY_APP))
    if creds:
        return build_credential(session, env, account, Reader(SERVICE_PRINCIPAL, creds[0].id, creds[0].client_id))
    return None


def reader_credential(session: Session, env: AccountsEnv, account: CloudAccount,
                      subscription_id: str) -> TokenCredential | None:
    """The credential that reads one subscription of `account` (None: no identity can)."""
    sub = repo.subscription(session, account.id, subscription_id.lower())
    if sub is None:
        return None
    return build_credential(session, env, account, subscription_reader(session, account, sub))


def readers_of(session: Session, env: AccountsEnv, account: CloudAccount,
               subscriptions: list[CloudSubscription] | None = None) -> list[ReaderGroup]:
    """The account's subscriptions grouped by the identity that reads them (for fan-out:
    one credential per group)."""
    creds = repo.credentials_of(session, account.id)
    groups: dict[Reader, ReaderGroup] = {}
    for sub in subscriptions if subscriptions is not None else account.subscriptions:
        reader = subscription_reader(session, account, sub, creds)
        if reader not in groups:
            groups[reader] = ReaderGroup(reader, build_credential(session, env, account, reader))
        groups[reader].subscriptions.append(sub)
    return list(groups.values())


def mark_read_by_app(sub: CloudSubscription) -> None:
    """An owner consented for `sub`: skytally's app reads it from now on."""
    sub.read_by, sub.read_by_credential_id = SKYTALLY_APP, None


def mark_read_by_credential(sub: CloudSubscription, credential_id: int) -> None:
    """A customer's principal listed `sub`. It reads it unless skytally's app already does
    (an owner consented for it: that grant was made for skytally's own identity)."""
    if sub.read_by != SKYTALLY_APP:
        sub.read_by, sub.read_by_credential_id = SERVICE_PRINCIPAL, credential_id
