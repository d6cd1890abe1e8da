"""Plans, subscriptions, quotas and rate limits (docs/plans.md)."""
