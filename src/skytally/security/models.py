"""Sealed secrets: every encrypted value the app stores lives in this one table, so
key rotation can find and re-encrypt all of them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from skytally.store.base import Base, UTCDateTime, utcnow


class StoredSecret(Base):
    __tablename__ = "stored_secrets"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(64))
    ciphertext: Mapped[str] = mapped_column(Text)
    hint: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"StoredSecret(id={self.id}, purpose={self.purpose!r}, hint={self.hint!r})"
