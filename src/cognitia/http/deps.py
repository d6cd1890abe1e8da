"""Dependencies every router uses: the one adapter an endpoint needs, the request's unit of
work, the client IP.

The lifespan (app.py) builds the process's adapters once and keeps them on `app.state`;
an endpoint asks for the ones it uses (`db: DbDep`, `models: ModelsDep`), never for the
whole set, so what each endpoint touches is written in its signature.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.agents.tools.mcp.connections import McpConnections
from cognitia.agents.tools.registry import ToolRegistry
from cognitia.cache.ports import Cache, RateLimiter
from cognitia.config import Settings
from cognitia.db import Database
from cognitia.events.ports import EventBus
from cognitia.jobs.ports import JobQueue
from cognitia.llm.registry import ModelRegistry
from cognitia.llm.service import UsageRecorder
from cognitia.mail.ports import Mailer
from cognitia.retrieval.ports import VectorIndex
from cognitia.storage.ports import BlobStore
from cognitia.voice.metering import AudioMeter
from cognitia.voice.registry import VoiceRegistry


def _adapters(request: Request) -> Any:
    # The lifespan keeps the process's Runtime here. Its type stays unnamed: nothing below
    # the composition root imports cognitia.runtime; each getter below names what it takes.
    return request.app.state.runtime


def get_settings(request: Request) -> Settings:
    settings: Settings = _adapters(request).settings
    return settings


def get_db(request: Request) -> Database:
    db: Database = _adapters(request).db
    return db


def get_models(request: Request) -> ModelRegistry:
    models: ModelRegistry = _adapters(request).models
    return models


def get_usage(request: Request) -> UsageRecorder:
    usage: UsageRecorder = _adapters(request).usage
    return usage


def get_events(request: Request) -> EventBus:
    events: EventBus = _adapters(request).events
    return events


def get_queue(request: Request) -> JobQueue:
    queue: JobQueue = _adapters(request).queue
    return queue


def get_blobs(request: Request) -> BlobStore:
    blobs: BlobStore = _adapters(request).blobs
    return blobs


def get_vectors(request: Request) -> VectorIndex:
    vectors: VectorIndex = _adapters(request).vectors
    return vectors


def get_cache(request: Request) -> Cache:
    cache: Cache = _adapters(request).cache
    return cache


def get_rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = _adapters(request).rate_limiter
    return limiter


def get_mailer(request: Request) -> Mailer:
    mailer: Mailer = _adapters(request).mailer
    return mailer


def get_redis(request: Request) -> Redis | None:
    """The process's Redis client; None on embedded defaults (no `redis_url`)."""
    redis: Redis | None = _adapters(request).redis
    return redis


def get_voices(request: Request) -> VoiceRegistry:
    voices: VoiceRegistry = _adapters(request).voices
    return voices


def get_meter(request: Request) -> AudioMeter:
    meter: AudioMeter = _adapters(request).meter
    return meter


def get_tools(request: Request) -> ToolRegistry:
    tools: ToolRegistry = _adapters(request).tools
    return tools


def get_mcp(request: Request) -> McpConnections:
    mcp: McpConnections = _adapters(request).mcp
    return mcp


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbDep = Annotated[Database, Depends(get_db)]
ModelsDep = Annotated[ModelRegistry, Depends(get_models)]
UsageDep = Annotated[UsageRecorder, Depends(get_usage)]
EventsDep = Annotated[EventBus, Depends(get_events)]
QueueDep = Annotated[JobQueue, Depends(get_queue)]
BlobsDep = Annotated[BlobStore, Depends(get_blobs)]
VectorsDep = Annotated[VectorIndex, Depends(get_vectors)]
CacheDep = Annotated[Cache, Depends(get_cache)]
RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]
MailerDep = Annotated[Mailer, Depends(get_mailer)]
RedisDep = Annotated[Redis | None, Depends(get_redis)]
VoicesDep = Annotated[VoiceRegistry, Depends(get_voices)]
ToolsDep = Annotated[ToolRegistry, Depends(get_tools)]
MeterDep = Annotated[AudioMeter, Depends(get_meter)]
McpDep = Annotated[McpConnections, Depends(get_mcp)]


async def get_session(db: DbDep) -> AsyncIterator[AsyncSession]:
    """One unit of work per request, committed before the response is sent."""
    async with db.unit_of_work() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def client_ip(request: Request) -> str:
    """The caller's address. X-Forwarded-For was already applied, and only from the proxies
    in `http.trusted_proxies`, by the middleware create_app installs for them."""
    return request.client.host if request.client else "unknown"


ClientIp = Annotated[str, Depends(client_ip)]
