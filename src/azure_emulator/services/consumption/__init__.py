"""Microsoft.Consumption: usage details (legacy EA / modern MCA)."""
