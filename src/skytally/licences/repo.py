"""Every SQL statement of the licences domain (never commits)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from skytally.licences.models import (
    LicenceGroup,
    LicenceImport,
    LicencePrice,
    LicenceReportCache,
    LicenceSku,
    LicenceUser,
)
from skytally.store.base import utcnow

_CHUNK = 2000


def _bulk(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), _CHUNK):
        session.execute(insert(table), rows[i:i + _CHUNK])


def replace_skus(session: Session, account_id: int, rows: list[dict[str, Any]]) -> None:
    session.execute(delete(LicenceSku).where(LicenceSku.account_id == account_id))
    _bulk(session, LicenceSku, [{**r, "account_id": account_id} for r in rows])


def replace_users(session: Session, account_id: int, rows: list[dict[str, Any]]) -> None:
    session.execute(delete(LicenceUser).where(LicenceUser.account_id == account_id))
    _bulk(session, LicenceUser, [{**r, "account_id": account_id} for r in rows])


def replace_groups(session: Session, account_id: int, rows: list[dict[str, Any]]) -> None:
    session.execute(delete(LicenceGroup).where(LicenceGroup.account_id == account_id))
    _bulk(session, LicenceGroup, [{**r, "account_id": account_id} for r in rows])


def import_row(session: Session, account_id: int) -> LicenceImport | None:
    return session.get(LicenceImport, account_id)


def skus(session: Session, account_id: int) -> list[LicenceSku]:
    return list(session.scalars(select(LicenceSku).where(LicenceSku.account_id == account_id)
                                .order_by(LicenceSku.part_number)))


def users(session: Session, account_id: int) -> list[LicenceUser]:
    return list(session.scalars(select(LicenceUser).where(LicenceUser.account_id == account_id)
                                .order_by(LicenceUser.upn)))


def user_tuples(session: Session, account_id: int) -> list[Any]:
    """Users as light rows (no ORM identity map): what analysis reads at 50,000 users.
    analysis.to_rule_users unpacks them by position: keep the column order."""
    cols = [LicenceUser.object_id, LicenceUser.upn, LicenceUser.display_name, LicenceUser.department,
            LicenceUser.job_title, LicenceUser.account_enabled, LicenceUser.user_type, LicenceUser.licences,
            LicenceUser.last_sign_in, LicenceUser.last_activity, LicenceUser.mailbox_type, LicenceUser.mailbox_bytes,
            LicenceUser.has_archive]
    return list(session.execute(select(*cols).where(LicenceUser.account_id == account_id)
                                .order_by(LicenceUser.upn)))


def groups(session: Session, account_id: int) -> list[LicenceGroup]:
    return list(session.scalars(select(LicenceGroup).where(LicenceGroup.account_id == account_id)))


def prices(session: Session, account_id: int) -> list[LicencePrice]:
    return list(session.scalars(select(LicencePrice).where(LicencePrice.account_id == account_id)))


def price(session: Session, account_id: int, sku_id: str) -> LicencePrice | None:
    return session.scalars(select(LicencePrice).where(LicencePrice.account_id == account_id,
                                                      LicencePrice.sku_id == sku_id)).first()


def delete_price(session: Session, account_id: int, sku_id: str) -> None:
    session.execute(delete(LicencePrice).where(LicencePrice.account_id == account_id, LicencePrice.sku_id == sku_id))


def report_cache(session: Session, account_id: int) -> LicenceReportCache | None:
    return session.get(LicenceReportCache, account_id)


def store_report_cache(session: Session, account_id: int, key: str, body: bytes) -> None:
    row = session.get(LicenceReportCache, account_id) or LicenceReportCache(account_id=account_id)
    row.key, row.body, row.built_at = key, body, utcnow()
    session.add(row)

