"""The FastAPI application factory and its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from cognitia import __version__
from cognitia.agents.sessions.router import router as sessions_router
from cognitia.agents.tasks.router import router as tasks_router
from cognitia.agents.tools.registry import offer_python
from cognitia.auth.first_user import first_user_notice
from cognitia.auth.router import keys_router
from cognitia.auth.router import router as auth_router
from cognitia.billing.payments.router import router as payments_router
from cognitia.billing.payments.router import webhook_router as stripe_webhook_router
from cognitia.billing.rates import ViolationMiddleware, rate_limited
from cognitia.billing.router import admin_router as billing_admin_router
from cognitia.billing.router import router as subscription_router
from cognitia.billing.usage_router import router as billing_usage_router
from cognitia.characters.lorebooks.router import router as lorebooks_router
from cognitia.characters.personas.router import router as personas_router
from cognitia.characters.router import router as characters_router
from cognitia.chats.call_router import router as chat_call_router
from cognitia.chats.events_router import router as chat_events_router
from cognitia.chats.livekit_router import router as livekit_router
from cognitia.chats.router import router as chats_router
from cognitia.chats.shutdown import GracefulShutdown
from cognitia.config import Settings
from cognitia.http import errors, openapi, webui
from cognitia.http.gates import EndpointGate
from cognitia.http.metrics_port import metrics_port
from cognitia.http.middleware import RequestContextMiddleware
from cognitia.http.schema_gate import SchemaGate
from cognitia.jobs import backlog
from cognitia.jobs.providers.embedded import EmbeddedJobQueue, EmbeddedRunner
from cognitia.jobs.scheduler import run_schedule
from cognitia.knowledge.router import bank_router as documents_router
from cognitia.knowledge.router import character_router as character_documents_router
from cognitia.llm.ports import ProviderError
from cognitia.llm.router import router as llm_router
from cognitia.memory.router import router as memories_router
from cognitia.migrations.status import SchemaCheck
from cognitia.observability import logging as cognitia_logging
from cognitia.observability.health import router as health_router
from cognitia.openai_api.router import router as openai_router
from cognitia.retrieval import service as retrieval
from cognitia.runtime import Runtime, build_runtime
from cognitia.users.router import admin_router
from cognitia.users.router import router as users_router
from cognitia.voice.router import router as voice_router
from cognitia.voice.transcription_router import router as transcription_router

log = logging.getLogger(__name__)


def start_embedded_jobs(runtime: Runtime) -> list[asyncio.Task[None]]:
    """Run the embedded runner and the periodic scheduler as tasks of this process."""
    assert isinstance(runtime.queue, EmbeddedJobQueue)
    jobs = runtime.settings.jobs
    runner = EmbeddedRunner(
        runtime,
        runtime.queue,
        concurrency=jobs.concurrency,
        poll_seconds=jobs.poll_seconds,
        lease_seconds=jobs.lease_seconds,
    )
    return [
        asyncio.create_task(runner.run_forever(), name="job-runner"),
        asyncio.create_task(run_schedule(runtime.queue, runtime.schedule), name="job-scheduler"),
    ]


async def stop_tasks(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


async def announce_ready(runtime: Runtime) -> None:
    """Start-up's last line: the address to open, once the local models and voices have
    loaded (so the first message, spoken or not, is answered at full speed)."""
    settings = runtime.settings
    runner = settings.llm.runner
    if runner.start_at_boot and runtime.models.needs_runner():
        with contextlib.suppress(ProviderError):
            await runtime.models.runner.ready(runner.start_timeout_seconds)
    voice_runner = runtime.voices.runner
    if settings.voice.enabled and settings.voice.runner.start_at_boot and voice_runner:
        with contextlib.suppress(ProviderError):
            await voice_runner.ready(settings.voice.runner.start_timeout_seconds)
    log.info("Cognitia is ready: open %s/", runtime.settings.public_url.rstrip("/"))


async def check_schema(runtime: Runtime) -> SchemaCheck:
    """Say at start when the database's schema is behind the code: requests are refused
    with 503 schema_out_of_date until it is migrated (http/schema_gate.py)."""
    check = SchemaCheck(runtime.db.engine)
    with contextlib.suppress(Exception):  # an unreachable database: /readyz says so
        if problem := await check.problem():
            log.error("database schema out of date: %s Requests get 503 until then.", problem)
    return check


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    runtime = build_runtime(settings)
    app.state.runtime = runtime
    app.state.schema_check = await check_schema(runtime)
    if notice := await first_user_notice(settings, runtime.db):
        log.info(notice)
    current = runtime.models.catalogue.default_embedder
    if mismatch := await retrieval.embedder_mismatch(runtime.db, current=current):
        log.warning(mismatch)
    await runtime.generations.listen()  # stop commands from other API processes
    await runtime.watchers.listen(runtime.events)  # revocations from every API process
    shutdown = app.state.shutdown = GracefulShutdown(
        runtime.generations, runtime.watchers, runtime.events, settings.http.shutdown_grace_seconds
    )
    shutdown.start()
    if settings.llm.runner.start_at_boot:
        await runtime.models.start()  # local models load while the server starts
    if settings.voice.enabled and settings.voice.runner.start_at_boot:
        await runtime.voices.start()  # the voice runner, when a local voice is installed
    await offer_python(runtime.tools, settings.tools)
    tasks: list[asyncio.Task[None]] = []
    if settings.job_backend == "embedded" and settings.jobs.run_in_api:
        tasks = start_embedded_jobs(runtime)
        app.state.runner_task = tasks[0]
    tasks.append(asyncio.create_task(announce_ready(runtime), name="announce-ready"))
    tasks.append(asyncio.create_task(backlog.watch(runtime.queue), name="job-backlog"))
    try:
        async with metrics_port(settings.http):
            yield
    finally:
        await shutdown.close()  # bounded by the grace (chats/shutdown.py)
        async with _bounded("stopping background tasks", SHUTDOWN_STEP_SECONDS):
            await stop_tasks(tasks)
        async with _bounded("closing the runtime", SHUTDOWN_STEP_SECONDS):
            await runtime.close()


# A shutdown step that hangs (a connection stuck behind a lock, say) must not keep the
# process from exiting; it is logged with every task's stack so the cause can be found.
SHUTDOWN_STEP_SECONDS = 20.0


@asynccontextmanager
async def _bounded(step: str, seconds: float) -> AsyncIterator[None]:
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        stacks = {t.get_name(): _stack(t) for t in asyncio.all_tasks()}
        log.error("shutdown step timed out", extra={"step": step, "tasks": stacks})


def _stack(task: asyncio.Task[object]) -> str:
    buffer = io.StringIO()
    task.print_stack(file=buffer)
    return buffer.getvalue()


def _hsts(settings: Settings) -> str | None:
    """Sent in production on every response: browsers ignore it over plain HTTP, and a
    TLS proxy in front that does not say X-Forwarded-Proto still gets it through."""
    if settings.environment != "production" or not settings.http.hsts_seconds:
        return None
    return f"max-age={settings.http.hsts_seconds}"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    cognitia_logging.configure(settings.log_level, json=settings.log_json)
    # The docs pages load Swagger UI and ReDoc from the package, not a CDN: they work offline.
    app = FastAPIOffline(
        title="Cognitia",
        version=__version__,
        description="A self-hostable platform for AI characters.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.runner_task = None
    errors.install(app)
    app.include_router(health_router)  # probes are never rate limited
    # A WebSocket: its request-rate dependency would need an HTTP request; calls have bounds
    # of their own (voice.call), and each turn counts against the plan (chats/charging.py).
    app.include_router(chat_call_router)
    # Stripe's deliveries come from a few addresses in bursts and are verified by signature.
    app.include_router(stripe_webhook_router)
    routers = (
        auth_router,
        keys_router,
        users_router,
        admin_router,
        subscription_router,
        payments_router,
        billing_admin_router,
        billing_usage_router,
        llm_router,
        openai_router,
        characters_router,
        lorebooks_router,
        personas_router,
        chats_router,
        chat_events_router,
        sessions_router,
        tasks_router,
        character_documents_router,
        documents_router,
        memories_router,
        voice_router,
        transcription_router,
        livekit_router,
    )
    for router in routers:
        app.include_router(router, dependencies=[Depends(rate_limited("api"))])
    openapi.install(app)
    webui.install(app, settings)
    if settings.http.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.http.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
        )
    app.add_middleware(SchemaGate)
    app.add_middleware(EndpointGate, http=settings.http)
    app.add_middleware(ViolationMiddleware)  # every 429 counts towards a ban (billing/bans.py)
    app.add_middleware(RequestContextMiddleware, hsts=_hsts(settings))
    if settings.http.trusted_proxies:
        # The one place proxies are trusted (`cognitia serve` turns uvicorn's own off):
        # outermost, so everything inside sees the client's address and scheme.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.http.trusted_proxies)
    return app
