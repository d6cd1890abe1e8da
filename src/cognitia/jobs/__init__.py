"""Background jobs: a registry of handlers behind a JobQueue port.

Embedded default: jobs.providers.embedded (a durable table polled in-process).
Production: jobs.providers.redis_streams (taskiq on Redis Streams, acknowledged delivery).
"""
