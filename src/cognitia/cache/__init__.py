"""Cache and rate-limit ports with in-process and Redis adapters."""
