"""skytally: self-hosted FinOps for Microsoft clouds."""

__version__ = "0.1.0"
