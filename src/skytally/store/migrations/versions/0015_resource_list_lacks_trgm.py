"""inventory: the Resources & Tags list's slow filters at 100k resources.

- tags (key_lower, local_value) → (key_lower, local_value, resource_pk): `tag:`, `has:` and
  `lacks:` read the resources carrying a key from the index alone (no row per tag).
- resources (lower(location), name, id): a location filter sorted by name walks it.
- PostgreSQL only: pg_trgm's GIN index on lower(name), for `name~<text>` (LIKE '%text%',
  which no b-tree serves). Created only where the extension can be created (trusted since
  PostgreSQL 13; a role without CREATE on the database is told and goes on without it: the
  filter is then a scan, as before).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 20:45:00
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import DBAPIError

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

log = logging.getLogger("skytally.store")
TRGM = "ix_inventory_resources_name_trgm"


def upgrade() -> None:
    with op.batch_alter_table('inventory_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_tags_key_value')
        batch_op.create_index('ix_inventory_tags_key_value_resource', ['key_lower', 'local_value', 'resource_pk'],
                              unique=False)
    with op.batch_alter_table('inventory_resources', schema=None) as batch_op:
        batch_op.create_index('ix_inventory_resources_location_name', [sa.text('lower(location)'), 'name', 'id'],
                              unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        try:
            with bind.begin_nested():
                bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DBAPIError as exc:
            log.warning("pg_trgm could not be created (%s): name~ filters stay a scan of the resources; "
                        "a superuser can run CREATE EXTENSION pg_trgm and `skytally db upgrade` again", exc.orig)
            return
        bind.exec_driver_sql(f"CREATE INDEX {TRGM} ON inventory_resources USING gin (lower(name) gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {TRGM}")
    with op.batch_alter_table('inventory_resources', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_resources_location_name')
    with op.batch_alter_table('inventory_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_inventory_tags_key_value_resource')
        batch_op.create_index('ix_inventory_tags_key_value', ['key_lower', 'local_value'], unique=False)
