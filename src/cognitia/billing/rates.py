"""Rate limits per class of route: a sliding window per user, or per IP without credentials.

Beside the daily quotas of a plan: these stop bursts, not usage. Two classes
(config.RateLimitSettings): `api`, every route but the health checks, per signed-in user
(an API key counts on its own) or per IP for anonymous requests; `generate`, the routes
that make a model answer, per user. The counters are the process's RateLimiter (Redis
when configured, so every API process shares them). Every answer of a limited route
carries X-RateLimit-Limit, -Remaining and -Reset (seconds); a refusal is 429
`rate_limited` with Retry-After.

Every 429 also counts towards a temporary ban (billing/bans.py, ViolationMiddleware
below); a banned caller is refused 403 `temporarily_banned` by these same dependencies,
before anything else is counted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Literal

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cognitia.auth import api_keys, tokens
from cognitia.billing.bans import Bans, user_subject
from cognitia.cache.ports import RateDecision, RateLimit
from cognitia.config import RateLimitSettings, Settings
from cognitia.errors import CognitiaError, TooManyRequests
from cognitia.http.deps import RateLimiterDep, SettingsDep, client_ip
from cognitia.http.middleware import RATE_LIMIT_STATE

RouteClass = Literal["api", "generate"]


def subject_of(request: Request, settings: Settings) -> tuple[str, bool]:
    """Whom a request counts against, and whether that is a signed-in caller. The access
    token is read without the database: a forged one counts against its IP."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return f"ip:{client_ip(request)}", False
    if api_keys.looks_like_key(token):
        return key_subject(hashlib.sha256(token.encode()).hexdigest()), True
    try:
        claims = tokens.decode(settings.jwt_secret.get_secret_value(), token, "access")
    except CognitiaError:
        return f"ip:{client_ip(request)}", False
    return user_subject(claims.user_id), True


def key_subject(key_hash: str) -> str:
    """An API key's subject, from its SHA-256 (api_key.key_hash): admins lift its ban."""
    return f"key:{key_hash[:32]}"


def rate_for(limits: RateLimitSettings, route_class: RouteClass, *, signed_in: bool) -> int:
    if route_class == "generate":
        return limits.generations_per_user
    return limits.requests_per_user if signed_in else limits.requests_per_ip


def headers_of(limit: int, decision: RateDecision) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(0, decision.remaining)),
        "X-RateLimit-Reset": str(decision.reset_seconds),
    }


def rate_limited(route_class: RouteClass) -> Callable[..., Awaitable[None]]:
    """A dependency that counts the request in `route_class` and refuses it past the limit."""

    async def check(request: Request, limiter: RateLimiterDep, settings: SettingsDep) -> None:
        limits = settings.billing.rate_limits
        subject, signed_in = subject_of(request, settings)
        await bans_of(request).refuse_if_banned(subject)
        allowed = rate_for(limits, route_class, signed_in=signed_in)
        if allowed == 0:
            return
        rate = RateLimit(allowed, limits.window_seconds)
        decision = await limiter.hit(f"rate:{route_class}:{subject}", rate)
        # The tightest class a request passed through is the one its headers describe.
        shown = getattr(request.state, RATE_LIMIT_STATE, None)
        if shown is None or decision.remaining <= int(shown["X-RateLimit-Remaining"]):
            setattr(request.state, RATE_LIMIT_STATE, headers_of(allowed, decision))
        if not decision.allowed:
            raise TooManyRequests(
                f"Too many requests; try again in {decision.retry_after_seconds} s.",
                retry_after=decision.retry_after_seconds,
            )

    return check


def bans_of(request: Request) -> Bans:
    bans: Bans = request.app.state.runtime.bans
    return bans


class ViolationMiddleware:
    """Counts every 429 the API answers against its caller (billing/bans.py). Pure ASGI,
    so streamed responses pass through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = False

        async def watch(message: Message) -> None:
            nonlocal refused
            if message["type"] == "http.response.start" and message["status"] == 429:
                refused = True
            await send(message)

        await self.app(scope, receive, watch)
        if refused:
            request = Request(scope)
            bans = bans_of(request)
            if bans.enabled:
                subject, _ = subject_of(request, request.app.state.runtime.settings)
                await bans.violation(subject)
