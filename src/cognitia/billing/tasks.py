"""The billing domain's periodic work: clean-up of the quota counters, violation points
and bans kept in the database (servers without Redis), the daily usage rows (00:05
UTC), and the e-mails about paid subscriptions (09:00 UTC). Scheduled in runtime.py,
once per period however many schedulers run (jobs/scheduler.py)."""

from __future__ import annotations

from datetime import timedelta

from cognitia.billing import logic, metrics, notices, repository
from cognitia.billing.providers import bans
from cognitia.jobs.ports import JobContext
from cognitia.jobs.registry import NoPayload, job
from cognitia.kit.clock import utcnow

CLEANUP = "billing.cleanup"
DAILY_METRICS = "billing.daily_metrics"
EXPIRING_SUBSCRIPTIONS = "billing.expiring_subscriptions"
# A day's counters outlive it a while (questions about last month's usage), then go; the
# table would otherwise gain a row per person per day for ever. Redis keys expire alone.
COUNTER_RETENTION = timedelta(days=35)


@job(CLEANUP, NoPayload)
async def cleanup(ctx: JobContext, payload: NoPayload) -> None:
    oldest_kept = logic.day(utcnow() - COUNTER_RETENTION).key
    async with ctx.db.unit_of_work() as session:
        await repository.delete_counters_before(session, oldest_kept)
    # Bans kept in the database (no Redis): those that ended, and points past every window.
    window = timedelta(seconds=ctx.settings.billing.bans.window_seconds)
    await bans.delete_lapsed(ctx.db, points_older_than=utcnow() - window)


@job(DAILY_METRICS, NoPayload, max_tries=3)
async def daily_metrics(ctx: JobContext, payload: NoPayload) -> None:
    """Yesterday (UTC) into usage_daily; replaces its rows, so a retry is harmless."""
    yesterday = utcnow().date() - timedelta(days=1)
    async with ctx.db.unit_of_work() as session:
        await metrics.aggregate_day(
            session, yesterday, default_plan=ctx.settings.billing.default_plan
        )


@job(EXPIRING_SUBSCRIPTIONS, NoPayload, max_tries=3)
async def expiring_subscriptions(ctx: JobContext, payload: NoPayload) -> None:
    """Renewal notices and failed-payment notices, each once per billing period."""
    async with ctx.db.unit_of_work() as session:
        await notices.send_due(
            session, now=utcnow(), notice_days=ctx.settings.billing.renewal_notice_days
        )
