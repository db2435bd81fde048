"""Inventory: the live Azure resources of each connected tenant, listed with Azure Resource
Graph, and the state of each subscription's last sync. Tags (access levels `tags` and
`tags-writeback`), tag rules and write-back come with a later part of this capability."""
