"""Entra ID (Azure AD) v2.0: discovery, JWKS, token endpoint, authorize/consent pages."""
