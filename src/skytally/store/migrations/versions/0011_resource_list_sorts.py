"""inventory: the Resources & Tags list at 100k resources, every sort and state filter
served by an index: (type, id), (subscription_id, id) replacing (subscription_id),
(last_seen, id); tags (state, resource_pk) replacing (state)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 18:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inventory_resources', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_resources_subscription_id')
        batch_op.create_index('ix_inventory_resources_sub_id', ['subscription_id', 'id'], unique=False)
        batch_op.create_index('ix_inventory_resources_type_id', ['type', 'id'], unique=False)
        batch_op.create_index('ix_inventory_resources_last_seen_id', ['last_seen', 'id'], unique=False)
    with op.batch_alter_table('inventory_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_tags_state')
        batch_op.create_index('ix_inventory_tags_state_resource', ['state', 'resource_pk'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inventory_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_tags_state_resource')
        batch_op.create_index('ix_inventory_tags_state', ['state'], unique=False)
    with op.batch_alter_table('inventory_resources', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_resources_last_seen_id')
        batch_op.drop_index('ix_inventory_resources_type_id')
        batch_op.drop_index('ix_inventory_resources_sub_id')
        batch_op.create_index('ix_inventory_resources_subscription_id', ['subscription_id'], unique=False)
