"""Microsoft.Authorization: role definitions, role assignments, permissions and RBAC enforcement."""
