"""What `cognitia admin ...` does, as plain async functions (the CLI only parses)."""

from __future__ import annotations

from collections.abc import Callable

from cognitia.auth import service as auth
from cognitia.auth.schemas import RegisterRequest
from cognitia.config import Settings
from cognitia.models.user import Role
from cognitia.retrieval.service import Retrieval
from cognitia.runtime import build_runtime


async def create_user(
    settings: Settings, *, email: str, password: str, first_name: str, is_admin: bool
) -> str:
    runtime = build_runtime(settings)
    try:
        data = RegisterRequest(email=email, password=password, first_name=first_name)
        async with runtime.db.unit_of_work() as session:
            role = Role.ADMIN if is_admin else Role.USER
            user = await auth.register(
                session, runtime.settings, data=data, role=role, verified=True
            )
        return user.id
    finally:
        await runtime.close()


async def verify_email(settings: Settings, *, email: str) -> bool:
    runtime = build_runtime(settings)
    try:
        async with runtime.db.unit_of_work() as session:
            user = await auth.mark_verified(session, email=email)
        return user is not None
    finally:
        await runtime.close()


async def reindex(
    settings: Settings, *, batch_size: int, progress: Callable[[int, int], None]
) -> int:
    runtime = build_runtime(settings)
    try:
        index = Retrieval.over(runtime)
        return await index.reindex(batch_size=batch_size, progress=progress)
    finally:
        await runtime.close()
