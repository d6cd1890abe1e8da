"""Every limit a plan sets is decided here; endpoints call these and nothing else.

- daily quotas (messages): counted in QuotaCounters before the work starts, given back
  when the work fails upstream; refused with 429 quota_exceeded until midnight UTC;
- the monthly cost budget: the month's `llm_call` costs against the plan's budget,
  refused with 403 budget_exhausted until the 1st (UTC);
- counts the plan caps (characters): checked in the creating transaction, after the
  insert and under a lock on the user, refused with 403 plan_limit_reached;
- features (API access, live calls): 403 feature_not_in_plan naming the plan that has it;
- the models a plan may use (`models_allowed`): 403 model_not_in_plan naming a plan that
  allows the model;
- generations running at once (`concurrent_generations`): a slot held from the charge to
  the reply's end (GenerationSlots), refused with 429 too_many_generations.

Audio minutes per day: `check_audio` reads the voice meter's rows (audio_usage).
Tool calls, sandboxed Python runs and tasks per day: `charge_tool` and `charge_task`,
counted like messages (`_take_daily`, the one place a daily count is taken).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from cognitia.billing import logic, repository
from cognitia.billing.errors import (
    BudgetExhausted,
    DefaultPlanMissing,
    FeatureNotInPlan,
    ModelNotInPlan,
    PlanLimitReached,
    QuotaExceeded,
    TooManyGenerations,
)
from cognitia.billing.logic import Limits
from cognitia.billing.ports import GenerationSlots, QuotaCounters
from cognitia.config import BillingSettings
from cognitia.db import Database
from cognitia.kit.clock import utcnow
from cognitia.kit.ids import new_id
from cognitia.llm.logic import LANE_PREFIX
from cognitia.models.plan import Plan

MESSAGES = "messages"
# The daily counts a plan caps: its column (the `limit` a refusal names), the counter's
# metric, and what the refusal calls a unit. Each is counted by `_take_daily`.
DailyLimit = Literal[
    "messages_per_day", "tool_calls_per_day", "python_runs_per_day", "tasks_per_day"
]
DAILY: dict[str, tuple[str, str]] = {
    "messages_per_day": (MESSAGES, "messages"),
    "tool_calls_per_day": ("tool_calls", "tool calls"),
    "python_runs_per_day": ("python_runs", "Python runs"),
    "tasks_per_day": ("tasks", "tasks"),
}
# A limit for counting what a plan does not limit, so GET /usage can still show it.
UNCAPPED = 2**31 - 1
FEATURE_NAMES = {"api_access": "API access (API keys and /v1)", "live_calls": "Live voice calls"}
# A refused generation is worth retrying soon: the running ones end within seconds.
SLOT_RETRY_SECONDS = 5
# The catalogue models a request would use, read only when the plan limits them.
ModelsOf = Callable[[AsyncSession], Awaitable[Collection[str]]]


@dataclass
class Slot:
    """One of the user's concurrent generations, held until the reply ends."""

    slots: GenerationSlots
    user_id: str
    slot_id: str
    released: bool = False

    async def release(self) -> None:
        if not self.released:
            self.released = True
            await self.slots.release(self.user_id, self.slot_id)


@dataclass
class Charge:
    """One unit of a daily quota taken for a request; given back if the work fails."""

    counters: QuotaCounters
    user_id: str
    metric: str
    period: str
    refunded: bool = False
    slot: Slot | None = None

    async def refund(self) -> None:
        if not self.refunded:
            self.refunded = True
            await self.counters.give_back(self.user_id, self.metric, self.period)

    async def release(self) -> None:
        """The reply ended (done, failed, stopped or cut off): its generation slot frees."""
        if self.slot is not None:
            await self.slot.release()


class Quotas:
    """One per process (built by the composition root); `clock` is for tests of midnight."""

    def __init__(
        self,
        counters: QuotaCounters,
        settings: BillingSettings,
        clock: Callable[[], datetime] = utcnow,
        *,
        cloned_voices: frozenset[str] = frozenset(),
        slots: GenerationSlots | None = None,
    ) -> None:
        self.counters = counters
        self.slots = slots  # None: concurrent_generations is not enforced (tests of other limits)
        self.settings = settings
        self.clock = clock
        # The catalogue's cloned voices (entries with `convert`): a character whose
        # voice_model names one is a voice clone of its owner's, counted by the plan.
        self.cloned_voices = cloned_voices

    async def limits(self, session: AsyncSession, user_id: str) -> Limits:
        """The user's plan now, with what an admin granted on top."""
        subscription = await repository.get_subscription(session, user_id)
        default = self.settings.default_plan
        plan_id = logic.plan_id_for(subscription, default_plan=default, now=self.clock())
        plan = await repository.get_plan(session, plan_id)
        if plan is None:
            raise DefaultPlanMissing(f"The plan {plan_id!r} does not exist.")
        return logic.limits_of(plan, subscription)

    async def charge_message(
        self,
        db: Database,
        *,
        user_id: str,
        audio: bool = False,
        models: ModelsOf | None = None,
    ) -> Charge:
        """Before a request that makes the model answer (a message, a regeneration, a
        continuation, a /v1 completion, a call's turn): the models it would use (`models`),
        budget, audio minutes when the reply is to be spoken (`audio`), a generation slot,
        then the daily count. The plan is read once. The caller releases the charge when
        the reply ends (`Charge.release`)."""
        now = self.clock()
        async with db.read() as session:
            limits = await self.limits(session, user_id)
            if models is not None and limits.models_allowed is not None:
                await self._check_models(session, limits, await models(session))
            await self._check_budget(session, limits, user_id, now)
            if audio:
                await self._check_audio(session, limits, user_id, now)
        slot = await self._hold_slot(limits, user_id)
        try:
            return await self._count_message(db, limits, user_id, now, slot)
        except BaseException:
            if slot is not None:
                await slot.release()
            raise

    async def _count_message(
        self, db: Database, limits: Limits, user_id: str, now: datetime, slot: Slot | None
    ) -> Charge:
        charge = await self._take_daily(db, limits, user_id, now, "messages_per_day")
        charge.slot = slot
        return charge

    async def charge_daily(self, db: Database, *, user_id: str, limit: DailyLimit) -> Charge:
        """One unit of a daily count the plan caps (`limit`: "tool_calls_per_day",
        "python_runs_per_day", "tasks_per_day"), taken atomically before the work starts;
        QuotaExceeded (429 quota_exceeded, reset at midnight UTC) once the day's are used.
        The caller refunds the charge if the work never started."""
        now = self.clock()
        async with db.read() as session:
            limits = await self.limits(session, user_id)
        return await self._take_daily(db, limits, user_id, now, limit)

    async def charge_tool(self, db: Database, *, user_id: str, sandboxed: bool) -> list[Charge]:
        """Before a tool runs: one tool call, and for a sandboxed one (run_python) one
        Python run as well; both or neither are taken. QuotaExceeded names the limit hit."""
        now = self.clock()
        async with db.read() as session:
            limits = await self.limits(session, user_id)
        charges = [await self._take_daily(db, limits, user_id, now, "tool_calls_per_day")]
        if sandboxed:
            try:
                charges.append(
                    await self._take_daily(db, limits, user_id, now, "python_runs_per_day")
                )
            except BaseException:
                await charges[0].refund()
                raise
        return charges

    async def charge_task(self, db: Database, *, user_id: str) -> Charge:
        """Before a task starts: one of the day's tasks (the plan's tasks_per_day)."""
        return await self.charge_daily(db, user_id=user_id, limit="tasks_per_day")

    async def _take_daily(
        self, db: Database, limits: Limits, user_id: str, now: datetime, limit: DailyLimit
    ) -> Charge:
        period = logic.day(now)
        metric, noun = DAILY[limit]
        cap: int | None = getattr(limits, limit)
        if not await self.counters.take(user_id, metric, period.key, limit=_cap(cap)):
            async with db.read() as session:
                roomier = await self._roomier(session, limit, cap or 0)
            raise QuotaExceeded(
                f"Your plan ({limits.plan_name}) allows {cap} {noun} a day.",
                limit=limit,
                reset_at=period.resets_at,
                retry_after=period.seconds_left(now),
                upgrade_to=roomier,
            )
        return Charge(self.counters, user_id, metric, period.key)

    async def _hold_slot(self, limits: Limits, user_id: str) -> Slot | None:
        cap = limits.concurrent_generations
        if cap is None or self.slots is None:
            return None
        slot = Slot(self.slots, user_id, new_id())
        lease = self.settings.generation_lease_seconds
        if await self.slots.acquire(user_id, slot.slot_id, limit=cap, lease_seconds=lease):
            return slot
        raise TooManyGenerations(
            f"Your plan ({limits.plan_name}) runs {cap} generations at once;"
            " wait for one to finish.",
            limit=cap,
            retry_after=SLOT_RETRY_SECONDS,
        )

    async def _check_models(
        self, session: AsyncSession, limits: Limits, models: Collection[str]
    ) -> None:
        allowed = limits.models_allowed or []
        for model in models:
            # A lane's models are the operator's choice (llm/catalogue.py), not the plan's.
            if model in allowed or model.startswith(LANE_PREFIX):
                continue
            upgrade_to, hint = await _upgrade(session, logic.cheapest_allowing, model)
            raise ModelNotInPlan(
                f"The model {model} is not in your plan ({limits.plan_name}).{hint}",
                model=model,
                upgrade_to=upgrade_to,
            )

    async def _check_budget(
        self, session: AsyncSession, limits: Limits, user_id: str, now: datetime
    ) -> None:
        if limits.monthly_budget_cents is None:
            return
        spent = await repository.cost_since(session, user_id, logic.month_start(now))
        if spent >= limits.monthly_budget_cents * logic.NANOUSD_PER_CENT:
            raise BudgetExhausted(
                "This month's cost budget of your plan is spent.",
                reset_at=logic.month(now).resets_at,
            )

    async def check_audio(self, db: Database, *, user_id: str) -> None:
        """QuotaExceeded (429) once the day's audio minutes are used up, before audio is
        made or heard (speech, transcription, a call's start; spoken replies through
        `charge_message`). Audio is metered once it is made (voice/metering.py), so the
        request that crosses the limit finishes and the next is refused."""
        now = self.clock()
        async with db.read() as session:
            limits = await self.limits(session, user_id)
            await self._check_audio(session, limits, user_id, now)

    async def _check_audio(
        self, session: AsyncSession, limits: Limits, user_id: str, now: datetime
    ) -> None:
        cap = limits.audio_minutes_per_day
        if cap is None or await self.audio_seconds_today(session, user_id, now) < cap * 60:
            return
        period = logic.day(now)
        raise QuotaExceeded(
            f"Your plan ({limits.plan_name}) allows {cap} minutes of audio a day.",
            limit="audio_minutes_per_day",
            reset_at=period.resets_at,
            retry_after=period.seconds_left(now),
            upgrade_to=await self._roomier(session, "audio_minutes_per_day", cap),
        )

    async def require_feature(self, session: AsyncSession, *, user_id: str, feature: str) -> None:
        """FeatureNotInPlan (403) unless the user's plan has `feature` (logic.FEATURES)."""
        limits = await self.limits(session, user_id)
        if limits.has(feature):
            return
        upgrade_to, hint = await _upgrade(session, logic.cheapest_with, feature)
        name = FEATURE_NAMES.get(feature, feature)
        raise FeatureNotInPlan(
            f"{name} is not in your plan ({limits.plan_name}).{hint}",
            feature=feature,
            upgrade_to=upgrade_to,
        )

    async def check_characters(self, session: AsyncSession, *, user_id: str) -> None:
        """In the transaction that just added or changed a character: PlanLimitReached
        (403) if the user now has more characters, or voice clones, than the plan allows;
        FeatureNotInPlan (403) for a clone on a plan without any. The transaction then
        rolls back, so nothing is kept."""
        await repository.lock_user(session, user_id)
        limits = await self.limits(session, user_id)
        cap = limits.characters
        if cap is not None and await repository.count_characters(session, user_id) > cap:
            upgrade = await self._roomier(session, "max_characters", cap)
            raise PlanLimitReached(
                f"Your plan ({limits.plan_name}) allows {cap} characters.",
                limit="characters",
                upgrade_to=upgrade,
            )
        await self._check_clones(session, limits, user_id)

    async def _check_clones(self, session: AsyncSession, limits: Limits, user_id: str) -> None:
        cap = limits.voice_clones
        if cap is None or not self.cloned_voices:
            return
        used = await repository.count_voices_used(session, user_id, self.cloned_voices)
        if used <= cap:
            return
        upgrade = await self._roomier(session, "voice_clones", cap)
        if cap == 0:
            raise FeatureNotInPlan(
                f"Cloned voices are not in your plan ({limits.plan_name}).",
                feature="voice_clones",
                upgrade_to=upgrade,
            )
        raise PlanLimitReached(
            f"Your plan ({limits.plan_name}) allows {cap} cloned voices.",
            limit="voice_clones",
            upgrade_to=upgrade,
        )

    async def _roomier(self, session: AsyncSession, column: str, cap: int) -> str | None:
        """The first public plan that allows more than `cap` of `column`."""
        plans = await repository.list_plans(session, public_only=True)
        roomier = logic.cheapest_above(plans, column, cap)
        return roomier.id if roomier else None

    async def messages_today(self, user_id: str) -> int:
        return await self.used_today(user_id, "messages_per_day")

    async def used_today(self, user_id: str, limit: DailyLimit) -> int:
        """Today's count of a daily limit (GET /usage)."""
        metric, _ = DAILY[limit]
        return await self.counters.used(user_id, metric, logic.day(self.clock()).key)

    async def audio_seconds_today(
        self, session: AsyncSession, user_id: str, now: datetime | None = None
    ) -> float:
        """Seconds of audio made and heard for the user on today's UTC day (of `now`), as
        the voice meter recorded them (GET /usage; `check_audio` holds them to the plan)."""
        day = (now or self.clock()).astimezone(UTC).date()
        return await repository.audio_seconds_on(session, user_id, day)


def _cap(limit: int | None) -> int:
    return UNCAPPED if limit is None else limit


async def _upgrade(
    session: AsyncSession, choose: Callable[[Sequence[Plan], str], Plan | None], refused: str
) -> tuple[str | None, str]:
    """The public plan `choose` picks for what was refused (a feature, a model): its id, and
    a sentence naming it for the refusal's detail ("" when no plan has it)."""
    upgrade = choose(await repository.list_plans(session, public_only=True), refused)
    if upgrade is None:
        return None, ""
    return upgrade.id, f" It comes with the {upgrade.name} plan."
