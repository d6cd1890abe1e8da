"""JobQueue adapters."""
