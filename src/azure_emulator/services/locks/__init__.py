"""Management locks (Microsoft.Authorization/locks, 2020-05-01): CRUD and the ScopeLocked check."""
