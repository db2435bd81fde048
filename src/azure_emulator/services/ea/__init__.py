"""The legacy EA reporting API (consumption.azure.com), guarded by enrollment API keys."""
