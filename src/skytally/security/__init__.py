"""Secrets at rest, password hashing and token hashing."""
