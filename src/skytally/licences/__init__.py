"""Microsoft 365 licences: SKUs, users, groups and activity through Microsoft Graph."""
