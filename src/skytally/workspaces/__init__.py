"""Organisation, workspaces, users, memberships, API tokens and web sessions."""
