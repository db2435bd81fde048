"""All tables of the app database, for Alembic. Each capability adds its models here."""

from __future__ import annotations

import skytally.accounts.models
import skytally.costs.models
import skytally.inventory.models
import skytally.inventory.tag_models
import skytally.jobs.models
import skytally.licences.models
import skytally.security.models
import skytally.workspaces.models  # noqa: F401
from skytally.store.base import Base

metadata = Base.metadata
