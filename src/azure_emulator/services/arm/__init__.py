"""Azure Resource Manager: tenants, subscriptions, resource groups, resources, tags, providers."""
