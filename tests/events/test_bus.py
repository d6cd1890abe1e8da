"""The EventBus contract, on the in-process adapter and on Redis pub/sub."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from typing import Any

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from cognitia.events.providers.memory import DEFAULT_QUEUE_SIZE, InMemoryEventBus, Subscription
from cognitia.events.providers.redis import PREFIX, RedisEventBus
from tests.support.waiting import eventually

pytestmark = pytest.mark.asyncio

Bus = InMemoryEventBus | RedisEventBus
MakeBus = Callable[..., Bus]


@pytest_asyncio.fixture(params=["memory", "redis"])
async def make_bus(request: pytest.FixtureRequest) -> AsyncIterator[MakeBus]:
    """Builds buses of one kind; on Redis, each with its own client, as processes would."""
    buses: list[Bus] = []
    clients: list[Redis] = []

    def make(queue_size: int = DEFAULT_QUEUE_SIZE) -> Bus:
        bus: Bus
        if request.param == "memory":
            bus = InMemoryEventBus(queue_size)
        else:
            client = Redis.from_url(request.getfixturevalue("redis_url"))
            clients.append(client)
            bus = RedisEventBus(client, queue_size=queue_size)
        buses.append(bus)
        return bus

    yield make
    for bus in buses:
        await bus.close()
    for client in clients:
        await client.aclose()


@pytest.fixture
def bus(make_bus: MakeBus) -> Bus:
    return make_bus()


async def listening(bus: Bus, channel: str) -> Subscription:
    subscription = bus.subscribe(channel)
    await subscription.ready()
    return subscription


async def take(subscription: Subscription, count: int) -> list[dict[str, Any]]:
    return [await anext(subscription) for _ in range(count)]


async def test_a_subscriber_gets_what_is_published_in_order(bus: Bus) -> None:
    subscription = await listening(bus, "chat:1")
    events = [{"event": "token", "data": {"text": f"t{i}", "n": i}} for i in range(5)]

    for event in events:
        await bus.publish("chat:1", event)

    assert await take(subscription, 5) == events
    await subscription.aclose()


async def test_every_subscriber_gets_every_event(bus: Bus) -> None:
    subscriptions = [await listening(bus, "chat:1") for _ in range(3)]

    await bus.publish("chat:1", {"event": "a"})
    await bus.publish("chat:1", {"event": "b"})

    for subscription in subscriptions:
        assert await take(subscription, 2) == [{"event": "a"}, {"event": "b"}]
        await subscription.aclose()


async def test_subscribers_get_their_own_copy(bus: Bus) -> None:
    first, second = await listening(bus, "c"), await listening(bus, "c")

    await bus.publish("c", {"data": {"items": [1]}})
    mine = await anext(first)
    mine["data"]["items"].append(2)

    assert await anext(second) == {"data": {"items": [1]}}
    await first.aclose()
    await second.aclose()


async def test_channels_are_isolated(bus: Bus) -> None:
    one, two = await listening(bus, "chat:1"), await listening(bus, "chat:2")

    await bus.publish("chat:2", {"to": 2})
    await bus.publish("chat:3", {"to": 3})
    await bus.publish("chat:1", {"to": 1})

    assert await anext(one) == {"to": 1}
    assert await anext(two) == {"to": 2}
    await one.aclose()
    await two.aclose()


async def test_closing_the_iterator_unsubscribes(bus: Bus) -> None:
    staying = await listening(bus, "c")
    async with aclosing(await listening(bus, "c")) as leaving:
        await bus.publish("c", {"n": 1})
        assert await anext(leaving) == {"n": 1}
        assert bus.subscribers("c") == 2

    assert bus.subscribers("c") == 1
    await bus.publish("c", {"n": 2})
    assert await take(staying, 2) == [{"n": 1}, {"n": 2}]
    with pytest.raises(StopAsyncIteration):
        await anext(leaving)

    await staying.aclose()
    assert bus.subscribers("c") == 0


async def test_a_slow_subscriber_loses_its_oldest_events(make_bus: MakeBus) -> None:
    bus = make_bus(queue_size=5)
    slow = await listening(bus, "c")

    for i in range(50):  # nobody reads meanwhile: the publisher never waits
        await bus.publish("c", {"n": i})

    async def all_delivered() -> bool:
        return slow.dropped == 45

    await eventually(all_delivered, timeout=5)
    assert [e["n"] for e in await take(slow, 5)] == list(range(45, 50))
    await slow.aclose()


async def test_a_stalled_subscriber_holds_up_neither_publisher_nor_others(
    make_bus: MakeBus,
) -> None:
    bus = make_bus(queue_size=5)
    stalled = await listening(bus, "c")
    reading = await listening(bus, "c")

    async def read() -> list[int]:
        return [e["n"] for e in await take(reading, 50)]

    reader = asyncio.create_task(read())
    for i in range(50):
        await bus.publish("c", {"n": i})
        await asyncio.sleep(0.001)

    assert await reader == list(range(50))
    assert reading.dropped == 0
    assert stalled.dropped == 45
    await stalled.aclose()
    await reading.aclose()


async def test_closing_the_bus_ends_every_subscription(make_bus: MakeBus) -> None:
    bus = make_bus()
    subscription = await listening(bus, "c")
    waiting = asyncio.create_task(anext(subscription))
    await asyncio.sleep(0.01)

    await bus.close()

    with pytest.raises(StopAsyncIteration):
        await waiting
    later = bus.subscribe("c")
    await later.ready()
    with pytest.raises(StopAsyncIteration):
        await anext(later)


async def test_events_must_be_json(bus: Bus) -> None:
    with pytest.raises(TypeError):
        await bus.publish("c", {"when": object()})


# Redis only


@pytest_asyncio.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest_asyncio.fixture
async def redis_buses(redis_url: str) -> AsyncIterator[tuple[RedisEventBus, RedisEventBus]]:
    clients = [Redis.from_url(redis_url), Redis.from_url(redis_url)]
    buses = (RedisEventBus(clients[0]), RedisEventBus(clients[1]))
    yield buses
    for bus in buses:
        await bus.close()
    for client in clients:
        await client.aclose()


async def subscribed_in_redis(redis: Redis, channel: str) -> int:
    counts = dict(await redis.pubsub_numsub(PREFIX + channel))
    return int(counts[(PREFIX + channel).encode()])


async def test_two_processes_see_each_others_events(
    redis_buses: tuple[RedisEventBus, RedisEventBus],
) -> None:
    one, two = redis_buses
    on_one, on_two = await listening(one, "chat:9"), await listening(two, "chat:9")

    await one.publish("chat:9", {"from": "one"})
    await two.publish("chat:9", {"from": "two"})

    assert await take(on_one, 2) == [{"from": "one"}, {"from": "two"}]
    assert await take(on_two, 2) == [{"from": "one"}, {"from": "two"}]
    await on_one.aclose()
    await on_two.aclose()


async def test_redis_carries_json_on_prefixed_channels(
    redis: Redis, redis_buses: tuple[RedisEventBus, RedisEventBus]
) -> None:
    bus, _ = redis_buses
    async with redis.pubsub() as raw:
        await raw.subscribe("cognitia:events:chat:1")
        assert (await raw.get_message(timeout=5))["type"] == "subscribe"

        await bus.publish("chat:1", {"event": "token", "data": {"text": "hé"}})

        message = await raw.get_message(timeout=5)
    assert message is not None
    assert message["data"].decode() == '{"event": "token", "data": {"text": "h\\u00e9"}}'


async def test_one_redis_subscription_per_channel_until_the_last_leaves(
    redis: Redis, redis_buses: tuple[RedisEventBus, RedisEventBus]
) -> None:
    bus, _ = redis_buses
    subscriptions = [await listening(bus, "c") for _ in range(3)]
    assert await subscribed_in_redis(redis, "c") == 1

    for subscription in subscriptions[:2]:
        await subscription.aclose()
    assert await subscribed_in_redis(redis, "c") == 1

    await subscriptions[2].aclose()

    async def gone() -> bool:
        return await subscribed_in_redis(redis, "c") == 0

    await eventually(gone, timeout=5)


async def test_subscribing_again_right_after_leaving_works(
    redis_buses: tuple[RedisEventBus, RedisEventBus],
) -> None:
    bus, other = redis_buses
    for round_ in range(5):
        first = bus.subscribe("c")
        await first.aclose()
        again = await listening(bus, "c")

        await other.publish("c", {"round": round_})

        assert await anext(again) == {"round": round_}
        await again.aclose()


async def test_closing_the_bus_gives_its_connection_back(
    redis: Redis, redis_buses: tuple[RedisEventBus, RedisEventBus]
) -> None:
    bus, _ = redis_buses
    await listening(bus, "c")
    await listening(bus, "d")
    assert await subscribed_in_redis(redis, "c") == 1

    await bus.close()

    async def gone() -> bool:
        return await subscribed_in_redis(redis, "c") + await subscribed_in_redis(redis, "d") == 0

    await eventually(gone, timeout=5)


async def test_a_lost_connection_is_re_established_and_resubscribed(redis_url: str) -> None:
    name = f"events-test-{uuid.uuid4().hex}"
    client = Redis.from_url(redis_url, client_name=name)
    bus = RedisEventBus(client)
    admin = Redis.from_url(redis_url)
    try:
        subscription = await listening(bus, "c")
        killed = 0
        for entry in await admin.client_list():
            if entry.get("name") == name and "P" in str(entry.get("flags")):
                await admin.client_kill_filter(_id=entry["id"])
                killed += 1
        assert killed == 1

        async def delivered_again() -> dict[str, Any] | None:
            # Events published before the resubscription are lost (documented): probe.
            await bus.publish("c", {"probe": True})
            try:
                async with asyncio.timeout(0.2):
                    return await anext(subscription)
            except TimeoutError:
                return None

        assert await eventually(delivered_again, timeout=15) == {"probe": True}
        await bus.publish("c", {"after": 1})
        event = await anext(subscription)
        while event == {"probe": True}:  # probes still on their way
            event = await anext(subscription)
        assert event == {"after": 1}
    finally:
        await bus.close()
        await client.aclose()
        await admin.aclose()


async def test_a_quiet_connection_is_pinged_and_keeps_working(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = Redis.from_url(redis_url)
    bus = RedisEventBus(client, idle_seconds=0.05)
    other = RedisEventBus(client)
    try:
        subscription = await listening(bus, "c")
        await asyncio.sleep(0.5)  # ten quiet periods: pings, answered

        await other.publish("c", {"still": "here"})

        assert await anext(subscription) == {"still": "here"}
        assert not [r for r in caplog.records if r.name.startswith("cognitia.events")]
    finally:
        await bus.close()
        await other.close()
        await client.aclose()
