"""Microsoft Graph v1.0 (directory objects now; Microsoft 365 reports come in reports.py)."""
