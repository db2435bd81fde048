"""The control API under /_emulator/: inspect and steer the emulator (tests, demo)."""
