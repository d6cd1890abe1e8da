"""QuotaCounters adapters: Redis, and the database where there is no Redis."""
