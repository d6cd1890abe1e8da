"""The adapters one process holds: database, job queue, mailer, cache, rate limiter.

Built once by the API's lifespan or by `cognitia worker`, from Settings alone; which
adapter fills each port is decided here and nowhere else.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from redis.asyncio import Redis

from cognitia.cache.ports import Cache, RateLimiter
from cognitia.cache.providers.limits import LimitsRateLimiter
from cognitia.cache.providers.memory import MemoryCache
from cognitia.cache.providers.redis import RedisCache
from cognitia.config import Settings
from cognitia.db import Database, create_engine
from cognitia.jobs.ports import JobQueue
from cognitia.jobs.providers.embedded import EmbeddedJobQueue
from cognitia.jobs.providers.redis_streams import RedisStreamJobQueue
from cognitia.jobs.scheduler import Periodic
from cognitia.llm.catalogue import load as load_catalogue
from cognitia.llm.registry import ModelRegistry
from cognitia.llm.service import UsageRecorder
from cognitia.mail.ports import Mailer
from cognitia.mail.providers.console import ConsoleMailer
from cognitia.mail.providers.memory import MemoryMailer
from cognitia.mail.providers.smtp import SmtpMailer

# Modules whose import registers job handlers.
JOB_MODULES = ["cognitia.mail.tasks", "cognitia.auth.tasks"]


@dataclass
class Runtime:
    settings: Settings
    db: Database
    queue: JobQueue
    mailer: Mailer
    cache: Cache
    rate_limiter: RateLimiter
    models: ModelRegistry
    usage: UsageRecorder
    redis: Redis | None = None
    schedule: list[Periodic] = field(default_factory=list)

    async def close(self) -> None:
        await self.usage.drain()
        await self.models.close()
        await self.queue.close()
        await self.rate_limiter.close()
        if self.redis is not None:
            await self.redis.aclose()
        await self.db.dispose()


def import_job_modules(settings: Settings) -> None:
    for module in [*JOB_MODULES, *settings.jobs.extra_modules]:
        importlib.import_module(module)


def build_queue(settings: Settings, db: Database) -> JobQueue:
    if settings.job_backend == "taskiq":
        if not settings.redis_url:
            raise ValueError("the taskiq job backend needs COGNITIA_REDIS_URL")
        return RedisStreamJobQueue(
            settings.redis_url,
            queue_name=settings.jobs.queue_name,
            redelivery_seconds=settings.jobs.redelivery_seconds,
        )
    return EmbeddedJobQueue(db)


def build_mailer(settings: Settings) -> Mailer:
    if settings.mail.backend == "smtp":
        return SmtpMailer(settings.mail)
    if settings.mail.backend == "memory":
        return MemoryMailer()
    return ConsoleMailer(settings.mail.sender)


def build_runtime(settings: Settings) -> Runtime:
    import_job_modules(settings)
    db = Database(
        create_engine(settings.resolved_database_url, pool_size=settings.database_pool_size)
    )
    queue = build_queue(settings, db)
    db.hooks.append(queue)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    cache: Cache = RedisCache(redis) if redis else MemoryCache()
    limiter = (
        LimitsRateLimiter.on_redis(settings.redis_url)
        if settings.redis_url
        else LimitsRateLimiter.in_memory()
    )
    schedule = [Periodic("auth.cleanup", settings.jobs.cleanup_interval_seconds)]
    return Runtime(
        settings=settings,
        db=db,
        queue=queue,
        mailer=build_mailer(settings),
        cache=cache,
        rate_limiter=limiter,
        models=build_models(settings),
        usage=UsageRecorder(db),
        redis=redis,
        schedule=schedule,
    )


def build_models(settings: Settings) -> ModelRegistry:
    llm = settings.llm
    catalogue = load_catalogue(llm.catalogue_path, default_model=llm.default_model)
    return ModelRegistry(
        catalogue,
        breaker_threshold=llm.breaker_failure_threshold,
        breaker_cooldown_seconds=llm.breaker_cooldown_seconds,
    )
