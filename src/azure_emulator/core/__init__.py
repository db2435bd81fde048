"""Cross-service machinery: errors, authentication, context, throttling, faults, logging."""
