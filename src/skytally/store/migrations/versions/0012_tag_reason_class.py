"""tags: a failed change's reason class (Azure's code and a message naming no resource),
kept beside the per-resource reason so that failures group (inventory_tags, tag_audit)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 18:00:00
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# "Azure answered 409 ScopeLocked: The scope '/subscriptions/…' …" → "409 ScopeLocked"
_ANSWERED = re.compile(r"^Azure answered (\d{3} \w+)")


def upgrade() -> None:
    with op.batch_alter_table('inventory_tags', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason_class', sa.String(length=300), server_default='', nullable=False))
    with op.batch_alter_table('tag_audit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason_class', sa.String(length=300), server_default='', nullable=False))
    _backfill_failed()


def _backfill_failed() -> None:
    """Failures recorded before the class existed: the status and code their reason starts
    with, else the reason's first words (a resource's id never comes first)."""
    conn = op.get_bind()
    for table, where in (("inventory_tags", "state = 'failed'"), ("tag_audit", "result = 'failed'")):
        rows = conn.execute(sa.text(f"SELECT id, reason FROM {table} WHERE {where} AND reason <> ''")).all()
        for row_id, reason in rows:
            match = _ANSWERED.match(reason or "")
            kind = match.group(1) if match else (reason or "").split(";")[0].split("(")[0].strip()[:120]
            conn.execute(sa.text(f"UPDATE {table} SET reason_class = :k WHERE id = :i"),
                         {"k": kind, "i": row_id})


def downgrade() -> None:
    with op.batch_alter_table('tag_audit', schema=None) as batch_op:
        batch_op.drop_column('reason_class')
    with op.batch_alter_table('inventory_tags', schema=None) as batch_op:
        batch_op.drop_column('reason_class')
