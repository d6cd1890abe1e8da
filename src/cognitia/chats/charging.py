"""A turn paid for with one of the day's messages (billing/quotas.py decides the limit):
POST /messages, regenerate and continue (chats/router.py) and each turn of a live call
(chats/call/answer.py) start their turns through `charged`, so every way a person makes a
character answer counts the same."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from cognitia.billing.quotas import ModelsOf, Quotas
from cognitia.chats.fanout import Turn
from cognitia.db import Database


async def charged(  # noqa: PLR0913 - the turn, whose it is, and what it is held to
    quotas: Quotas,
    db: Database,
    user_id: str,
    start: Callable[[], Awaitable[Turn]],
    *,
    speak: bool = False,
    models: ModelsOf | None = None,
) -> Turn:
    """Take one of the day's messages (429 quota_exceeded, 403 budget_exhausted), then
    start the turn; the message is given back if the turn cannot start or its first reply
    fails before any text. A spoken turn also needs audio minutes left today (429), checked
    with the same read of the plan. `models` are the catalogue models the turn may use
    (403 model_not_in_plan). The turn holds one of the plan's concurrent generations
    until it ends (429 too_many_generations)."""
    # From here to the first token, replies go before background work (kit/priority.py).
    with db.priority.foreground():
        charge = await quotas.charge_message(db, user_id=user_id, audio=speak, models=models)
        try:
            turn = await start()
        except BaseException:
            await charge.refund()
            await charge.release()
            raise
    # Before the turn's task first runs: no await since start.
    turn.on_failure(charge.refund)
    turn.on_end(charge.release)
    return turn
