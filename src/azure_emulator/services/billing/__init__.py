"""Microsoft.Billing: billing accounts (EA enrollments, MCA) and legacy EA API keys."""
