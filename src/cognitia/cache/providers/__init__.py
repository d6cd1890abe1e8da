"""Cache and rate-limiter adapters."""
