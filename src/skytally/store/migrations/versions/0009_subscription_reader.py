"""accounts: which identity reads each subscription; each subscription's last sync result

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import skytally.store.base

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cloud_subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('read_by', sa.String(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('read_by_credential_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('last_sync_status', sa.String(length=16), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('last_sync_error', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('last_sync_attempt_at', skytally.store.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_cloud_subscriptions_read_by_credential_id_account_credentials'),
                                    'account_credentials', ['read_by_credential_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('cloud_subscriptions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cloud_subscriptions_read_by_credential_id_account_credentials'),
                                 type_='foreignkey')
        batch_op.drop_column('last_sync_attempt_at')
        batch_op.drop_column('last_sync_error')
        batch_op.drop_column('last_sync_status')
        batch_op.drop_column('read_by_credential_id')
        batch_op.drop_column('read_by')
