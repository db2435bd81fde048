"""licences: the report last built per account (default figures), so the Licences page's
first view after an import reads it instead of analysing every user again

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import skytally.store.base

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('licence_report_cache',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('built_at', skytally.store.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['cloud_accounts.id'], name=op.f('fk_licence_report_cache_account_id_cloud_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_licence_report_cache'))
    )


def downgrade() -> None:
    op.drop_table('licence_report_cache')
