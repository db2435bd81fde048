"""The Azure connector: the one place that builds Azure SDK clients and credentials."""
