"""Store, read and rotate sealed secrets in the app database."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from skytally.errors import NotFound
from skytally.security.models import StoredSecret
from skytally.security.secretbox import SecretBox, mask


class Vault:
    """Sealed secrets for services. The clear value leaves only as a SecretStr."""

    def __init__(self, box: SecretBox) -> None:
        self.box = box

    def __repr__(self) -> str:
        return "Vault()"

    def put(self, session: Session, purpose: str, value: SecretStr) -> StoredSecret:
        plain = value.get_secret_value()
        row = StoredSecret(purpose=purpose, ciphertext=self.box.seal(plain), hint=mask(plain))
        session.add(row)
        session.flush()
        return row

    def replace(self, session: Session, secret_id: int, value: SecretStr) -> StoredSecret:
        row = self._get(session, secret_id)
        plain = value.get_secret_value()
        row.ciphertext = self.box.seal(plain)
        row.hint = mask(plain)
        session.flush()
        return row

    def reveal(self, session: Session, secret_id: int) -> SecretStr:
        return self.box.open(self._get(session, secret_id).ciphertext)

    def delete(self, session: Session, secret_id: int) -> None:
        session.delete(self._get(session, secret_id))

    def reseal_all(self, session: Session, progress: Callable[[int, int], None] | None = None) -> int:
        rows = list(session.scalars(select(StoredSecret)))
        for i, row in enumerate(rows, 1):
            row.ciphertext = self.box.reseal(row.ciphertext)
            if progress:
                progress(i, len(rows))
        session.flush()
        return len(rows)

    def _get(self, session: Session, secret_id: int) -> StoredSecret:
        row = session.get(StoredSecret, secret_id)
        if row is None:
            raise NotFound(f"stored secret {secret_id} does not exist")
        return row
