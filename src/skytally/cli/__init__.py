"""The `skytally` command line: thin commands over the services."""
