"""The emulated world: every tenant, principal, subscription and resource, in memory."""

from azure_emulator.world.model import *  # noqa: F403
