"""inventory: indexes for the Resources & Tags list at 100k resources (each sort with the
id tie-break; subscription + type; lower-cased location, as it is filtered)

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-07 16:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inventory_resources', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_resources_name')
        batch_op.drop_index('ix_inventory_resources_type')
        batch_op.create_index('ix_inventory_resources_name_id', ['name', 'id'], unique=False)
        batch_op.create_index('ix_inventory_resources_type_name', ['type', 'name', 'id'], unique=False)
        batch_op.create_index('ix_inventory_resources_rg_id', ['resource_group', 'id'], unique=False)
        batch_op.create_index('ix_inventory_resources_sub_type', ['subscription_id', 'type', 'id'], unique=False)
        batch_op.create_index('ix_inventory_resources_location_lower', [sa.text('lower(location)'), 'id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inventory_resources', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_resources_location_lower')
        batch_op.drop_index('ix_inventory_resources_sub_type')
        batch_op.drop_index('ix_inventory_resources_rg_id')
        batch_op.drop_index('ix_inventory_resources_type_name')
        batch_op.drop_index('ix_inventory_resources_name_id')
        batch_op.create_index('ix_inventory_resources_type', ['type'], unique=False)
        batch_op.create_index('ix_inventory_resources_name', ['name'], unique=False)
