"""Cloud accounts: Azure and Office 365 tenants connected by consent or credentials,
their subscriptions and access levels, EA tokens, billing accounts, workspaces."""
