"""Deny policy assignments (configured through the control API): RequestDisallowedByPolicy."""
