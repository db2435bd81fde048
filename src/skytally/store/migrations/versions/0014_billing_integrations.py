"""accounts: a billing account is an integration of its own: a name the user gives it and
its own workspaces (billing_account_workspaces), independent of its tenant's

Existing billing accounts keep what they had: their workspaces are copied from their
tenant's, so nobody sees more or less after the upgrade.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import skytally.store.base

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('billing_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=200), nullable=False, server_default=''))
    op.create_table(
        'billing_account_workspaces',
        sa.Column('billing_account_id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('created_at', skytally.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['billing_account_id'], ['billing_accounts.id'],
                                name=op.f('fk_billing_account_workspaces_billing_account_id_billing_accounts'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'],
                                name=op.f('fk_billing_account_workspaces_workspace_id_workspaces'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('billing_account_id', 'workspace_id', name=op.f('pk_billing_account_workspaces')),
    )
    with op.batch_alter_table('billing_account_workspaces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_account_workspaces_workspace_id'), ['workspace_id'], unique=False)
    op.execute(
        "INSERT INTO billing_account_workspaces (billing_account_id, workspace_id, created_at) "
        "SELECT b.id, aw.workspace_id, aw.created_at FROM billing_accounts b "
        "JOIN account_workspaces aw ON aw.account_id = b.account_id"
    )


def downgrade() -> None:
    with op.batch_alter_table('billing_account_workspaces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_account_workspaces_workspace_id'))
    op.drop_table('billing_account_workspaces')
    with op.batch_alter_table('billing_accounts', schema=None) as batch_op:
        batch_op.drop_column('name')
