"""EventBus adapters: in-process (memory.py) and Redis pub/sub (redis.py).

Both hand out `Subscription`s from memory.py: an async iterator of events with
`ready()`, which returns once anything published from then on will be delivered.
"""
