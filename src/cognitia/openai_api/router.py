"""The OpenAI-compatible surface: /v1/models, /v1/chat/completions, /v1/embeddings.

Authenticated like the rest of the API (access token or API key as Bearer). Errors on
these paths take OpenAI's shape (http/errors.py), so OpenAI SDKs raise their usual types.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sse_starlette import EventSourceResponse

from cognitia.auth.dependencies import Caller
from cognitia.billing.deps import QuotasDep, require_api_access
from cognitia.billing.rates import rate_limited
from cognitia.chats.shutdown import stream_grace_seconds
from cognitia.db import Database
from cognitia.http.deps import DbDep, ModelsDep, SettingsDep, UsageDep
from cognitia.kit.ids import new_id
from cognitia.llm import service
from cognitia.llm.catalogue import AUTO_LANE
from cognitia.llm.logic import LANE_PREFIX, Target, parse_target
from cognitia.llm.ports import ChatRequest
from cognitia.llm.registry import ModelRegistry
from cognitia.llm.service import CallContext, GenerationEvent, Generator, UsageRecorder
from cognitia.models.user import User
from cognitia.openai_api import as_model
from cognitia.openai_api import format as openai_format
from cognitia.openai_api.schemas import ChatCompletionRequest, EmbeddingRequest

# The whole surface is the plan's API access (docs/plans.md).
router = APIRouter(
    prefix="/v1", tags=["openai-compatible"], dependencies=[Depends(require_api_access)]
)

_MODEL_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {
        "description": "feature_not_in_plan (api_access), budget_exhausted, model_not_in_plan,"
        " temporarily_banned"
    },
    404: {"description": "model_not_found: no such model, lane or character of yours"},
    502: {"description": "upstream_rejected (before the first streamed token)"},
    503: {"description": "models_unavailable (before the first streamed token)"},
}
_COMPLETION: dict[int | str, dict[str, Any]] = {
    **_MODEL_ERRORS,
    429: {
        "description": "quota_exceeded: the plan's messages per day; too_many_generations:"
        " the plan's concurrent generations (Retry-After)"
    },
    200: {
        "description": "`stream: true`: chunks as SSE, ending with `data: [DONE]`;"
        " otherwise the completion as JSON. A lane's reply names it in `x-cognitia-lane`;"
        " for `lane/auto`, the lane picked and `x-cognitia-route-reason` (docs/models.md).",
        "content": {"text/event-stream": {}},
    },
}


@router.get("/models")
async def list_models(caller: Caller, db: DbDep, models: ModelsDep) -> dict[str, Any]:
    """Catalogue models, lanes (`lane/<name>`, and `lane/auto`: routed by intent) and the
    caller's characters (`character/<id>`)."""
    catalogue = models.catalogue
    lanes = [*catalogue.lanes, AUTO_LANE]
    ids = [*catalogue.models, *(f"{LANE_PREFIX}{lane}" for lane in lanes)]
    ids += await as_model.list_ids(db, user=caller.user)
    return {"object": "list", "data": [openai_format.model_entry(i) for i in ids]}


@router.post(
    "/chat/completions",
    response_model=None,
    responses=_COMPLETION,
    dependencies=[Depends(rate_limited("generate"))],
)
async def chat_completions(  # noqa: PLR0913 - FastAPI dependencies, one per adapter used
    body: ChatCompletionRequest,
    caller: Caller,
    settings: SettingsDep,
    db: DbDep,
    models: ModelsDep,
    usage: UsageDep,
    quotas: QuotasDep,
) -> JSONResponse | EventSourceResponse:
    request = body.to_request()
    service.check_limits(request, settings.llm)
    charge = await quotas.charge_message(
        db, user_id=caller.user.id, models=as_model.models_of(caller.user, body.model)
    )
    try:
        # At shutdown a stream in flight gets the same grace as a chat reply (chats/shutdown.py).
        grace = stream_grace_seconds(settings)
        answer = await _complete(
            body,
            request,
            caller.user,
            db=db,
            models=models,
            usage=usage,
            grace=grace,
            on_end=charge.release,
        )
    except BaseException:  # nothing was answered: the message is not counted
        await charge.refund()
        await charge.release()
        raise
    if not body.stream:
        await charge.release()
    return answer


async def _complete(  # noqa: PLR0913 - the request, whose it is, and the adapters it uses
    body: ChatCompletionRequest,
    request: ChatRequest,
    user: User,
    *,
    db: Database,
    models: ModelRegistry,
    usage: UsageRecorder,
    grace: float,
    on_end: Callable[[], Awaitable[None]],
) -> JSONResponse | EventSourceResponse:
    """The completion as JSON, or its stream once the first event has come; a stream
    calls `on_end` when it ends (its generation slot frees)."""
    context = CallContext(user_id=user.id)
    target = parse_target(body.model)
    character_id = as_model.character_id_of(body.model)
    if character_id is not None:
        request, target, context = await as_model.request_for(
            db, models, user=user, character_id=character_id, request=request
        )
    target = await service.route_target(models, target, request.messages)
    if not body.stream:
        result = await service.complete(
            models, usage, request=request, target=target, context=context
        )
        answer = openai_format.completion_response(result)
        answer.headers.update(_lane_headers(target))
        return answer
    events = Generator(models, usage, context).stream(request, target)
    first = await anext(events)  # errors before the first event become plain HTTP errors
    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    chunks = _sse(first, events, include_usage=include_usage, on_end=on_end)
    return EventSourceResponse(
        chunks, sep="\n", ping=15, shutdown_grace_period=grace, headers=_lane_headers(target)
    )


def _lane_headers(target: Target) -> dict[str, str]:
    """The lane that served, and for `lane/auto` why it was picked (reasons are fixed
    ASCII phrases, never the prompt's text)."""
    headers = {"x-cognitia-lane": target.lane} if target.lane else {}
    if target.route_reason is not None:
        headers["x-cognitia-route-reason"] = target.route_reason
    return headers


async def _sse(
    first: GenerationEvent,
    rest: AsyncGenerator[GenerationEvent, None],
    *,
    include_usage: bool,
    on_end: Callable[[], Awaitable[None]],
) -> AsyncIterator[dict[str, str]]:
    stream = openai_format.ChunkStream(new_id(), int(time.time()), include_usage=include_usage)
    try:
        for chunk in stream.feed(first):
            yield {"data": json.dumps(chunk)}
        async for event in rest:
            for chunk in stream.feed(event):
                yield {"data": json.dumps(chunk)}
        yield {"data": "[DONE]"}
    finally:
        try:
            await rest.aclose()
        finally:
            await on_end()


@router.post("/embeddings", responses=_MODEL_ERRORS)
async def embeddings(
    body: EmbeddingRequest, _: Caller, settings: SettingsDep, models: ModelsDep
) -> dict[str, Any]:
    texts = body.texts()
    service.check_embedding_limits(texts, settings.llm)
    name, vectors = await service.embed(models, model=body.model, texts=texts)
    return openai_format.embedding_response(name, vectors, texts, body.encoding_format)
